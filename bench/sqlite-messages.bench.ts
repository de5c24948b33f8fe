// bench: what one audit row (`messages`) costs the projection as the table grows, before and after
// migration 8 (src/store/migrations.ts): the random TEXT primary key of a WITHOUT ROWID table
// against a rowid table in arrival order with an index on the ID's 52-bit hash. Same process,
// layouts interleaved, CPU time (process.cpuUsage) per row for each 25k rows up to 250k, in
// transactions of 400 rows (a 100 ms projection batch at ~4k msg/s), synchronous NORMAL, WAL.
//   npx tsx bench/sqlite-messages.bench.ts [--rows 250000] [--runs 3]
// Writes bench/results/sqlite-messages.{json,md}. Needs `npm run build`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { migrate } from '../dist/store/migrations.js'
import { hash52 } from '../dist/store/message-hash.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? def : Number(process.argv[i + 1])
}
const ROWS = arg('rows', 250_000)
const RUNS = arg('runs', 3)
const BATCH = 400
const BLOCK = 25_000

const COLUMNS = `received_at, response_time, kind, alert_code, decision, reason, party, to_party, mpxn, supply_start_date, quarantine_id, obligation_id, response_code, dcc_alert_type`
const VALUES = `@receivedAt, @responseTime, @kind, @alertCode, @decision, @reason, @party, @toParty, @mpxn, @supplyStartDate, @quarantineId, @obligationId, @responseCode, @dccAlertType`

/** The table as migrations 1-7 made it, and the store's insert of that time. */
function before(db: Database.Database): Database.Statement {
  db.exec(`CREATE TABLE messages (message_id TEXT PRIMARY KEY, received_at INTEGER NOT NULL, response_time INTEGER, kind TEXT NOT NULL,
      alert_code TEXT, decision TEXT NOT NULL, reason TEXT NOT NULL, party TEXT, to_party TEXT, mpxn TEXT, supply_start_date TEXT,
      quarantine_id TEXT, obligation_id TEXT, response_code TEXT, dcc_alert_type TEXT) WITHOUT ROWID;
    CREATE INDEX messages_received ON messages(received_at);
    CREATE INDEX messages_stale ON messages(party, mpxn) WHERE supply_start_date IS NOT NULL;
    CREATE INDEX messages_credentials ON messages(mpxn, response_time) WHERE dcc_alert_type = 'SecurityCredentialsUpdated';`)
  return db.prepare(`INSERT OR IGNORE INTO messages (message_id, ${COLUMNS}) VALUES (@messageId, ${VALUES})`)
}

/** Today's schema (all migrations) and the store's insert (src/store/sqlite-store.ts). */
function after(db: Database.Database): Database.Statement {
  migrate(db)
  return db.prepare(`INSERT INTO messages (id_hash, message_id, ${COLUMNS}) SELECT @idHash, @messageId, ${VALUES}
    WHERE NOT EXISTS (SELECT 1 FROM messages WHERE id_hash = @idHash AND message_id = @messageId)`)
}

function run(layout: 'before' | 'after', seed: number): number[] {
  const dir = mkdtempSync(join(os.tmpdir(), 'dccgw-sqlite-messages-'))
  const db = new Database(join(dir, 'gateway.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('secure_delete = ON')
  const insert = layout === 'before' ? before(db) : after(db)
  const tx = db.transaction((rows: Record<string, unknown>[]) => {
    for (const r of rows) insert.run(r)
  })
  let x = seed
  const rnd = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    return x.toString(16).padStart(8, '0')
  }
  const perBlock: number[] = []
  let n = 0
  while (n < ROWS) {
    const c0 = process.cpuUsage()
    for (let b = 0; b < BLOCK / BATCH; b++) {
      const rows: Record<string, unknown>[] = []
      for (let i = 0; i < BATCH; i++, n++) {
        const messageId = `90-B3-D5-1F-30-01-${rnd()}:90-B3-D5-1F-30-10-00-00:${n}@2026-12-05T05:00:00.${rnd()}Z` // DUIS ResponseID shape
        rows.push({
          idHash: hash52(messageId), messageId, receivedAt: 1.7e12 + n, responseTime: 1.7e12 + n, kind: 'device_alert', alertCode: '8F3D',
          decision: 'deliver', reason: 'responsible', party: 'ACME', toParty: null, mpxn: `1${rnd()}${rnd()}`.slice(0, 13),
          supplyStartDate: n % 5 === 0 ? '2025-01-01' : null, quarantineId: null, obligationId: null, responseCode: 'I0', dccAlertType: null,
        })
      }
      tx(rows)
    }
    const c = process.cpuUsage(c0)
    perBlock.push((c.user + c.system) / BLOCK)
  }
  db.close()
  rmSync(dir, { recursive: true, force: true })
  return perBlock
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const results: Record<'before' | 'after', number[][]> = { before: [], after: [] }
for (let r = 0; r < RUNS; r++) {
  for (const layout of ['before', 'after'] as const) {
    results[layout].push(run(layout, 17 + r))
    process.stdout.write(`run ${r + 1} ${layout}: ${results[layout].at(-1)!.map((v) => v.toFixed(1)).join(' ')} µs/row\n`)
  }
}
const blocks = results.before[0]!.length
const med = (layout: 'before' | 'after', k: number) => median(results[layout].map((runs) => runs[k]!))
const machine = `${os.cpus()[0]?.model.trim()} (${os.cpus().length} CPUs), Node ${process.version}`
const out = join(ROOT, 'bench/results')
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'sqlite-messages.json'), JSON.stringify({ machine, date: new Date().toISOString(), rows: ROWS, runs: RUNS, batch: BATCH, block: BLOCK, load: os.loadavg(), results }, null, 1) + '\n')
const lines = [
  '# sqlite-messages: the projection\'s cost per audit row as the table grows', '',
  `Machine: ${machine}, ${new Date().toISOString()}, 1-minute load average ${os.loadavg()[0]!.toFixed(1)} at the end. ${ROWS.toLocaleString('en-GB')} rows in transactions of ${BATCH},`,
  `synchronous NORMAL, WAL; CPU µs per row (user + system) for each ${BLOCK.toLocaleString('en-GB')} rows, median of ${RUNS} interleaved runs.`,
  'Before: `messages` as migrations 1-7 made it (WITHOUT ROWID, message_id TEXT PRIMARY KEY) with `INSERT OR IGNORE`;',
  'after: migration 8 (rowid in arrival order, index on a 52-bit hash of the ID) with the store\'s insert-unless-present.',
  'Regenerate: `npx tsx bench/sqlite-messages.bench.ts` (after `npm run build`).', '',
  '| rows in the table | before µs/row | after µs/row | after / before |', '|---:|---:|---:|---:|',
  ...Array.from({ length: blocks }, (_, k) => `| ${((k + 1) * BLOCK).toLocaleString('en-GB')} | ${med('before', k).toFixed(1)} | ${med('after', k).toFixed(1)} | ${(med('after', k) / med('before', k)).toFixed(2)} |`),
]
writeFileSync(join(out, 'sqlite-messages.md'), lines.join('\n') + '\n')
process.stdout.write(lines.join('\n') + '\n')
