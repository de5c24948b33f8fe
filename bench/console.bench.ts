// Operator console benchmark (docs/console.md, "Speed": pages aim to answer in under 200 ms with 100k quarantined
// messages). npm run bench:console -- [--rows 100000] [--runs 3] [--requests 40]
// Seeds a SQLite store with --rows quarantined messages (5% critical, eight reasons, realistic
// bodies), an hour of decisions (the overview chart), stale-CoS traffic, audit rows and open
// obligations; starts the built gateway on it as a child process (`serve --config`), signs in, and
// times each console page with sequential keep-alive requests: p50 and p99 per page, the median
// of --runs runs. Baselines in the same run: GET /healthz (routing alone) and the admin API's
// JSON quarantine page (GET /admin/quarantine?limit=50, the same query without HTML).
// Writes bench/results/console.{json,md}.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { stringify } from 'yaml'
import { migrate } from '../dist/store/migrations.js'
import { hash52 } from '../dist/store/message-hash.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : def
}
const ROWS = Number(arg('rows', '100000'))
const RUNS = Number(arg('runs', '3'))
const REQUESTS = Number(arg('requests', '40'))
const TOKEN = 'bench-console-token'
const REASONS = ['unknown-device', 'unknown-mpxn', 'malformed', 'never-supplied', 'unknown-recipient', 'adapter-rejected', 'bad-signature', 'unknown-acquirer']
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!

