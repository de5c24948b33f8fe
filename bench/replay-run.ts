// One benchmark run: traffic (generated once, cached), a recording sink, then for each round the
// same replay through the baseline proxy and through the real gateway (a child process from
// dist/), interleaved, with zero-loss accounting on every gateway round.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { account, type Accounting } from './report-accounting.js'
import { percentiles, replayAll, type ReplayResult } from './replay.js'
import { cpuSeconds, metricSum, peakRssMiB, ROOT, scrapeMetrics, startBaselineProcess, startFloorProcess, startGatewayProcess, startSinkProcess, waitForDrain } from './replay-procs.js'
import { fetchReceipts, receiptCount, resetSink } from './sink.js'
import { loadTraffic, type Traffic, type TrafficParams } from './traffic.js'
import { POLICY } from './traffic-mix.js'
import { loadWorldModel, writeRunParties } from './traffic-world.js'

export interface BenchOptions extends TrafficParams {
  name: string
  quick: boolean
  rounds: number
  concurrency: number
  /**
   * --floor: the durable floor (bench/durable-floor.ts) as a third contender in every round: each
   * document appended to a file with one fdatasync per group before its 200, then posted to the
   * sink when the oracle says the gateway delivers or forwards it; none of the gateway's other work.
   * 'contract' (--contract-floor): the contract floor instead (FLOOR_MODE=contract), which also
   * parses each document (422 where the gateway answers 422), journals it and writes its audit row
   */
  floor?: boolean | 'contract'
  cacheDir: string
  /** the command line, for the report */
  command?: string
  log?: (line: string) => void
}

export interface RoundStats {
  target: 'gateway' | 'baseline' | 'floor'
  round: number
  /** messages per second over the replay (first request to last response) */
  throughput: number
  replayMs: number
  /** gateway: after the last response, until dccgw_spool_depth was 0 */
  drainMs: number
  p50: number
  p95: number
  p99: number
  max: number
  /** CPU seconds of the server process during replay + drain, and as % of one core */
  cpuSeconds: number
  cpuPercent: number
  /** of those, the main thread's (the event loop: HTTP, parse, decide, journal appends, delivery) */
  mainCpuSeconds?: number
  /** the same for the replayer (this process) and the sink: what the load itself took of the machine */
  loadCpuPercent?: { replayer: number; sink: number }
  peakRssMiB: number
  retries: number
  timeline: number[]
  bucketMs: number
  registryLoadSeconds?: number
  accounting?: Accounting
  /** baseline and floor: messages refused, or missing, duplicated or altered at the sink */
  baselineProblems?: string[]
}

export interface BenchResult {
  name: string
  date: string
  command: string
  machine: { cpus: number; cpuModel: string; memGiB: number; node: string; platform: string; note: string }
  params: Omit<BenchOptions, 'log' | 'cacheDir' | 'command'>
  world: { dir: string; tenant: string; failed: string; mpans: number; mprns: number; devices: number; registrationRows: number }
  mix: Record<string, number>
  rounds: RoundStats[]
  ok: boolean
}

/** CPU seconds so far of the server process (all threads, and its main thread), the replayer (this process) and the sink. */
interface CpuMark { server: number; main: number; replayer: number; sink: number }
function cpuMark(serverPid: number, sinkPid: number): CpuMark {
  const u = process.cpuUsage()
  return { server: cpuSeconds(serverPid), main: cpuSeconds(serverPid, true), replayer: (u.user + u.system) / 1e6, sink: cpuSeconds(sinkPid) }
}

function stats(target: RoundStats['target'], round: number, r: ReplayResult, drainMs: number, rss: number, cpu0: CpuMark, serverPid: number, sinkPid: number): RoundStats {
  const [p50, p95, p99, max] = percentiles(r.latencyMs, [50, 95, 99, 100])
  const wall = (r.elapsedMs + drainMs) / 1000
  const cpu1 = cpuMark(serverPid, sinkPid)
  const cpu = cpu1.server - cpu0.server
  return {
    target, round, throughput: r.sent / (r.elapsedMs / 1000), replayMs: r.elapsedMs, drainMs,
    p50: p50!, p95: p95!, p99: p99!, max: max!, cpuSeconds: cpu, cpuPercent: (100 * cpu) / wall, mainCpuSeconds: cpu1.main - cpu0.main,
    loadCpuPercent: { replayer: (100 * (cpu1.replayer - cpu0.replayer)) / wall, sink: (100 * (cpu1.sink - cpu0.sink)) / wall },
    peakRssMiB: rss, retries: r.retries, timeline: r.timeline, bucketMs: r.bucketMs,
  }
}

