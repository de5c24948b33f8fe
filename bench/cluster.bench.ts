// Clustered mode vs embedded mode (docs/cluster.md): ingest throughput (requests answered 200 per second,
// i.e. made durable) of 1, 2 and 3 gateway instances over one 3-node JetStream cluster (R3), and of
// one gateway on SQLite (synchronous FULL, then NORMAL), all on this machine.
//   npx tsx bench/cluster.bench.ts [--messages 1500] [--runs 3] [--concurrency 32]
// Gateways are child processes (dist/, `npm run build` first); the adapter answers 200 at once.
// The load is spread round-robin over the instances. Medians of the runs, ratios to SQLite FULL (the default).
// Writes bench/results/cluster.{json,md}.
import { cpus, loadavg } from 'node:os'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { buildDuisDocument } from '../test/support/duis-builder.js'
import { HoldingAdapter, NatsCluster, natsServerVersion } from '../test/cluster-harness.js'
import { ACME_USER, GatewayProcess, makeWorld } from '../test/integration/harness.js'

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const MESSAGES = arg('messages', 1500)
const RUNS = arg('runs', 3)
const CONCURRENCY = arg('concurrency', 32)
const DEVICE = '00-12-34-56-78-AB-CD-EF'
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
let counter = 1_000_000
const doc = () => {
  const n = counter++
  return buildDuisDocument({ kind: 'device_alert', device: DEVICE, counter: n, responseId: `${DEVICE}:${ACME_USER}:${n}`, responseDateTime: '2025-03-14T08:15:30Z' })
}

interface Run { perSec: number; p50ms: number; p99ms: number; non200: number }

async function drive(urls: string[]): Promise<Run> {
  const agent = new Agent({ connections: CONCURRENCY })
  const bodies = Array.from({ length: MESSAGES }, doc)
  const lat: number[] = []
  let next = 0
  let non200 = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        const i = next++
        if (i >= MESSAGES) return
        for (;;) {
          const t0 = performance.now()
          const res = await request(`${urls[i % urls.length]}/duis`, { method: 'POST', body: bodies[i], headers: { 'content-type': 'application/xml' }, dispatcher: agent })
          await res.body.dump()
          if (res.statusCode === 200) {
            lat.push(performance.now() - t0)
            break
          }
          non200++
          await new Promise((r) => setTimeout(r, 20))
        }
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  await agent.close()
  lat.sort((a, b) => a - b)
  return { perSec: MESSAGES / seconds, p50ms: lat[Math.floor(lat.length / 2)]!, p99ms: lat[Math.floor(lat.length * 0.99)]!, non200 }
}

async function measure(label: string, store: Record<string, unknown>, instances: number, adapterUrl: string) {
  const world = makeWorld({ adapterUrl, extra: { store, log: { level: 'warn' } } })
  const procs = []
  for (let i = 0; i < instances; i++) procs.push(await new GatewayProcess(world).start())
  try {
    await drive(procs.map((p) => p.url)) // warm-up (JIT, connections, stream leaders)
    const runs: Run[] = []
    for (let r = 0; r < RUNS; r++) runs.push(await drive(procs.map((p) => p.url)))
    const row = { label, instances, perSec: median(runs.map((r) => r.perSec)), p50ms: median(runs.map((r) => r.p50ms)), p99ms: median(runs.map((r) => r.p99ms)), runs }
    process.stderr.write(`${label}: ${row.perSec.toFixed(0)}/s p50 ${row.p50ms.toFixed(1)} ms p99 ${row.p99ms.toFixed(1)} ms\n`)
    return row
  } finally {
    for (const p of procs) await p.kill('SIGTERM')
  }
}

const adapter = await new HoldingAdapter().listen()
const cluster = await NatsCluster.start(3)
const rows = []
try {
  rows.push(await measure('sqlite FULL, 1 instance', { kind: 'sqlite', path: './data', synchronous: 'FULL' }, 1, adapter.url))
  rows.push(await measure('sqlite NORMAL, 1 instance', { kind: 'sqlite', path: './data', synchronous: 'NORMAL' }, 1, adapter.url))
  for (const n of [1, 2, 3]) {
    rows.push(await measure(`nats R3, ${n} instance${n > 1 ? 's' : ''}`, { kind: 'nats', path: './data', nats: { servers: cluster.urls, replicas: 3, prefix: `BENCH${n}` } }, n, adapter.url))
  }
} finally {
  await cluster.stop()
  await adapter.close()
}

const MEANING = [
  '## What the numbers mean',
  '',
  '- All traffic is for one MPxN (deliveries serialised per household in both modes). SQLite NORMAL is',
  '  barely faster than FULL, so fsync is not what limits the SQLite rows here; the cause was not profiled.',
  '  bench/results/ingress.e2e.md (20,000 MPxNs, mixed decisions) is the SQLite reference.',
  '- JetStream acknowledges a write once two of three nodes hold it, without an fsync; SQLite FULL fsyncs',
  '  every group commit. The clustered mode trades the single-disk fsync for replication (docs/cluster.md).',
  '- On two shared cores, every extra gateway instance competes with the three nats-server processes, the',
  '  load generator and the other instances for the same CPU: 2 and 3 instances are slower than 1 here.',
  '  That is CPU contention, not a limit of the design. On separate machines each instance brings its own',
  '  cores (parse, decide and HTTP scale with instances); the shared ceiling is the RAFT leader of the',
  '  spool stream and the decisions bucket (one RAFT group each), which this 2-core run could not reach.',
  '  Measure on the target hardware before sizing.',
]
const base = rows[0]!.perSec
const machine = { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((x) => +x.toFixed(2)), node: process.version, natsServer: natsServerVersion() }
const result = { date: new Date().toISOString(), machine, messages: MESSAGES, runs: RUNS, concurrency: CONCURRENCY, rows: rows.map((r) => ({ ...r, ratioToSqlite: +(r.perSec / base).toFixed(2) })) }
const out = join(import.meta.dirname, 'results')
writeFileSync(join(out, 'cluster.json'), JSON.stringify(result, null, 2) + '\n')
writeFileSync(
  join(out, 'cluster.md'),
  [
    `# Clustered mode ingest throughput (bench/cluster.bench.ts)`,
    '',
    `${result.date}; ${machine.cpus} cores (${machine.model}), load average ${machine.loadavg.join(' ')} at the end, Node ${machine.node}, ${machine.natsServer}.`,
    `${MESSAGES} device alerts per run, ${CONCURRENCY} concurrent senders, median of ${RUNS} runs after a warm-up; 200 = durable (SQLite FULL commit, or JetStream R3 publish ack + decision record).`,
    `Everything (3 nats-server nodes, the gateways, the load generator, the adapter) shares this machine.`,
    '',
    '| setup | accepted/s | ratio to SQLite FULL | p50 ms | p99 ms |',
    '|---|---:|---:|---:|---:|',
    ...result.rows.map((r) => `| ${r.label} | ${r.perSec.toFixed(0)} | ${r.ratioToSqlite.toFixed(2)} | ${r.p50ms.toFixed(1)} | ${r.p99ms.toFixed(1)} |`),
    '',
    ...MEANING,
    '',
  ].join('\n'),
)
