// The store port's boundary (docs/architecture.md): SQL, the SQLite driver, the store classes and the store
// kind belong to src/store. Everywhere else uses the port (src/store/gateway-store.ts) and never
// asks which kind of store it has. This scans the source so a regression fails CI, not a review.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const SRC = join(ROOT, 'src')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

/** Every .ts file under src/ except src/store/ (the generated config types say what the kinds are: allowed). */
const outside = files(SRC)
  .map((p) => relative(ROOT, p))
  .filter((p) => !p.startsWith('src/store/') && p !== 'src/config/config.types.ts')
  .map((p) => ({ path: p, text: readFileSync(join(ROOT, p), 'utf8') }))

/** The code without comments (a comment may talk about SQL; code may not hold it). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1')
}

/** String and template literals of the code. */
function literals(text: string): string[] {
  return code(text).match(/`(?:\\[\s\S]|[^`\\])*`|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"/g) ?? []
}

const SQL = /\b(SELECT\s+[\w*(]|INSERT\s+(OR\s+\w+\s+)?INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|(CREATE|DROP)\s+(TEMP\s+)?(TABLE|INDEX|TRIGGER|VIEW)|ALTER\s+TABLE|PRAGMA\s|BEGIN\s+(IMMEDIATE|TRANSACTION)|SAVEPOINT\s)/
const KIND_BRANCH = /\bkind\s*[!=]==?\s*['"](nats|sqlite)['"]|['"](nats|sqlite)['"]\s*[!=]==?|\bstore\.kind\b|\bcase\s+['"](nats|sqlite)['"]/
const STORE_INTERNALS = /from\s+['"](better-sqlite3|[./]*store\/(nats\/|sqlite-store|queries|obligation-writes|commit-queue|migrations)[^'"]*)['"]|\.(prepare|pragma)\(|\b(SqliteStore|NatsStore|openNatsStore)\b/

function offenders(test: (f: { path: string; text: string }) => string[]): string[] {
  return outside.flatMap((f) => test(f).map((hit) => `${f.path}: ${hit.trim().slice(0, 120)}`))
}

describe('the store port is the only way to the store', () => {
  it('scans a real tree', () => {
    expect(outside.length).toBeGreaterThan(50)
    expect(outside.some((f) => f.path.startsWith('src/gateway/'))).toBe(true)
  })

  it('no SQL outside src/store', () => {
    expect(offenders((f) => literals(f.text).filter((l) => SQL.test(l)))).toEqual([])
  })

  it('no branch on the store kind outside src/store', () => {
    expect(offenders((f) => code(f.text).split('\n').filter((l) => KIND_BRANCH.test(l)))).toEqual([])
  })

  it('no SQLite driver, raw connection or store class outside src/store', () => {
    expect(offenders((f) => code(f.text).split('\n').filter((l) => STORE_INTERNALS.test(l)))).toEqual([])
  })

  // the scanner itself: each pattern finds what it is there to find
  it.each([
    [SQL, "db.prepare('SELECT id FROM quarantine WHERE id = ?')"],
    [SQL, '`DELETE FROM messages WHERE received_at < ?`'],
    [SQL, "'INSERT OR IGNORE INTO originals (a) VALUES (?)'"],
    [KIND_BRANCH, "config.store.kind === 'nats' ? a : b"],
    [KIND_BRANCH, "if (kind !== 'sqlite') return"],
    [STORE_INTERNALS, "import type { Database } from 'better-sqlite3'"],
    [STORE_INTERNALS, "import type { NatsStore } from '../store/nats/index.js'"],
    [STORE_INTERNALS, 'const n = sqlite.db.pragma(\'page_count\')'],
  ])('%s finds %s', (re, line) => {
    expect(re.test(line)).toBe(true)
  })

  it('leaves prose and ordinary code alone', () => {
    expect(literals("const a = 'select the party' // SELECT * FROM x\nconst u = 'http://x/y'")).toEqual(["'select the party'", "'http://x/y'"])
    expect(SQL.test("'select the party'")).toBe(false)
  })
})

// Every metric is declared in src/metrics (GatewayMetrics), where its closed
// label sets are zero-filled at start; a module elsewhere is handed the metric or sets a source.
const METRIC_OUTSIDE = /\bnew\s+(Counter|Gauge|Histogram|Summary)\s*[<(]|\bgetSingleMetric\b|\bregisterMetric\b|^\s*import\s+(?!type\b)[^'"]*from\s+['"]prom-client['"]|\bcollectDefaultMetrics\b/

describe('metrics are declared in one place', () => {
  const everywhereElse = files(SRC)
    .map((p) => relative(ROOT, p))
    .filter((p) => !p.startsWith('src/metrics/'))
    .map((p) => ({ path: p, text: readFileSync(join(ROOT, p), 'utf8') }))

  it('no metric constructor, registry lookup or prom-client value import outside src/metrics', () => {
    expect(everywhereElse.length).toBeGreaterThan(50)
    const hits = everywhereElse.flatMap((f) => code(f.text).split('\n').filter((l) => METRIC_OUTSIDE.test(l)).map((l) => `${f.path}: ${l.trim().slice(0, 120)}`))
    expect(hits).toEqual([])
  })

  it.each([
    "new Gauge({ name: 'dccgw_spool_bytes', help: 'x', registers: [metrics.registry] })",
    "this.#overdue = new Counter<'type'>({ name: 'x', help: 'x' })",
    "const h = new Histogram({",
    "deps.metrics.getSingleMetric('dccgw_obligations_overdue_total')",
    "import { Gauge } from 'prom-client'",
    "import { Counter, type Registry } from 'prom-client'",
  ])('finds %s', (line) => {
    expect(METRIC_OUTSIDE.test(line)).toBe(true)
  })

  it.each([
    "import type { Registry } from 'prom-client'",
    'const stop = this.#metrics.delivery.startTimer({ target })',
    '// a new Gauge( in a comment is prose',
  ])('leaves %s alone', (line) => {
    expect(METRIC_OUTSIDE.test(code(line))).toBe(false)
  })
})
