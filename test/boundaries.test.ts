// Each folder under src/ has one front door, its index.ts: a file in src/<a>/ imports another
// folder's code only as `../<b>/index.js`, types included. This scans the source so that an import
// into another folder's internals fails CI, not a review.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const SRC = join(ROOT, 'src')


/** Relative specifiers of static imports, re-exports and dynamic imports. */
function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1')
  return [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g)].map((m) => m[2]!)
}

/** Why `spec`, imported by src file `file`, reaches into another folder's internals; undefined if it does not. */
function crossing(file: string, spec: string): string | undefined {
  const from = relative(SRC, file).split(sep)
  const target = relative(SRC, resolve(dirname(file), spec)).split(sep)
  // outside src, a top-level file (src/index.ts, src/pipeline.ts), or its own folder
  if (target[0] === '..' || target.length < 2 || (from.length > 1 && target[0] === from[0])) return undefined
  const inner = target.slice(1).join('/')
  if (inner === 'index.js') return undefined
  return `${relative(ROOT, file)} imports ${spec} (use ../${target[0]}/index.js)`
}

describe('folder boundaries', () => {
  const all = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.ts')).map((p) => join(SRC, p))

  it('scans a real tree', () => {
    expect(all.length).toBeGreaterThan(100)
    expect(all.filter((f) => specifiers(readFileSync(f, 'utf8')).some((s) => s.includes('/index.js'))).length).toBeGreaterThan(30)
  })

  it('no file under src/<a>/ imports another folder other than through its index.js', () => {
    const offenders = all.flatMap((f) => specifiers(readFileSync(f, 'utf8')).map((s) => crossing(f, s)).filter((x) => x !== undefined))
    expect(offenders).toEqual([])
  })

  // the scanner itself
  it.each([
    ['src/admin/router.ts', '../ingress/errors.js', true],
    ['src/store/nats/nats-store.ts', '../../http/errors.js', true],
    ['src/gateway/index.ts', '../http/index.js', false],
    ['src/gateway/index.ts', '../registry/types.js', true],
    ['src/store/nats/index.ts', '../../config/types.js', true],
    ['src/store/nats/nats-store.ts', '../store-error.js', false],
    ['src/gateway/index.ts', '../pipeline.js', false],
    ['src/registry/load.test.ts', '../../test/fixtures/registry/world.js', false],
    ['src/pipeline.ts', './obligations/notice.js', true],
    ['src/pipeline.ts', './obligations/index.js', false],
  ])('%s importing %s crosses: %s', (file, spec, crosses) => {
    expect(crossing(join(ROOT, file), spec) !== undefined).toBe(crosses)
  })

  it('finds static, re-export and dynamic imports, not comments', () => {
    expect(specifiers("import { a } from '../x/y.js'\nexport { b } from \"./z.js\"\nconst c = await import('../w/v.js')\nimport '../side/effect.js'\n// import { d } from '../no/no.js'"))
      .toEqual(['../x/y.js', './z.js', '../w/v.js', '../side/effect.js'])
  })
})
