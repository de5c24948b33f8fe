// Memory probe (docs/operations.md, the soak): the gateway from dist/ with the soak's config on a
// data folder, the replay's traffic at a fixed open-loop rate, and the process's memory every 2 s
// (VmRSS split into anon/file/shmem, the main thread's heap gauges, spool depth, projection lag).
// Compares a start on a fresh store with one on a store the size of a 20-minute soak's:
//   npx tsx bench/memory-probe.ts --new --seconds 60 --rate 1000           (prints RUN <dir>; the run
//       folder, with its config, stays under bench/.cache/runs: copy it to keep it)
//   npx tsx bench/memory-probe.ts --grow 25 --run DIR    (copies of every audit, quarantine, original and
//       obligation row under new IDs and older times: 60k messages x 26 = a 1.6 GB gateway.db)
//   npx tsx bench/memory-probe.ts --run DIR --seconds 60 --rate 1000 --from 60001 --label big
// Options: --dedupe-window D (a new folder's dedupe.window, default 2m as the soak's); --dist DIR (another
// build of the gateway, e.g. the commit before a change, instead of dist/).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Pool } from 'undici'
import { hash52 } from '../dist/store/message-hash.js'
import { metricSum, scrapeMetrics, spawnNode, startGatewayProcess, startSinkProcess } from './replay-procs.js'
import { writeGatewayRun } from './replay-run.js'
import { loadTraffic } from './traffic.js'
import { Laps, QUICK_TRAFFIC } from './traffic-laps.js'
import { loadWorldModel } from './traffic-world.js'

const argv = process.argv.slice(2)
const arg = (n: string, d?: string) => {
  const i = argv.indexOf(`--${n}`)
  return i >= 0 ? argv[i + 1]! : d
}
const SECONDS = Number(arg('seconds', '60'))
const RATE = Number(arg('rate', '800'))
const FROM = Number(arg('from', '0'))
const LABEL = arg('label', 'probe')!
const RUN = arg('run')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function status(pid: number): Record<string, number> {
  const out: Record<string, number> = {}
  try {
    for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const m = /^(VmRSS|RssAnon|RssFile|RssShmem|VmHWM|Threads):\s+(\d+)/.exec(line)
      if (m) out[m[1]!] = m[1] === 'Threads' ? Number(m[2]) : Math.round(Number(m[2]) / 1024)
    }
  } catch {
    /* gone */
  }
  return out
}

/** Grows a kept folder's gateway.db: `copies` copies of its rows under new IDs, each earlier than the last. */
function grow(file: string, copies: number): void {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.function('h52', { deterministic: true }, (id: unknown) => hash52(String(id)))
  const { a, b } = db.prepare('SELECT MIN(received_at) AS a, MAX(received_at) AS b FROM messages').get() as { a: number; b: number }
  const cols = (t: string) => db.prepare(`SELECT name FROM pragma_table_info('${t}')`).pluck().all() as string[]
  const copy = (t: string, key: string, map: (c: string) => string, skip: string[] = []) => {
    const c = cols(t).filter((x) => !skip.includes(x))
    db.exec(`INSERT INTO ${t} (${c.join(',')}) SELECT ${c.map(map).join(',')} FROM ${t} WHERE ${key} NOT LIKE '%~c%'`)
  }
  for (let k = 1; k <= copies; k++) {
    const sfx = `'~c${k}'`
    const dt = k * (b - a + 600_000)
    db.transaction(() => {
      copy('messages', 'message_id', (c) => (c === 'id_hash' ? `h52(message_id||${sfx})` : ['message_id', 'quarantine_id', 'obligation_id'].includes(c) ? `${c}||${sfx}` : c === 'received_at' ? `received_at-${dt}` : c), ['id'])
      copy('quarantine', 'id', (c) => (c === 'id' || c === 'message_id' ? `${c}||${sfx}` : c === 'received_at' ? `received_at-${dt}` : c))
      copy('originals', 'message_id', (c) => (c === 'message_id' ? `${c}||${sfx}` : c === 'received_at' ? `received_at-${dt}` : c))
      copy('obligations', 'id', (c) => (['id', 'message_id', 'subject'].includes(c) ? `${c}||${sfx}` : c))
      copy('obligation_notices', 'obligation_id', (c) => (c === 'obligation_id' ? `${c}||${sfx}` : c))
      copy('obligation_events', 'obligation_id', (c) => (c === 'obligation_id' ? `${c}||${sfx}` : c), ['id'])
    })()
  }
  db.pragma('wal_checkpoint(TRUNCATE)')
  for (const t of ['messages', 'quarantine', 'originals', 'obligations', 'obligation_notices', 'obligation_events']) console.log(t, db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get())
  db.close()
}