/**
 * Checks a contender that hands on what it accepts: every document answered as `statusOf` says (200
 * unless given; the contract floor answers 422 where the gateway does) and, for those in `posted`,
 * at the sink once under its key with its bytes.
 */
export function handOnProblems(t: Pick<Traffic, 'bodies' | 'hashes'>, r: ReplayResult, receipts: { k: string; h: string }[], keyOf: (i: number) => string, posted: (i: number) => boolean, statusOf: (i: number) => number = () => 200): string[] {
  const problems: string[] = []
  const got = new Map<string, string>()
  for (const x of receipts) {
    if (got.has(x.k)) problems.push(`#${x.k} twice at the sink`)
    got.set(x.k, x.h)
  }
  let expected = 0
  for (let i = 0; i < t.bodies.length && problems.length < 25; i++) {
    if (r.status[i] !== statusOf(i)) problems.push(`#${i}: HTTP ${r.status[i]}, expected ${statusOf(i)}`)
    else if (posted(i)) {
      expected++
      if (got.get(keyOf(i)) !== t.hashes[i]) problems.push(`#${i}: missing or altered at the sink`)
    }
  }
  if (problems.length === 0 && got.size !== expected) problems.push(`${got.size} documents at the sink, ${expected} expected`)
  return problems
}

interface Sink { url: string; pid: number }

async function baselineRound(t: Traffic, o: BenchOptions, sink: Sink, round: number): Promise<RoundStats> {
  await resetSink(sink.url)
  const proxy = await startBaselineProcess(sink.url, o.concurrency)
  try {
    const cpu0 = cpuMark(proxy.pid, sink.pid)
    const r = await replayAll(`${proxy.url}/duis`, t.bodies, o.concurrency)
    const s = stats('baseline', round, r, 0, peakRssMiB(proxy.pid), cpu0, proxy.pid, sink.pid)
    s.baselineProblems = handOnProblems(t, r, await fetchReceipts(sink.url), String, () => true)
    return s
  } finally {
    await proxy.stop()
  }
}

/** The gateway's outcomes that reach the sink: what the floor posts. */
const POSTED = new Set(['deliver', 'forward'])

