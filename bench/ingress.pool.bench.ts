// bench: the pure stage (parse -> lookup -> decide) inline vs on the piscina pool (lookups on the
// workers; the main-thread placement measured in bench/results/ingress.pool.md is gone), plus the cost of handing the registry snapshot to a worker
// with every task. No HTTP, no store: what the pool can and cannot win. Interleaved, medians.
//   npm run build && npx tsx bench/ingress.pool.bench.ts     (RUNS=5 WORLD_MPXNS=1000000)
// Writes bench/results/ingress.pool.{json,md}.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig, type Config } from '../dist/index.js'
import { evaluate } from '../dist/pipeline.js'
import { EvaluatePool, toWire, workerSetup } from '../dist/pool/index.js'
import { loadRegistry } from '../dist/registry/index.js'
import { policySettings } from '../dist/policy/index.js'
import { createCalendar } from '../dist/obligations/index.js'
import { duisCorpus } from './lib/duis-corpus.js'
import { generateWorld } from './world.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RUNS = Number(process.env.RUNS ?? 5)
const WORLD_MPXNS = Number(process.env.WORLD_MPXNS ?? 1_000_000)
const MESSAGES = Number(process.env.MESSAGES ?? 20_000)

const worldDir = mkdtempSync(join(os.tmpdir(), 'dccgw-bench-pool-'))
const manifest = await generateWorld({ mpxns: WORLD_MPXNS, seed: 1 }, worldDir)
const config: Config = loadConfig({ env: { DCC_GATEWAY_TENANTS: manifest.tenant } })
const { index: registry } = await loadRegistry(
  { registrations: join(worldDir, 'registrations.csv'), devices: join(worldDir, 'devices.csv'), parties: join(worldDir, 'parties.yaml') },
  { maxRejectRatio: 0.01 },
)
const ctx = { limits: config.limits, registry, policy: policySettings(config), calendar: createCalendar(config.calendar) }
const base = duisCorpus(3000)
const corpus = Array.from({ length: MESSAGES }, (_, k) => base[k % base.length]!)

/** clone cost of the snapshot a worker-lookup task carries (shared arrays: only parties copy) */
function cloneMicros(value: unknown): number {
  const n = 2000
  const t0 = performance.now()
  for (let k = 0; k < n; k++) structuredClone(value)
  return ((performance.now() - t0) * 1000) / n
}

type Contender = { name: string; run: () => Promise<number> }
const contenders: Contender[] = [
  { name: 'inline (pool.size 0)', run: async () => { let s = 0; for (const b of corpus) s += evaluate(b, ctx).ok ? 1 : 0; return s } },
]
const pools: EvaluatePool[] = []
for (const size of [1, 2]) {
  const pool = new EvaluatePool({ size, batchSize: 32, batchWaitMicros: 200, maxQueue: MESSAGES, setup: workerSetup(config), registry })
  pools.push(pool)
  contenders.push({ name: `pool.size ${size}`, run: async () => (await Promise.all(corpus.map((b) => pool.evaluate(b)))).length })
}

const rates: Record<string, number[]> = Object.fromEntries(contenders.map((c) => [c.name, []]))
for (const c of contenders) await c.run() // warm up
for (let r = 0; r < RUNS; r++) for (const c of contenders) {
  const t0 = performance.now()
  await c.run()
  rates[c.name]!.push(MESSAGES / ((performance.now() - t0) / 1000))
}
const cloneUs = cloneMicros(toWire(registry.toShared()))
const cloneObjectsUs = cloneMicros(registry.toShared())
for (const p of pools) await p.close()
rmSync(worldDir, { recursive: true, force: true })

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const inline = median(rates[contenders[0]!.name]!)
const machine = `${os.cpus()[0]?.model.trim()} (${os.cpus().length} CPUs), Node ${process.version}`
const rows = contenders.map((c) => ({ name: c.name, rate: median(rates[c.name]!), runs: rates[c.name]! }))
mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
writeFileSync(join(ROOT, 'bench/results/ingress.pool.json'), JSON.stringify({ machine, date: new Date().toISOString(), worldMpxns: WORLD_MPXNS, messages: MESSAGES, snapshotCloneMicros: { wire: cloneUs, plainObjects: cloneObjectsUs }, rows }, null, 2) + '\n')
const f0 = (n: number) => Math.round(n).toLocaleString('en-GB')
const md = [
  '# ingress.pool', '',
  `Machine: ${machine}, ${new Date().toISOString()}. Registry: generated world of ${f0(WORLD_MPXNS)} MPxNs; ${f0(MESSAGES)} messages`,
  `(bench/lib/duis-corpus.ts) per run, ${RUNS} interleaved runs, medians; batchSize 32. Regenerate: \`npx tsx bench/ingress.pool.bench.ts\`.`, '',
  '| evaluate (parse + lookup + decide) | messages/s | x inline | runs |', '|---|---:|---:|---|',
  ...rows.map((r) => `| ${r.name} | ${f0(r.rate)} | ${(r.rate / inline).toFixed(2)} | ${r.runs.map(f0).join(', ')} |`),
  '', `Handing the registry snapshot to a worker with each task (structured clone; the typed arrays live on SharedArrayBuffers and are shared,`,
  `not copied): ${cloneUs.toFixed(1)} µs per task with parties as one JSON string (what the pool sends), ${cloneObjectsUs.toFixed(1)} µs as party objects.`,
]
writeFileSync(join(ROOT, 'bench/results/ingress.pool.md'), md.join('\n') + '\n')
process.stdout.write(md.join('\n') + '\n')