if (argv.includes('--grow')) {
  grow(join(RUN!, 'data', 'gateway.db'), Number(arg('grow')))
  process.exit(0)
}

const CACHE = join(import.meta.dirname, '.cache')
const traffic = await loadTraffic(CACHE, QUICK_TRAFFIC)
const laps = new Laps(traffic)
const world = loadWorldModel(traffic.worldDir)
const sink = await startSinkProcess()
let configFile = join(RUN ?? '/nonexistent', 'gateway.yaml')
if (argv.includes('--new') || !existsSync(configFile)) {
  const run = writeGatewayRun(CACHE, traffic.worldDir, sink.url, world.tenant, {}, { dedupe: { window: arg('dedupe-window', '2m') } })
  configFile = run.configFile
  console.log(`RUN ${run.dir}`)
} else {
  // the kept folder's config names an old sink: point the parties at this one
  const text = readFileSync(configFile, 'utf8')
  const parties = /parties: (\S+)/.exec(text)![1]!
  writeFileSync(parties, readFileSync(parties, 'utf8').replace(/http:\/\/127\.0\.0\.1:\d+/g, new URL(sink.url).origin))
}
const t0 = performance.now()
const DIST = arg('dist')
const gw = DIST === undefined ? await startGatewayProcess(configFile)
  : await spawnNode([join(DIST, 'cli/main.js'), 'serve', '--config', configFile], /listening on (http\S+)/, { DCC_GATEWAY_LOG_LEVEL: 'warn' })
for (;;) {
  try {
    if ((await fetch(`${gw.url}/readyz`)).status === 200) break
  } catch {
    /* starting */
  }
  await sleep(50)
}
const readyS = (performance.now() - t0) / 1000
const pool = new Pool(new URL(gw.url).origin, { connections: 64 })
let ok = 0
let fail = 0
const rows: string[] = []
const rssAt: [number, number][] = []
const snap = async (tag: string) => {
  const s = status(gw.pid)
  let m = new Map<string, number>()
  try {
    m = await scrapeMetrics(gw.url)
  } catch {
    /* */
  }
  const mb = (n: string) => Math.round(metricSum(m, n) / 2 ** 20)
  const line = `${LABEL} ${tag} t=${((performance.now() - t0) / 1000).toFixed(1)} ok=${ok} fail=${fail} rss=${s.VmRSS} anon=${s.RssAnon} file=${s.RssFile} shm=${s.RssShmem} thr=${s.Threads} ` +
    `heapUsed=${mb('dccgw_nodejs_heap_size_used_bytes')} heapTotal=${mb('dccgw_nodejs_heap_size_total_bytes')} ext=${mb('dccgw_nodejs_external_memory_bytes')} spool=${metricSum(m, 'dccgw_spool_depth')} lag=${metricSum(m, 'dccgw_projection_lag_records')}`
  rows.push(line)
  if (s.VmRSS !== undefined) rssAt.push([(performance.now() - t0) / 1000, s.VmRSS])
  console.log(line)
}
await snap(`ready(${readyS.toFixed(1)}s)`)
let sampling = true
const sampler = (async () => {
  while (sampling) {
    await sleep(2000)
    if (sampling) await snap('load')
  }
})()
const start = performance.now()
const inflight = new Set<Promise<void>>()
for (let i = 0; ; i++) {
  const due = start + (i * 1000) / RATE
  if (due > start + SECONDS * 1000) break
  const w = due - performance.now()
  if (w > 1) await sleep(w)
  const p = pool.request({ method: 'POST', path: '/duis', body: laps.body(FROM + i), headers: { 'content-type': 'application/xml' } })
    .then(async (r) => {
      await r.body.text()
      if (r.statusCode === 200 || r.statusCode === 422) ok++
      else fail++
    }, () => void fail++)
    .finally(() => inflight.delete(p))
  inflight.add(p)
}
await Promise.all(inflight)
await sleep(4000)
sampling = false
await sampler
await snap('end')
const late = rssAt.filter(([t]) => t >= 25).map(([, r]) => r).sort((a, b) => a - b)
console.log(`SUMMARY ${LABEL}: RSS from 25 s on: lowest ${late[0]} MiB, median ${late[Math.floor((late.length - 1) / 2)]} MiB, at the end ${rssAt.at(-1)?.[1]} MiB`)
await pool.close()
await gw.stop()
await sink.stop()
console.log(`NEXT ${FROM + Math.ceil(SECONDS * RATE) + 1}`)