async function floorRound(t: Traffic, o: BenchOptions, sink: Sink, round: number): Promise<RoundStats> {
  await resetSink(sink.url)
  mkdirSync(join(o.cacheDir, 'runs'), { recursive: true })
  const dir = mkdtempSync(join(o.cacheDir, 'runs', 'floor-'))
  const posts = Uint8Array.from(t.expected, (e) => (POSTED.has(e.decision) ? 1 : 0))
  const posted = (i: number) => posts[i] === 1
  const postsFile = join(dir, 'posts')
  writeFileSync(postsFile, posts)
  const contract = o.floor === 'contract'
  const floor = await startFloorProcess(sink.url, dir, postsFile, contract ? 'contract' : 'durable')
  try {
    const cpu0 = cpuMark(floor.pid, sink.pid)
    const r = await replayAll(`${floor.url}/duis`, t.bodies, o.concurrency)
    // drained: the posts made after the last answer have reached the sink
    const want = posts.reduce((n, x) => n + x, 0)
    const d0 = performance.now()
    while ((await receiptCount(sink.url)) < want && performance.now() - d0 < 60_000) await new Promise((res) => setTimeout(res, 50))
    const s = stats('floor', round, r, performance.now() - d0, peakRssMiB(floor.pid), cpu0, floor.pid, sink.pid)
    s.baselineProblems = handOnProblems(t, r, await fetchReceipts(sink.url), (i) => `floor-${i}`, posted, contract ? (i) => t.expected[i]!.status : undefined)
    return s
  } finally {
    await floor.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * A fresh run folder under <cacheDir>/runs with the benchmark's gateway config (the world's
 * registry, adapters and notice endpoints on the sink, the benchmark policy, a new store in
 * <dir>/data, `store` merged in, `extra` sections added). Also used by the soak and the cluster bench.
 */
export function writeGatewayRun(cacheDir: string, worldDir: string, sinkUrl: string, tenant: string, store: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): { dir: string; configFile: string; dataDir: string } {
  mkdirSync(join(cacheDir, 'runs'), { recursive: true })
  const dir = mkdtempSync(join(cacheDir, 'runs', 'gw-'))
  const config = {
    server: { host: '127.0.0.1', port: 0 },
    tenants: [tenant],
    registry: { registrations: join(worldDir, 'registrations.csv'), devices: join(worldDir, 'devices.csv'), parties: writeRunParties(worldDir, dir, sinkUrl) },
    policy: POLICY,
    store: { path: join(dir, 'data'), ...store },
    admin: { token: 'bench' },
    log: { level: 'warn' },
    ...extra,
  }
  const configFile = join(dir, 'gateway.yaml')
  writeFileSync(configFile, stringify(config))
  return { dir, configFile, dataDir: join(dir, 'data') }
}

async function gatewayRound(t: Traffic, o: BenchOptions, sink: Sink, round: number, tenant: string): Promise<RoundStats> {
  await resetSink(sink.url)
  const { dir, configFile } = writeGatewayRun(o.cacheDir, t.worldDir, sink.url, tenant)
  const gw = await startGatewayProcess(configFile)
  try {
    const cpu0 = cpuMark(gw.pid, sink.pid)
    const r = await replayAll(`${gw.url}/duis`, t.bodies, o.concurrency)
    const drainMs = await waitForDrain(gw.url, 600_000)
    const s = stats('gateway', round, r, drainMs, peakRssMiB(gw.pid), cpu0, gw.pid, sink.pid)
    const metrics = await scrapeMetrics(gw.url)
    s.registryLoadSeconds = metricSum(metrics, 'dccgw_registry_load_duration_seconds')
    s.accounting = account({ expected: t.expected, hashes: t.hashes, replay: r, receipts: await fetchReceipts(sink.url), metrics })
    return s
  } finally {
    await gw.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function runBenchmark(o: BenchOptions): Promise<BenchResult> {
  const log = o.log ?? (() => {})
  const t = await loadTraffic(o.cacheDir, o, log)
  const w = loadWorldModel(t.worldDir)
  log(`traffic: ${t.bodies.length} documents, ${(t.bodies.reduce((s, b) => s + b.length, 0) / 2 ** 20).toFixed(1)} MiB; world ${t.worldDir}`)
  const sink = await startSinkProcess()
  const rounds: RoundStats[] = []
  try {
    for (let round = 1; round <= o.rounds; round++) {
      // Interleaved, alternating which goes first, so drift on a shared machine hits both.
      const targets: RoundStats['target'][] = o.floor ? ['baseline', 'floor', 'gateway'] : ['baseline', 'gateway']
      const order = round % 2 === 1 ? targets : [...targets].reverse()
      for (const target of order) {
        const s = target === 'gateway' ? await gatewayRound(t, o, sink, round, w.tenant)
          : target === 'floor' ? await floorRound(t, o, sink, round) : await baselineRound(t, o, sink, round)
        rounds.push(s)
        const acc = s.accounting ? `; accounting ${s.accounting.ok ? 'ok' : `FAILED (${s.accounting.problemCount} problems)`}` : ''
        log(`round ${round} ${target}: ${s.throughput.toFixed(0)} msg/s, replay ${(s.replayMs / 1000).toFixed(1)} s` +
          `${target !== 'baseline' ? ` + drain ${(s.drainMs / 1000).toFixed(1)} s` : ''}, p50 ${s.p50.toFixed(2)} p99 ${s.p99.toFixed(2)} ms, ` +
          `CPU ${s.cpuPercent.toFixed(0)}%, peak RSS ${s.peakRssMiB.toFixed(0)} MiB${acc}`)
      }
    }
  } finally {
    await sink.stop()
  }
  const { log: _l, cacheDir: _c, command: _cmd, ...params } = o
  const m = w.manifest
  const ok = rounds.every((s) => (s.accounting ? s.accounting.ok : (s.baselineProblems ?? []).length === 0))
  return {
    name: o.name,
    date: new Date().toISOString(),
    command: o.command ?? (o.quick ? 'npm run bench -- --quick' : 'npm run bench'),
    machine: {
      cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version, platform: `${process.platform} ${process.arch}`,
      // a fact, not a claim: what else the machine was doing shows in its load average
      note: `1-minute load average ${loadavg()[0]!.toFixed(1)} at the end of the run`,
    },
    params,
    world: { dir: w.dir.replace(`${ROOT}/`, ''), tenant: w.tenant, failed: w.failed, mpans: m.mpans, mprns: m.mprns, devices: m.devices, registrationRows: m.registrationRows },
    mix: t.mix,
    rounds,
    ok,
  }
}
