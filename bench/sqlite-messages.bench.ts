// bench: what one audit row (`messages`) costs the projection as the table grows, in the three
// layouts src/store/migrations.ts has had: v7, the random TEXT primary key of a WITHOUT ROWID
// table; v10, a rowid table in arrival order with an index on the ID's 52-bit hash (migration 8);
// v11, the same table with one index on (received_at, id_hash) (migration 11). Same process,
// layouts interleaved, CPU time (process.cpuUsage) per row and WAL bytes per row for each 25k rows
// up to 250k, in transactions of 400 rows (a 100 ms projection batch at ~4k msg/s), synchronous
// NORMAL, WAL (emptied before each 25k rows, no automatic checkpoint: the WAL's size is what the
// 25k rows wrote).
//   npx tsx bench/sqlite-messages.bench.ts [--rows 250000] [--runs 3]
// Writes bench/results/sqlite-messages.{json,md}. Needs `npm run build`.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
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

/** Migrations 8-10 and the store's insert of that time: unless a row has the same hash and ID. */
function v10(db: Database.Database): Database.Statement {
  migrate(db, 10)
  return db.prepare(`INSERT INTO messages (id_hash, message_id, ${COLUMNS}) SELECT @idHash, @messageId, ${VALUES}
    WHERE NOT EXISTS (SELECT 1 FROM messages WHERE id_hash = @idHash AND message_id = @messageId)`)
}

/** Today's schema (all migrations) and the store's insert (src/store/sqlite-store.ts): unless a row has the same time, hash and ID. */
function v11(db: Database.Database): Database.Statement {
  migrate(db)
  return db.prepare(`INSERT INTO messages (id_hash, message_id, ${COLUMNS}) SELECT @idHash, @messageId, ${VALUES}
    WHERE NOT EXISTS (SELECT 1 FROM messages WHERE received_at = @receivedAt AND id_hash = @idHash AND message_id = @messageId)`)
}

type Layout = 'v7' | 'v10' | 'v11'
const LAYOUTS: Layout[] = ['v7', 'v10', 'v11']
interface Run { cpu: number[]; wal: number[] }

function run(layout: Layout, seed: number): Run {
  const dir = mkdtempSync(join(os.tmpdir(), 'dccgw-sqlite-messages-'))
  const file = join(dir, 'gateway.db')
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('secure_delete = ON')
  db.pragma('wal_autocheckpoint = 0')
  const insert = layout === 'v7' ? before(db) : layout === 'v10' ? v10(db) : v11(db)
  const tx = db.transaction((rows: Record<string, unknown>[]) => {
    for (const r of rows) insert.run(r)
  })
  let x = seed
  const rnd = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    return x.toString(16).padStart(8, '0')
  }
  const perBlock: number[] = []
  const walPerRow: number[] = []
  let n = 0
  while (n < ROWS) {
    db.pragma('wal_checkpoint(TRUNCATE)')
    const c0 = process.cpuUsage()
    for (let b = 0; b < BLOCK / BATCH; b++) {
      const rows: Record<string, unknown>[] = []
      for (let i = 0; i < BATCH; i++, n++) {
        const messageId = `90-B3-D5-1F-30-01-${rnd()}:90-B3-D5-1F-30-10-00-00:${n}@2026-12-05T05:00:00.${rnd()}Z` // DUIS ResponseID shape
        rows.push({
          // ~5 messages a millisecond: several share a receipt time, as at the gateway's peak
          idHash: hash52(messageId), messageId, receivedAt: 1.7e12 + Math.floor(n / 5), responseTime: 1.7e12 + n, kind: 'device_alert', alertCode: '8F3D',
          decision: 'deliver', reason: 'responsible', party: 'ACME', toParty: null, mpxn: `1${rnd()}${rnd()}`.slice(0, 13),
          supplyStartDate: n % 5 === 0 ? '2025-01-01' : null, quarantineId: null, obligationId: null, responseCode: 'I0', dccAlertType: null,
        })
      }
      tx(rows)
    }
    const c = process.cpuUsage(c0)
    perBlock.push((c.user + c.system) / BLOCK)
    walPerRow.push(statSync(`${file}-wal`).size / BLOCK)
  }
  db.close()
  rmSync(dir, { recursive: true, force: true })
  return { cpu: perBlock, wal: walPerRow }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const results: Record<Layout, Run[]> = { v7: [], v10: [], v11: [] }
for (let r = 0; r < RUNS; r++) {
  for (const layout of LAYOUTS) {
    const x = run(layout, 17 + r)
    results[layout].push(x)
    process.stdout.write(`run ${r + 1} ${layout}: ${x.cpu.map((v) => v.toFixed(1)).join(' ')} µs/row; ${x.wal.map((v) => v.toFixed(0)).join(' ')} WAL bytes/row\n`)
  }
}
const blocks = results.v7[0]!.cpu.length
const med = (layout: Layout, k: number) => median(results[layout].map((x) => x.cpu[k]!))
const wal = (layout: Layout, k: number) => median(results[layout].map((x) => x.wal[k]!))
const machine = `${os.cpus()[0]?.model.trim()} (${os.cpus().length} CPUs), Node ${process.version}`
const out = join(ROOT, 'bench/results')
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'sqlite-messages.json'), JSON.stringify({ machine, date: new Date().toISOString(), rows: ROWS, runs: RUNS, batch: BATCH, block: BLOCK, load: os.loadavg(), results }, null, 1) + '\n')
const lines = [
  '# sqlite-messages: the projection\'s cost per audit row as the table grows', '',
  `Machine: ${machine}, ${new Date().toISOString()}, 1-minute load average ${os.loadavg()[0]!.toFixed(1)} at the end. ${ROWS.toLocaleString('en-GB')} rows in transactions of ${BATCH},`,
  `synchronous NORMAL, WAL; for each ${BLOCK.toLocaleString('en-GB')} rows, CPU µs per row (user + system) and WAL bytes per row (the WAL emptied before them),`,
  `median of ${RUNS} interleaved runs.`,
  '- v7: `messages` as migrations 1-7 made it (WITHOUT ROWID, message_id TEXT PRIMARY KEY) with `INSERT OR IGNORE`;',
  '- v10: migrations 8-10 (rowid in arrival order, an index on a 52-bit hash of the ID, one on received_at), inserted unless a row has the same hash and ID;',
  '- v11: migration 11 (one index on (received_at, id_hash)), inserted unless a row has the same time, hash and ID.',
  '',
  'Regenerate: `npx tsx bench/sqlite-messages.bench.ts` (after `npm run build`).', '',
  '| rows in the table | v7 µs/row | v10 µs/row | v11 µs/row | v11 / v10 CPU | v10 WAL bytes/row | v11 WAL bytes/row |', '|---:|---:|---:|---:|---:|---:|---:|',
  ...Array.from({ length: blocks }, (_, k) => `| ${((k + 1) * BLOCK).toLocaleString('en-GB')} | ${med('v7', k).toFixed(1)} | ${med('v10', k).toFixed(1)} | ${med('v11', k).toFixed(1)} | ` +
    `${(med('v11', k) / med('v10', k)).toFixed(2)} | ${wal('v10', k).toFixed(0)} | ${wal('v11', k).toFixed(0)} |`),
]
writeFileSync(join(out, 'sqlite-messages.md'), lines.join('\n') + '\n')
process.stdout.write(lines.join('\n') + '\n')
