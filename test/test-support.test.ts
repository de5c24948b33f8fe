// Tests wait one way. A condition is polled with test/support/wait-for.ts;
// time-dependent behaviour is reached by moving the injected clock (test/support/clock.ts), not
// by a hand-written deadline loop or vitest's own waitFor. This scans the tests so a new polling
// idiom fails here rather than under load.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { budget } from './support/wait-for.js'

const ROOT = join(import.meta.dirname, '..')

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? (name === 'node_modules' || name === 'fixtures' ? [] : tsFiles(p)) : p.endsWith('.ts') ? [p] : []
  })
}

const testCode = [...tsFiles(join(ROOT, 'test')), ...tsFiles(join(ROOT, 'src')).filter((p) => p.endsWith('.test.ts'))]
  .map((p) => ({ path: relative(ROOT, p), text: readFileSync(p, 'utf8') }))
  .filter((f) => f.path !== 'test/support/wait-for.ts' && f.path !== 'test/test-support.test.ts')

const VITEST_WAIT = /\bvi\.waitFor\b|\bvi\.waitUntil\b/
/** `const until = Date.now() + ...` / `deadline = Date.now() + ...`: the start of a hand-written polling loop */
const DEADLINE_LOOP = /\b(until|deadline)\s*=\s*Date\.now\(\)\s*\+/
const OWN_WAIT_FOR = /\bfunction\s+waitFor\b|\bconst\s+waitFor\s*=/

const offenders = (re: RegExp) => testCode.flatMap((f) => f.text.split('\n').filter((l) => re.test(l)).map((l) => `${f.path}: ${l.trim()}`))

describe('tests wait one way', () => {
  it('scans a real tree', () => {
    expect(testCode.length).toBeGreaterThan(60)
    expect(testCode.some((f) => f.path === 'test/integration/harness.ts')).toBe(true)
  })

  it('no vitest waitFor, no hand-written deadline loop, no second waitFor', () => {
    expect([...offenders(VITEST_WAIT), ...offenders(DEADLINE_LOOP), ...offenders(OWN_WAIT_FOR)]).toEqual([])
  })

  it.each([
    [VITEST_WAIT, 'await vi.waitFor(() => expect(x).toBe(1))'],
    [DEADLINE_LOOP, 'const until = Date.now() + 10_000'],
    [OWN_WAIT_FOR, 'export async function waitFor<T>(what: string) {'],
  ])('%s finds %s', (re, line) => {
    expect(re.test(line)).toBe(true)
  })
})

describe('budget: one time limit for the steps of a test', () => {
  it('a step that never settles fails naming itself once the budget is spent', async () => {
    const time = budget(50)
    await expect(time.within('the acknowledgement of record 3', new Promise(() => {}))).rejects.toThrow(/timed out waiting for the acknowledgement of record 3 \(the test's budget of 50 ms is spent\)/)
    expect(time.left()).toBe(0)
  })

  it('a step in time gives its value (or its own error), and the next steps get what is left', async () => {
    const time = budget(60_000)
    expect(await time.within('a value', Promise.resolve(7))).toBe(7)
    await expect(time.within('a failure', Promise.reject(new Error('refused')))).rejects.toThrow('refused')
    expect(time.left()).toBeGreaterThan(0)
    expect(time.left()).toBeLessThanOrEqual(60_000)
  })
})