function seed(dir: string, now: number): { id: string; mpxnRare: string; obligationId: string } {
  const db = new Database(join(dir, 'gateway.db'))
  db.pragma('journal_mode = WAL')
  migrate(db)
  const body = (i: number) => Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<sr:Response xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.4">
 <sr:Header><sr:ResponseID>00-12-34-56-78-AB-${(i >> 8 & 255).toString(16).padStart(2, '0').toUpperCase()}-${(i & 255).toString(16).padStart(2, '0').toUpperCase()}:90-B3-D5-1F-30-01-00-00:${i}</sr:ResponseID>
 <sr:ResponseCode>I0</sr:ResponseCode><sr:ResponseDateTime>2025-03-14T10:00:00.000Z</sr:ResponseDateTime></sr:Header>
 <sr:Body><sr:DeviceAlertMessage><sr:AlertCode>8F0F</sr:AlertCode><sr:GBCSPayload>3wkDAAAAAAAAAAoIABI0VnirzZkIkLPVHzABAAAAAhAAAA==</sr:GBCSPayload></sr:DeviceAlertMessage></sr:Body>
</sr:Response>`)
  const q = db.prepare(`INSERT INTO quarantine (id, message_id, received_at, reason, detail, kind, party, mpxn, content_type, size, body, critical, alert_code)
    VALUES (?, ?, ?, ?, ?, 'device_alert', 'ACME', ?, 'application/xml', ?, ?, ?, ?)`)
  const insertMessage = db.prepare(`INSERT INTO messages (id_hash, message_id, received_at, kind, decision, reason, party, to_party, mpxn, supply_start_date)
    VALUES (?, ?, ?, 'device_alert', ?, ?, 'ACME', ?, ?, ?)`)
  const m = { run: (id: string, ...rest: unknown[]) => insertMessage.run(hash52(id), id, ...rest) }
  const a = db.prepare('INSERT INTO admin_audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)')
  const o = db.prepare(`INSERT INTO obligations (id, type, status, to_party, mpxn, alert_code, alert_time, created_at, due_at, level, notice, text)
    VALUES (?, 'critical-forward', 'notified', 'BRITE', ?, '8F0F', ?, ?, ?, 0, '{}', '')`)
  let id = ''
  let obligationId = ''
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const b = body(i)
      id = randomUUID()
      q.run(id, `msg-${i}`, now - (ROWS - i) * 5_000, REASONS[i % REASONS.length], 'device not in devices.csv', `19${String(i % 20_000).padStart(11, '0')}`, b.byteLength, b, i % 20 === 0 ? 1 : 0, i % 3 === 0 ? '8F0F' : null)
    }
    const decisions = ['deliver', 'deliver', 'deliver', 'drop', 'quarantine', 'forward']
    for (let i = 0; i < 30_000; i++) m.run(`hour-${i}`, now - (i % 3600) * 1000, decisions[i % decisions.length], 'responsible', null, `19${String(i % 5000).padStart(11, '0')}`, null)
    for (let i = 0; i < 20_000; i++) m.run(`stale-${i}`, now - 86_400_000 - i * 1000, i % 7 === 0 ? 'forward' : 'drop', 'stale-cos-noncritical', 'BRITE', `21${String(i % 2000).padStart(11, '0')}`, '2025-03-01')
    for (let i = 0; i < 20_000; i++) a.run(now - i * 10_000, `console:op${i % 5}@127.0.0.1`, i % 2 ? 'quarantine.release' : 'quarantine.delete', randomUUID(), null)
    for (let i = 0; i < 300; i++) {
      obligationId = randomUUID()
      o.run(obligationId, `14${String(i).padStart(11, '0')}`, now - 3_600_000, now - 3_000_000, now + (i - 100) * 600_000)
    }
  })()
  db.close()
  return { id, mpxnRare: '1900000019999', obligationId }
}

async function startGateway(dir: string): Promise<{ child: ChildProcess; url: string }> {
  for (const f of ['registrations.csv', 'devices.csv', 'parties.yaml']) copyFileSync(join(root, 'examples/demo', f), join(dir, f))
  const configFile = join(dir, 'gateway.yaml')
  writeFileSync(configFile, stringify({
    server: { host: '127.0.0.1', port: 0 }, tenants: ['ACME'],
    registry: { registrations: 'registrations.csv', devices: 'devices.csv', parties: 'parties.yaml' },
    policy: { nonCritical: 'drop' }, store: { path: './data' }, admin: { token: TOKEN }, log: { level: 'warn' },
  }))
  const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    const on = (d: Buffer) => {
      out += d.toString()
      const m = /listening on (http\S+)/.exec(out)
      if (m) resolve(m[1]!)
    }
    child.stdout!.on('data', on)
    child.stderr!.on('data', on)
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${out}`)))
  })
  return { child, url }
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 })
function get(url: string, headers: Record<string, string>): Promise<{ status: number; ms: number; bytes: number; location?: string; cookie?: string; text: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const req = request(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        resolve({ status: res.statusCode!, ms: performance.now() - t0, bytes: text.length, text, ...(res.headers.location && { location: res.headers.location }), ...(res.headers['set-cookie'] && { cookie: res.headers['set-cookie'][0]!.split(';')[0]! }) })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

async function signIn(url: string): Promise<string> {
  const r = await fetch(`${url}/console/login`, { method: 'POST', body: new URLSearchParams({ token: TOKEN }), redirect: 'manual' })
  return r.headers.get('set-cookie')!.split(';')[0]!
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dccgw-bench-console-'))
  mkdirSync(join(dir, 'data'))
  const now = Date.now()
  const t0 = performance.now()
  const seeded = seed(join(dir, 'data'), now)
  console.error(`seeded ${ROWS} quarantined messages in ${Math.round(performance.now() - t0)} ms`)
  const gw = await startGateway(dir)
  try {
    const cookie = await signIn(gw.url)
    const auth = { cookie }
    // a page 20 deep in the worklist: follow the keyset cursor
    let deep = '/console/quarantine'
    for (let i = 0; i < 20; i++) {
      const r = await get(gw.url + deep, auth)
      deep = /href="(\/console\/quarantine\?cursor=[^"]+)" rel="next"/.exec(r.text)![1]!.replace(/&amp;/g, '&')
    }
    const pages: [string, string, Record<string, string>][] = [
      ['baseline: GET /healthz', '/healthz', {}],
      ['baseline: admin API quarantine JSON (50 rows)', '/admin/quarantine?limit=50', { authorization: `Bearer ${TOKEN}` }],
      ['overview', '/console/', auth],
      ['quarantine, first page', '/console/quarantine', auth],
      ['quarantine, one reason (bulk count)', '/console/quarantine?reason=unknown-mpxn', auth],
      ['quarantine, critical only', '/console/quarantine?critical=true', auth],
      ['quarantine, page 21 (cursor)', deep, auth],
      ['quarantine, one MPxN', `/console/quarantine?mpxn=${seeded.mpxnRare}`, auth],
      ['quarantine, since a date', `/console/quarantine?since=${new Date(now - 86_400_000).toISOString().slice(0, 10)}`, auth],
      ['quarantined message', `/console/quarantine/${seeded.id}`, auth],
      ['quarantined message, raw', `/console/quarantine/${seeded.id}?raw=1`, auth],
      ['obligations (300 open)', '/console/obligations', auth],
      ['obligation', `/console/obligations/${seeded.obligationId}`, auth],
      ['stale-CoS (2000 MPxNs)', '/console/stale-cos', auth],
      ['audit (20k rows)', '/console/audit', auth],
      ['audit, filtered by actor', '/console/audit?actor=op3', auth],
      ['registry', '/console/registry', auth],
    ]
    const results: { page: string; path: string; bytes: number; p50: number; p99: number; runsP50: number[]; runsP99: number[] }[] = []
    for (const [name, path, headers] of pages) {
      const p50s: number[] = []
      const p99s: number[] = []
      let bytes = 0
      for (let run = 0; run < RUNS; run++) {
        for (let i = 0; i < 3; i++) await get(gw.url + path, headers) // warm-up
        const ms: number[] = []
        for (let i = 0; i < REQUESTS; i++) {
          const r = await get(gw.url + path, headers)
          if (r.status !== 200) throw new Error(`${path}: ${r.status}`)
          bytes = r.bytes
          ms.push(r.ms)
        }
        p50s.push(pct(ms, 50))
        p99s.push(pct(ms, 99))
      }
      const row = { page: name, path: path.replace(/[0-9a-f-]{36}/, '{id}').replace(/cursor=[^&]+/, 'cursor=…'), bytes, p50: median(p50s), p99: median(p99s), runsP50: p50s, runsP99: p99s }
      results.push(row)
      console.error(`${name.padEnd(46)} p50 ${row.p50.toFixed(1).padStart(7)} ms  p99 ${row.p99.toFixed(1).padStart(7)} ms  ${bytes} B`)
    }
    const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavg: loadavg().map((l) => Number(l.toFixed(2))), node: process.version }
    const out = { date: new Date().toISOString(), rows: ROWS, runs: RUNS, requestsPerRun: REQUESTS, machine, results }
    mkdirSync(join(here, 'results'), { recursive: true })
    writeFileSync(join(here, 'results/console.json'), JSON.stringify(out, null, 2) + '\n')
    const base = results[0]!.p50
    const md = [
      '# Operator console pages (bench/console.bench.ts)',
      '',
      `${ROWS} quarantined messages (5% critical, 8 reasons), 30k decisions in the last hour, 20k stale-CoS messages, 20k audit rows, 300 open obligations; SQLite store, the built gateway as a child process, one keep-alive connection, ${REQUESTS} sequential requests per page per run after 3 warm-ups; p50 and p99 are the medians over ${RUNS} runs.`,
      `Machine: ${machine.cpus} × ${machine.model}, Node ${machine.node}, load average at the end ${machine.loadavg.join(' / ')} (shared with other jobs: read the ratios to the in-run baselines rather than the absolute numbers).`,
      '',
      '| page | path | bytes | p50 ms | p99 ms | p50 / healthz |',
      '|---|---|---:|---:|---:|---:|',
      ...results.map((r) => `| ${r.page} | \`${r.path}\` | ${r.bytes} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${(r.p50 / base).toFixed(1)} |`),
      '',
    ].join('\n')
    writeFileSync(join(here, 'results/console.md'), md)
    console.log(md)
  } finally {
    gw.child.kill('SIGTERM')
    await new Promise((r) => gw.child.once('exit', r))
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
