// src/dates is the one place for calendar arithmetic (docs/architecture.md): it imports nothing of the
// gateway, and the obligations calendar takes its dates from it, not from the registry.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = join(import.meta.dirname, '..')
const imports = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!)
const sources = (dir: string) => readdirSync(join(SRC, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(SRC, dir, f))

describe('src/dates boundary', () => {
  it('imports nothing outside itself', () => {
    const files = sources('dates')
    expect(files.length).toBeGreaterThan(1)
    expect(files.flatMap((f) => imports(f).filter((i) => !i.startsWith('./')).map((i) => `${f}: ${i}`))).toEqual([])
  })
  it('is where the obligations calendar and the registry take their dates from', () => {
    expect(imports(join(SRC, 'obligations', 'days.ts'))).toContain('../dates/index.js')
    expect(imports(join(SRC, 'registry', 'lookup.ts'))).toContain('../dates/index.js')
    // no calendar code left in the registry: the BST rule lives in src/dates only
    expect(sources('registry').filter((f) => /function (bstWindow|ukDayNumberOf|daysFromCivil)\b/.test(readFileSync(f, 'utf8')))).toEqual([])
  })
})
