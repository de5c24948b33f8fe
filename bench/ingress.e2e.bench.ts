// bench: ingress end to end, accepted messages/s and latency over HTTP keep-alive (autocannon),
// real gateway (dist/, child process, durable acks: the journal's fdatasync before every 200)
// against a bare node:http server that reads the body and answers 200. Same run, same machine,
// contenders interleaved: the headline figure is the median of the per-round ratios (gateway over
// bare in the same round). Every gateway run is drained and checked for zero lost: each deliver
// decision it counted must have reached the adapter (the bare server, counting Idempotency-Keys).
// Then p99 at half of each pool-0 gateway's median peak rate (open loop; HALF_RATE=N: at N msg/s for all).
//   npm run bench:ingress            (RUNS=3 SECONDS=5 CONNECTIONS=64 POOL_SIZES=0 PROFILE=1 EXTRA=0)
// PROFILE_RATE=N makes the --cpu-prof run an open loop at N msg/s (PROFILE_ARGS: more Node flags for it)
// and prints the slowest answer of each second (as the p99 runs at half the peak rate do); CPU_PROF=0
// runs it without --cpu-prof (the profiler's sampling costs the main thread) and lists no frames.
// TAIL_TRACE=DIR with PROFILE_RATE: that run also traces where its slow answers waited (each request's
// latency, the gateway's GC pauses and event-loop gaps with its time on and off a core:
// bench/lib/loop-trace.mjs, bench/lib/tail-trace.ts) and prints the join; the traces stay in DIR.
// Unless CPU_PROF=0 it also prints what the main thread ran inside those gaps (the profile laid over them).
// NODE_ARGS="--max-semi-space-size=2" adds the gateway with those Node flags as a contender;
// CHECKPOINT_MS=N the gateway with store.checkpointIntervalMs N.
// BASE_DIST=DIR adds the same gateway (FULL, pool 0) started from another compiled dist/ (e.g. a copy of
// main's build) as a contender in every round, so a change's before/after is measured in one run: its
// rows show the rate, "x base" and the CPU per thread of each side.
// STARTUP=1 measures only the first seconds after a start (STARTUP_RATE msg/s, default 2600, open loop
// from the moment /readyz answers 200, STARTUP_SECONDS (6) cold, then as many warm on the same gateway as
// the control, then again after a restart on its store; slowest answer and p99 per BUCKET_MS (250),
// medians of RUNS): writes bench/results/startup.md.
// FLOOR=0 leaves out the durable floor (bench/durable-floor.ts: body to a file with a group
// fdatasync, 200, one POST per delivered message; none of the gateway's work), the bound on what any
// gateway could reach here. CONTRACT=0 leaves out the contract floor (the same with FLOOR_MODE=contract:
// also the envelope parse, a journal record through the gateway's Journal and its audit row
// through the gateway's projection worker: the least the contract itself asks). EXTRA=1 adds store.synchronous NORMAL and the in-commit checkpoint (both only touch the SQLite
// projection now). Writes bench/results/ingress.e2e.{json,md}. PROFILE=1 adds one --cpu-prof run
// of the gateway (FULL, pool 0) and lists its top self-time frames.
import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { parse, stringify } from 'yaml'
import { buildDuisDocument } from '../test/support/duis-builder.js'
import { generateWorld, type WorldManifest } from './world.js'
import { openLoop } from './lib/open-loop.js'
import { type CpuProfile, gapReport, tailReport } from './lib/tail-trace.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RUNS = Number(process.env.RUNS ?? 3)
const SECONDS = Number(process.env.SECONDS ?? 5)
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64)
const POOL_SIZES = (process.env.POOL_SIZES ?? '0').split(',').map(Number)
const EXTRA = process.env.EXTRA === '1'
const PROFILE = process.env.PROFILE !== '0'
const FLOOR = process.env.FLOOR !== '0'
const CONTRACT = process.env.CONTRACT !== '0'
const MARK = '777777777777'
const WORLD_MPXNS = Number(process.env.WORLD_MPXNS ?? 20_000)

// A generated world (bench/world.ts, seed 1) so traffic spreads over many households, as the
// spool delivers one MPxN's messages in order. Mix per 20 messages: 12 deliver (responsible, the
// tenant's current meters), 5 drop (stale-CoS non-critical), 2 quarantine (unknown device),
// 1 forward (stale-CoS critical). One template per device, split at the counter.
const worldDir = mkdtempSync(join(os.tmpdir(), 'dccgw-bench-world-'))
const manifest: WorldManifest = await generateWorld({ mpxns: WORLD_MPXNS, seed: 1 }, worldDir)
const tenantUser = '90-B3-D5-1F-30-10-00-00'

function tenantDevices(limit: number): string[] {
  const current = new Map<string, string>() // mpxn -> supplier of its latest period
  for (const line of readFileSync(join(worldDir, 'registrations.csv'), 'utf8').split('\n').slice(1)) {
    const [mpxn, mpid, , to] = line.split(',')
    if (mpxn && !to) current.set(mpxn, mpid!)
  }
  const out: string[] = []
  for (const line of readFileSync(join(worldDir, 'devices.csv'), 'utf8').split('\n').slice(1)) {
    const [device, type, mpxn] = line.split(',')
    if ((type === 'ESME' || type === 'GSME') && /^[EG]000$/.test(current.get(mpxn ?? '') ?? '')) out.push(device!)
    if (out.length >= limit) break
  }
  return out
}

function templates(): string[][] {
  const t = (device: string, user: string, alertCode: string, gbcsCritical: boolean, when: string) =>
    buildDuisDocument({ kind: 'device_alert', device, alertCode, gbcsCritical, counter: MARK, responseId: `${device}:${user}:${MARK}`, responseDateTime: when }).split(MARK)
  const late = '2025-10-15T08:15:30.120Z' // after every stale-CoS supply start date in the manifest
  const own = tenantDevices(1200).map((d) => t(d, tenantUser, '8F12', false, late))
  const stale = manifest.staleCos.filter((c) => c.ssd < late.slice(0, 10)).flatMap((c) => c.devices.map((d) => ({ d, u: c.losingUserId })))
  const drops = stale.map((x) => t(x.d, x.u, '8F12', false, late))
  const forwards = stale.map((x) => t(x.d, x.u, '8F35', true, late))
  const unknown = Array.from({ length: 50 }, (_, k) => t(`00-99-99-99-99-99-99-${k.toString(16).padStart(2, '0').toUpperCase()}`, tenantUser, '8F12', false, late))
  const out: string[][] = []
  for (let k = 0; out.length < 20_000; k++) {
    const slot = k % 20
    const pick = <T>(xs: T[]) => xs[k % xs.length]!
    out.push(slot < 12 ? pick(own) : slot < 17 ? pick(drops) : slot < 19 ? pick(unknown) : pick(forwards))
  }
  return out
}
const mix = templates()
let counter = 1_000_000

interface Target { url: string; child: ChildProcess; dir?: string }

async function waitListening(child: ChildProcess, re: RegExp): Promise<string> {
  let out = ''
  return new Promise((resolve, reject) => {
    const on = (d: Buffer) => {
      out += d.toString()
      const m = re.exec(out)
      if (m) resolve(m[1]!)
    }
    child.stdout!.on('data', on)
    child.stderr!.on('data', on)
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)))
  })
}

// The bare server is also the gateway's adapter: it remembers the Idempotency-Keys it was sent
// (GET /_keys: how many distinct; POST /_reset) so that a run can prove nothing was lost.
const BARE = `const http = require('node:http')
let keys = new Set()
const s = http.createServer((req, res) => { const c = []; req.on('data', (d) => c.push(d)); req.on('end', () => {
  const k = req.headers['idempotency-key']; if (k !== undefined) keys.add(k)
  if (req.url === '/_keys') { const b = String(keys.size); res.writeHead(200, { 'content-length': b.length }); return res.end(b) }
  if (req.url === '/_reset') { keys = new Set(); res.writeHead(204); return res.end() }
  const body = '{"ok":true}'; res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body) }) })
s.keepAliveTimeout = 65000; s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port))`

async function startBare(): Promise<Target> {
  const child = spawn(process.execPath, ['-e', BARE], { stdio: ['ignore', 'pipe', 'pipe'] })
  return { child, url: await waitListening(child, /listening on (http\S+)/) }
}

function makeWorld(adapterUrl: string): string {
  const dir = mkdtempSync(join(os.tmpdir(), 'dccgw-bench-'))
  const parties = parse(readFileSync(join(worldDir, 'parties.yaml'), 'utf8')) as Record<string, unknown>[]
  for (const p of parties) if (p.id === manifest.tenant) p.adapter = { url: adapterUrl }
  writeFileSync(join(dir, 'parties.yaml'), stringify(parties))
  return dir
}

async function startFloor(adapterUrl: string, mode: 'durable' | 'contract' = 'durable', nodeArgs: string[] = []): Promise<Target> {
  const dir = mkdtempSync(join(os.tmpdir(), 'dccgw-floor-'))
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, 'bench/durable-floor.ts'), adapterUrl, dir], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT, env: { ...process.env, FLOOR_MODE: mode } })
  return { child, dir, url: await waitListening(child, /listening on (http\S+)/) }
}

/**
 * A package root to run another compiled dist/ from (BASE_DIST): the gateway finds package.json,
 * schemas/ and assets/ above its modules and its dependencies in node_modules, so the folder is
 * copied under a temporary root holding copies of those files and a link to this node_modules.
 * A BASE_DIST that already holds package.json is used as it is.
 */
function baseRoot(dist: string): { main: string; cleanup: () => void } {
  if (existsSync(join(dist, 'package.json'))) return { main: join(dist, 'dist/cli/main.js'), cleanup: () => {} }
  const root = mkdtempSync(join(os.tmpdir(), 'dccgw-base-'))
  cpSync(dist, join(root, 'dist'), { recursive: true })
  for (const f of ['package.json', 'schemas', 'assets']) cpSync(join(ROOT, f), join(root, f), { recursive: true })
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir')
  return { main: join(root, 'dist/cli/main.js'), cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

async function startGateway(adapterUrl: string, synchronous: 'FULL' | 'NORMAL', pool: number, nodeArgs: string[] = [], checkpointIntervalMs?: number, main = join(ROOT, 'dist/cli/main.js')): Promise<Target> {
  const dir = makeWorld(adapterUrl)
  const config = {
    server: { host: '127.0.0.1', port: 0 }, tenants: [manifest.tenant],
    registry: { registrations: join(worldDir, 'registrations.csv'), devices: join(worldDir, 'devices.csv'), parties: 'parties.yaml' },
    store: { path: './data', synchronous, ...(checkpointIntervalMs !== undefined && { checkpointIntervalMs }) }, pool: { size: pool }, log: { level: 'warn' }, metrics: { processMetrics: false },
  }
  writeFileSync(join(dir, 'gateway.yaml'), stringify(config))
  return spawnGateway(dir, nodeArgs, main)
}

/** Starts the gateway configured in `dir` (again: a restart on the same store). */
async function spawnGateway(dir: string, nodeArgs: string[], main: string): Promise<Target> {
  const child = spawn(process.execPath, [...nodeArgs, main, 'serve', '--config', join(dir, 'gateway.yaml')], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir })
  return { child, dir, url: await waitListening(child, /listening on (http\S+)/) }
}

async function stop(t: Target): Promise<void> {
  if (t.child.exitCode === null) {
    const exited = new Promise((r) => t.child.once('exit', r))
    t.child.kill('SIGTERM')
    await exited
  }
}

interface Sample { rate: number; p50: number; p99: number; non2xx: number; errors: number; lost?: number; cpu?: CpuPerMessage }

/**
 * CPU a process spent per accepted message, read from /proc (Linux): its main thread's time on a
 * core and its time runnable but waiting for one (schedstat, ns), and all its threads' user +
 * system time (stat, clock ticks). Less sensitive to a loaded machine than the rate: the main
 * thread's CPU per message is what the gateway's throughput is bound by.
 */
interface CpuPerMessage { mainUs: number; processUs: number; mainWaitPct: number; threadsUs: string }
interface CpuReading { mainRunNs: number; mainWaitNs: number; ticks: number; at: number; threads: Map<number, number> }
function cpuReading(pid: number | undefined): CpuReading | undefined {
  if (pid === undefined) return undefined
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // fields from 3 (state) on
    const threads = new Map<number, number>() // every thread's time on a core (ns), by thread id
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        threads.set(Number(tid), Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]))
      } catch { /* the thread ended */ }
    }
    return { mainRunNs: run!, mainWaitNs: wait!, ticks: Number(f[11]) + Number(f[12]), at: performance.now(), threads }
  } catch {
    return undefined // not Linux
  }
}
function cpuPerMessage(a: CpuReading | undefined, b: CpuReading | undefined, messages: number): CpuPerMessage | undefined {
  if (a === undefined || b === undefined || messages === 0) return undefined
  const wallNs = (b.at - a.at) * 1e6
  // the busiest threads' µs per message, as "thread-id-offset:µs" (offset from the main thread's id: Node names no thread)
  const pid = Math.min(...b.threads.keys())
  const threadsUs = [...b.threads].map(([tid, ns]) => [tid - pid, (ns - (a.threads.get(tid) ?? 0)) / 1000 / messages] as const)
    .filter(([, us]) => us >= 1).sort((x, y) => y[1] - x[1]).slice(0, 8).map(([t, us]) => `${t}:${us.toFixed(0)}`).join(' ')
  return { mainUs: (b.mainRunNs - a.mainRunNs) / 1000 / messages, processUs: ((b.ticks - a.ticks) * 10_000) / messages, mainWaitPct: (100 * (b.mainWaitNs - a.mainWaitNs)) / wallNs, threadsUs }
}

/** Sum of a metric's samples whose label text contains `match`. */
async function metric(url: string, name: string, match = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) && line.includes(match)) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  return sum
}

/**
 * After a gateway run: waits until its spool is empty (at most 60 s), then compares the deliver
 * decisions it acknowledged with the distinct Idempotency-Keys the adapter received. Returns how
 * many were lost (0, or the run fails).
 */
async function lostAtAdapter(gateway: string, adapter: string): Promise<number> {
  const t0 = performance.now()
  while ((await metric(gateway, 'dccgw_spool_depth', 'adapter')) > 0) {
    if (performance.now() - t0 > 60_000) break
    await new Promise((r) => setTimeout(r, 100))
  }
  const delivers = await metric(gateway, 'dccgw_decisions_total', 'decision="deliver"')
  const received = Number(await (await fetch(`${adapter}/_keys`)).text())
  return delivers - received
}

async function load(url: string, seconds: number, overallRate?: number, pid?: number): Promise<Sample> {
  const before = cpuReading(pid)
  const r = await autocannon({
    url: `${url}/duis`, connections: CONNECTIONS, pipelining: 1, duration: seconds, ...(overallRate !== undefined && { overallRate }),
    requests: [{ method: 'POST', headers: { 'content-type': 'application/xml' },
      setupRequest: (req) => {
        const n = counter++
        const parts = mix[n % mix.length]!
        return { ...req, body: parts.join(String(n)) }
      } }],
  })
  const cpu = cpuPerMessage(before, cpuReading(pid), r['2xx'])
  return { rate: r['2xx'] / seconds, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, ...(cpu !== undefined && { cpu }) }
}

/**
 * Run folders (store, journal, outbox files) are removed at the end, not between runs: on ext4
 * without a journal (this machine's disk) every inode created within a minute of many deletions
 * scans the recently deleted ones in its group (find_inode_bit, recently_deleted), so removing one
 * run's thousands of outbox files made the next contender's file creations cost several times
 * more CPU than its own work (measured alone: ~40 µs per create on a quiet disk, ~150-390 µs right
 * after deleting 5,000 files).
 */
const spent: string[] = []

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main(): Promise<void> {
  const bare = await startBare()
  // every way out: the bare server is a child process (exiting without stopping it left it
  // running), the world and the spent run folders are removed
  const cleanUp = async () => {
    await stop(bare)
    rmSync(worldDir, { recursive: true, force: true })
    for (const dir of spent) rmSync(dir, { recursive: true, force: true })
  }
  if (process.env.STARTUP === '1') {
    await startupRuns(bare.url)
    return cleanUp()
  }
  if (process.env.PROFILE_ONLY === '1') { // just the --cpu-prof run, e.g. with PROFILE_KEEP
    process.stdout.write(JSON.stringify(await cpuProfile(bare.url), null, 1) + '\n')
    return cleanUp()
  }
  // owned: started for each run and stopped after it
  const contenders: { name: string; start: () => Promise<Target>; gateway: boolean; owned: boolean }[] = [
    { name: 'bare node:http', start: async () => bare, gateway: false, owned: false },
  ]
  if (FLOOR) contenders.push({ name: 'durable floor (bench/durable-floor.ts)', start: () => startFloor(bare.url), gateway: false, owned: true })
  if (CONTRACT) contenders.push({ name: 'contract floor (bench/durable-floor.ts, FLOOR_MODE=contract)', start: () => startFloor(bare.url, 'contract'), gateway: false, owned: true })
  for (const size of POOL_SIZES) for (const sync of ['FULL', 'NORMAL'] as const) {
    if ((size > 0 || !EXTRA) && sync === 'NORMAL') continue // the pool's effect is read on FULL
    contenders.push({ name: `gateway ${sync} pool.size=${size}`, start: () => startGateway(bare.url, sync, size), gateway: true, owned: true })
  }
  // NODE_ARGS="--flag ...": the same gateway once more with those Node flags (e.g. a bounded young
  // generation), as its own contender in every round
  const nodeArgs = (process.env.NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
  if (nodeArgs.length > 0) {
    contenders.push({ name: `gateway FULL pool.size=0 ${nodeArgs.join(' ')}`, start: () => startGateway(bare.url, 'FULL', 0, nodeArgs), gateway: true, owned: true })
  }
  // BASE_DIST=DIR: the same gateway from another build, the in-run "before" of a change
  const base = process.env.BASE_DIST ? baseRoot(process.env.BASE_DIST) : undefined
  if (base !== undefined) {
    contenders.push({ name: `gateway FULL pool.size=0 base (${process.env.BASE_DIST})`, start: () => startGateway(bare.url, 'FULL', 0, [], undefined, base.main), gateway: true, owned: true })
  }
  // CHECKPOINT_MS=N: the same gateway with store.checkpointIntervalMs N (the checkpointer thread's round)
  if (process.env.CHECKPOINT_MS) {
    const ms = Number(process.env.CHECKPOINT_MS)
    contenders.push({ name: `gateway FULL pool.size=0 checkpointIntervalMs ${ms}`, start: () => startGateway(bare.url, 'FULL', 0, [], ms), gateway: true, owned: true })
  }
  // The same gateway with SQLite's automatic WAL checkpoint inside commits (store.checkpointIntervalMs 0)
  // instead of the checkpointer thread: the stall it causes shows in the p99 at half the peak rate.
  if (POOL_SIZES.includes(0) && EXTRA) {
    contenders.push({ name: 'gateway FULL pool.size=0 in-commit checkpoint', start: () => startGateway(bare.url, 'FULL', 0, [], 0), gateway: true, owned: true })
  }
  const peak: Record<string, Sample[]> = Object.fromEntries(contenders.map((c) => [c.name, []]))
  for (let run = 0; run < RUNS; run++) {
    // every other round runs the contenders after the bare server in reverse order, so neither side
    // of a before/after pair always follows the other (a warm page cache, a helper's burst)
    for (const c of run % 2 === 0 ? contenders : [contenders[0]!, ...contenders.slice(1).reverse()]) {
      if (c.gateway) await fetch(`${bare.url}/_reset`, { method: 'POST' })
      const t = await c.start()
      await load(t.url, 1) // warm up
      const s = await load(t.url, SECONDS, undefined, t.child.pid)
      if (c.gateway) s.lost = await lostAtAdapter(t.url, bare.url)
      peak[c.name]!.push(s)
      process.stdout.write(`run ${run + 1} ${c.name}: ${s.rate.toFixed(0)}/s p50 ${s.p50} ms p99 ${s.p99} ms${c.gateway ? ` non-2xx ${s.non2xx} lost ${s.lost}` : ''}${s.cpu ? ` main ${s.cpu.mainUs.toFixed(0)} µs/msg (waiting ${s.cpu.mainWaitPct.toFixed(0)}%) process ${s.cpu.processUs.toFixed(0)} µs/msg; by thread ${s.cpu.threadsUs}` : ''} (load ${os.loadavg()[0]!.toFixed(1)})\n`)
      if (c.owned) { await stop(t); spent.push(t.dir!) }
    }
  }
  const bareRuns = peak[contenders[0]!.name]!
  const summary = contenders.map((c) => {
    const xs = peak[c.name]!
    const ratios = xs.map((s, k) => s.rate / bareRuns[k]!.rate)
    return {
      name: c.name, rate: median(xs.map((s) => s.rate)), p50: median(xs.map((s) => s.p50)), p99: median(xs.map((s) => s.p99)), runs: xs,
      ratios, ratio: median(ratios), lost: xs.reduce((a, s) => a + (s.lost ?? 0), 0), non2xx: xs.reduce((a, s) => a + s.non2xx + s.errors, 0),
    }
  })
  const bareRate = summary[0]!.rate
  // BASE_DIST: each gateway over the base build, per round (rate; main-thread and process CPU per message)
  const baseRuns = base !== undefined ? peak[contenders.find((c) => c.name.includes(' base ('))!.name]! : undefined
  const vsBase = baseRuns === undefined ? [] : summary.filter((s) => s.name.startsWith('gateway') && !s.name.includes(' base (')).map((s) => {
    const per = (f: (x: Sample) => number | undefined) => s.runs.map((x, k) => (f(x) ?? NaN) / (f(baseRuns[k]!) ?? NaN))
    return { name: s.name, rate: per((x) => x.rate), mainUs: per((x) => x.cpu?.mainUs), processUs: per((x) => x.cpu?.processUs) }
  })
  for (const v of vsBase) process.stdout.write(`${v.name} over base, median of rounds: rate ${median(v.rate).toFixed(2)}x (${v.rate.map((x) => x.toFixed(2)).join(', ')}), main µs/msg ${median(v.mainUs).toFixed(2)}x, process µs/msg ${median(v.processUs).toFixed(2)}x\n`)
  // p99 at half of the median peak, for the durable gateways on the main thread
  // Open loop, evenly spaced (bench/lib/open-loop.ts), with the bare server measured at the same
  // rate in the same round as the baseline.
  const half: HalfPeak[] = []
  const nextBody = () => {
    const n = counter++
    return mix[n % mix.length]!.join(String(n))
  }
  // HALF_RATE=N: every gateway at N msg/s instead of half its own peak (a change's before and after
  // at the same offered load). The runs are interleaved like the peak rounds: each contender once
  // per round, every other round in reverse order.
  const halfRate = Number(process.env.HALF_RATE ?? 0)
  const halfContenders = contenders.filter((x) => x.gateway && x.name.includes('pool.size=0'))
  const halves = halfContenders.map((c) => {
    const rate = halfRate > 0 ? halfRate : Math.round(summary.find((s) => s.name === c.name)!.rate / 2)
    const h: HalfPeak = { name: c.name, rate, p99: [], p50: [], bareP99: [], floorP99: [], contractP99: [] }
    return { c, h }
  })
  for (let run = 0; run < RUNS; run++) {
    for (const { c, h } of run % 2 === 0 ? halves : [...halves].reverse()) {
      const rate = h.rate
      const t = await c.start()
      await openLoop(`${t.url}/duis`, rate, 1, nextBody)
      const s = await openLoop(`${t.url}/duis`, rate, SECONDS, nextBody)
      process.stdout.write(`half-peak run ${run + 1} ${c.name}: ${rate}/s p99 ${s.p99} ms; slowest per second ${s.maxBySecond.join(' ')} ms\n`)
      h.p99.push(s.p99)
      h.p50.push(s.p50)
      await stop(t)
      spent.push(t.dir!)
      h.bareP99.push((await openLoop(`${bare.url}/duis`, rate, SECONDS, nextBody)).p99)
      // the floors at the same rate: the latency of a group fdatasync and two HTTP exchanges alone,
      // then with the parse, the journal record and the audit row
      const floors = [[FLOOR, 'durable', h.floorP99], [CONTRACT, 'contract', h.contractP99]] as const
      for (const [on, mode, p99s] of floors) {
        if (!on) continue
        const f = await startFloor(bare.url, mode)
        await openLoop(`${f.url}/duis`, rate, 1, nextBody)
        p99s.push((await openLoop(`${f.url}/duis`, rate, SECONDS, nextBody)).p99)
        await stop(f)
        spent.push(f.dir!)
      }
    }
  }
  half.push(...halves.map((x) => x.h))
  const profile = PROFILE ? await cpuProfile(bare.url) : []
  base?.cleanup()
  await cleanUp()
  writeResults({ bareRate, summary, vsBase, half, profile, load: os.loadavg() })
  if (summary.some((s) => s.lost !== 0)) {
    process.stdout.write('FAIL: a gateway run lost deliveries at the adapter\n')
    process.exitCode = 1
  }
}

/** When (ms from now) the journal folder first held `n` segment files: the spare's preparation starts then. */
function whenSegments(dir: string, n: number): { at: () => number | undefined; stop: () => void } {
  const t0 = performance.now()
  let at: number | undefined
  const timer = setInterval(() => {
    try {
      if (at === undefined && readdirSync(dir).filter((f) => f.endsWith('.seg')).length >= n) at = performance.now() - t0
    } catch { /* not there yet */ }
  }, 50)
  return { at: () => at, stop: () => clearInterval(timer) }
}

type Busy = { main: number[]; others: number[] }
/** Every `bucketMs`: the main thread's and the other threads' time on a core (% of the bucket), from /proc; take() returns and restarts the series. */
function busyByBucket(pid: number | undefined, bucketMs: number): { take: () => Busy; stop: () => void } {
  let last = cpuReading(pid)
  let series: Busy = { main: [], others: [] }
  const timer = setInterval(() => {
    const now = cpuReading(pid)
    if (last === undefined || now === undefined) return
    const wallNs = (now.at - last.at) * 1e6
    let others = 0
    for (const [tid, ns] of now.threads) if (tid !== pid) others += ns - (last.threads.get(tid) ?? 0)
    series.main.push(Math.round((100 * (now.mainRunNs - last.mainRunNs)) / wallNs))
    series.others.push(Math.round((100 * others) / wallNs))
    last = now
  }, bucketMs)
  return { take: () => { const s = series; series = { main: [], others: [] }; return s }, stop: () => clearInterval(timer) }
}

/**
 * STARTUP=1: what a restart costs the first answers. Each run starts the gateway (a fresh store),
 * waits for /readyz 200, then offers STARTUP_RATE msg/s open loop for STARTUP_SECONDS with no
 * warm-up ("cold"), then the same again on the same gateway ("warm", the control: same process,
 * same store, only the first seconds differ), then stops it and starts it again on its store
 * ("restart": recovery, the dedupe memory rebuilt, no new segment). Per BUCKET_MS of due time: the slowest answer and
 * the p99; the medians over RUNS per contender (this build, NODE_ARGS, BASE_DIST), interleaved.
 */
async function startupRuns(adapterUrl: string): Promise<void> {
  const rate = Number(process.env.STARTUP_RATE ?? 2600)
  const seconds = Number(process.env.STARTUP_SECONDS ?? 6)
  const bucketMs = Number(process.env.BUCKET_MS ?? 250)
  const nodeArgs = (process.env.NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
  const base = process.env.BASE_DIST ? baseRoot(process.env.BASE_DIST) : undefined
  const main = join(ROOT, 'dist/cli/main.js')
  const contenders: { name: string; args: string[]; main: string }[] = [{ name: 'gateway', args: [], main }]
  if (nodeArgs.length > 0) contenders.push({ name: `gateway ${nodeArgs.join(' ')}`, args: nodeArgs, main })
  if (base !== undefined) contenders.push({ name: `base (${process.env.BASE_DIST})`, args: [], main: base.main })
  const body = (i: number) => mix[i % mix.length]!.join(String(counter++))
  type Run = { readyMs: number; restartReadyMs: number; cold: { max: number; p99: number }[]; warm: { max: number; p99: number }[]; restart: { max: number; p99: number }[]; lost: number; failed: number; busy: { cold: Busy; warm: Busy } }
  const runs: Record<string, Run[]> = Object.fromEntries(contenders.map((c) => [c.name, []]))
  const fmt = (bs: { max: number; p99: number }[], k: 'max' | 'p99') => bs.map((b) => b[k]).join(' ')
  for (let run = 0; run < RUNS; run++) {
    for (const c of run % 2 === 0 ? contenders : [...contenders].reverse()) {
      await fetch(`${adapterUrl}/_reset`, { method: 'POST' })
      const ready = async (start: () => Promise<Target>) => {
        const t0 = performance.now()
        const t = await start()
        while ((await fetch(`${t.url}/readyz`).then((r) => r.status, () => 0)) !== 200) await new Promise((r) => setTimeout(r, 5))
        return { t, ms: Math.round(performance.now() - t0) }
      }
      const { t, ms: readyMs } = await ready(() => startGateway(adapterUrl, 'FULL', 0, c.args, undefined, c.main))
      const cpu = busyByBucket(t.child.pid, bucketMs)
      const spare = whenSegments(join(t.dir!, 'data/journal'), 2)
      const cold = await openLoop(`${t.url}/duis`, rate, seconds, body, 64, 0, bucketMs)
      const coldBusy = cpu.take()
      const warm = await openLoop(`${t.url}/duis`, rate, seconds, body, 64, 0, bucketMs)
      const warmBusy = cpu.take()
      cpu.stop()
      spare.stop()
      let lost = await lostAtAdapter(t.url, adapterUrl)
      await stop(t)
      // the same gateway restarted on its store (a deploy): recovery, the dedupe memory rebuilt
      await fetch(`${adapterUrl}/_reset`, { method: 'POST' })
      const again = await ready(() => spawnGateway(t.dir!, c.args, c.main))
      const restart = await openLoop(`${again.t.url}/duis`, rate, seconds, body, 64, 0, bucketMs)
      lost += Math.max(0, await lostAtAdapter(again.t.url, adapterUrl)) // a redelivery after the restart only makes it negative
      runs[c.name]!.push({ readyMs, restartReadyMs: again.ms, cold: cold.buckets, warm: warm.buckets, restart: restart.buckets, lost, failed: cold.failed + warm.failed + restart.failed, busy: { cold: coldBusy, warm: warmBusy } })
      process.stdout.write(`run ${run + 1} ${c.name}: ready ${readyMs} ms; slowest per ${bucketMs} ms cold ${fmt(cold.buckets, 'max')} | warm ${fmt(warm.buckets, 'max')}; p99 cold ${cold.p99} warm ${warm.p99} ms; failed ${cold.failed + warm.failed} lost ${lost}; the second segment (the spare) appeared ${spare.at() === undefined ? 'not at all' : `${(spare.at()! / 1000).toFixed(2)} s after ready`} (load ${os.loadavg()[0]!.toFixed(1)})\n  main thread busy % per bucket cold ${coldBusy.main.join(' ')} | warm ${warmBusy.main.join(' ')}; other threads (% of a core) cold ${coldBusy.others.join(' ')} | warm ${warmBusy.others.join(' ')}\n  restarted on its store: ready ${again.ms} ms; slowest per ${bucketMs} ms ${fmt(restart.buckets, 'max')}; p99 ${restart.p99} ms; failed ${restart.failed}\n`)
      await stop(again.t)
      spent.push(t.dir!)
    }
  }
  base?.cleanup()
  const med = (rs: Run[], f: (r: Run) => { max: number; p99: number }[], k: 'max' | 'p99') => f(rs[0]!).map((_, b) => median(rs.map((r) => f(r)[b]?.[k] ?? NaN)))
  const second = (xs: number[]) => Array.from({ length: Math.ceil(xs.length / (1000 / bucketMs)) }, (_, s) => Math.max(...xs.slice((s * 1000) / bucketMs, ((s + 1) * 1000) / bucketMs)))
  const lines = ['# startup', '',
    `Machine: ${os.cpus()[0]?.model.trim()} (${os.cpus().length} CPUs), Node ${process.version}, ${new Date().toISOString()}, load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}.`,
    `Regenerate: \`STARTUP=1 RUNS=${RUNS} STARTUP_RATE=${rate} STARTUP_SECONDS=${seconds}${nodeArgs.length > 0 ? ` NODE_ARGS="${nodeArgs.join(' ')}"` : ''}${base !== undefined ? ' BASE_DIST=DIR' : ''} npm run bench:ingress\`. Open loop at ${rate} msg/s from the moment /readyz answers 200, ${seconds} s cold, then ${seconds} s warm`,
    `on the same gateway (the control); fresh store per run; ${RUNS} interleaved runs, medians per ${bucketMs} ms bucket of due time (ms).`, '',
    '"cold": a new store; "warm": the same gateway right after; "restart": the same gateway stopped and started again on its store.', '',
    '| contender | phase | ready ms (median) | slowest per second | slowest per bucket | p99 per bucket |', '|---|---|---:|---|---|---|',
    ...contenders.flatMap((c) => {
      const rs = runs[c.name]!
      return (['cold', 'warm', 'restart'] as const).map((ph) => {
        const mx = med(rs, (r) => r[ph], 'max')
        const ready = ph === 'cold' ? median(rs.map((r) => r.readyMs)) : ph === 'restart' ? median(rs.map((r) => r.restartReadyMs)) : '-'
        return `| ${c.name} | ${ph} | ${ready} | ${second(mx).join(' ')} | ${mx.join(' ')} | ${med(rs, (r) => r[ph], 'p99').join(' ')} |`
      })
    }),
    '', `Failed requests: ${contenders.map((c) => `${c.name} ${runs[c.name]!.reduce((a, r) => a + r.failed, 0)}`).join(', ')}; lost at the adapter: ${contenders.map((c) => `${c.name} ${runs[c.name]!.reduce((a, r) => a + r.lost, 0)}`).join(', ')}.`,
    '', 'Main thread busy (% of its wall time on a core) and the other threads together (% of one core), per bucket, medians of the runs (cold / warm):', '',
    ...contenders.map((c) => {
      const rs = runs[c.name]!
      const mb = (f: (r: Run) => number[]) => Array.from({ length: Math.min(...rs.map((r) => f(r).length)) }, (_, b) => median(rs.map((r) => f(r)[b]!)))
      return `- ${c.name}: main ${mb((r) => r.busy.cold.main).join(' ')} / ${mb((r) => r.busy.warm.main).join(' ')}; others ${mb((r) => r.busy.cold.others).join(' ')} / ${mb((r) => r.busy.warm.others).join(' ')}`
    }),
    '', 'Runs (slowest per bucket, cold | warm):', '',
    ...contenders.flatMap((c) => runs[c.name]!.map((r, k) => `- ${c.name} run ${k + 1}: ready ${r.readyMs} ms; ${fmt(r.cold, 'max')} | ${fmt(r.warm, 'max')} | restart (ready ${r.restartReadyMs} ms) ${fmt(r.restart, 'max')}`)),
  ]
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
  writeFileSync(join(ROOT, 'bench/results/startup.md'), lines.join('\n') + '\n')
  process.stdout.write(lines.join('\n') + '\n')
  if (Object.values(runs).flat().some((r) => r.lost !== 0)) process.exitCode = 1
}

/** One FULL pool-0 run under --cpu-prof: the gateway's top frames by self time. */
async function cpuProfile(adapterUrl: string): Promise<{ frame: string; selfPct: number }[]> {
  const profDir = mkdtempSync(join(os.tmpdir(), 'dccgw-prof-'))
  // TAIL_TRACE=DIR (with PROFILE_RATE): the gateway's GC pauses and event-loop gaps and each request's latency, joined at the end
  const trace = process.env.TAIL_TRACE
  const logs = trace === undefined ? undefined : { client: join(trace, 'client.log'), gateway: join(trace, 'gateway.log') }
  if (logs !== undefined) {
    mkdirSync(dirname(logs.gateway), { recursive: true })
    process.env.LOOP_TRACE = logs.gateway // the gateway inherits it; bench/lib/loop-trace.mjs writes there
  }
  const traceArgs = logs === undefined ? [] : ['--import', join(ROOT, 'bench/lib/loop-trace.mjs')]
  const args = [...(process.env.CPU_PROF === '0' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`]), ...traceArgs, ...(process.env.PROFILE_ARGS ?? '').split(' ').filter((a) => a !== '')]
  // PROFILE_TARGET=contract|durable: profile that floor instead of the gateway (what the gateway adds to it)
  const floorMode = process.env.PROFILE_TARGET
  const t = floorMode === 'contract' || floorMode === 'durable' ? await startFloor(adapterUrl, floorMode, args) : await startGateway(adapterUrl, 'FULL', 0, args)
  // PROFILE_RATE=N: open loop at N msg/s (e.g. the half-peak rate of the p99 measurement) instead of the closed-loop peak
  const profileRate = Number(process.env.PROFILE_RATE ?? 0)
  if (profileRate > 0) {
    const s = await openLoop(`${t.url}/duis`, profileRate, SECONDS, (i) => mix[i % mix.length]!.join(String(counter++)), 64, 1, 1000, logs?.client)
    process.stdout.write(`profile run: open loop at ${profileRate}/s, p50 ${s.p50} ms p99 ${s.p99} ms; slowest per second ${s.maxBySecond.join(' ')} ms\n`)
  } else await load(t.url, SECONDS)
  await stop(t)
  if (logs !== undefined && profileRate > 0) process.stdout.write(tailReport(logs.client, logs.gateway) + '\n')
  if (process.env.CPU_PROF === '0') {
    rmSync(profDir, { recursive: true, force: true })
    rmSync(t.dir!, { recursive: true, force: true })
    return []
  }
  // the main thread's (thread id 0): the checkpoint and projection worker threads write their own
  const file = readdirSync(profDir).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))!
  if (process.env.PROFILE_KEEP) copyFileSync(join(profDir, file), process.env.PROFILE_KEEP) // for a closer look (bench/lib/profile-share.ts)
  const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile
  if (logs !== undefined && profileRate > 0) process.stdout.write(gapReport(prof, logs.client, logs.gateway) + '\n')
  const byId = new Map(prof.nodes.map((n) => [n.id, n.callFrame]))
  const self = new Map<string, number>()
  for (const id of prof.samples) {
    const f = byId.get(id)!
    const where = f.url ? `${f.url.replace(/^file:\/\//, '').replace(ROOT, '').replace(/.*node_modules\//, '')}:${f.lineNumber + 1}` : ''
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim()
    self.set(key, (self.get(key) ?? 0) + 1)
  }
  rmSync(profDir, { recursive: true, force: true })
  rmSync(t.dir!, { recursive: true, force: true })
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([frame, n]) => ({ frame, selfPct: Math.round((1000 * n) / prof.samples.length) / 10 }))
}

interface Summary { name: string; rate: number; p50: number; p99: number; runs: Sample[]; ratios: number[]; ratio: number; lost: number; non2xx: number }

interface VsBase { name: string; rate: number[]; mainUs: number[]; processUs: number[] }

/** One gateway's p99 runs at half its peak, with the baselines' at the same rate in the same rounds. */
interface HalfPeak { name: string; rate: number; p99: number[]; p50: number[]; bareP99: number[]; floorP99: number[]; contractP99: number[] }

/** "median; run, run, ..." or "-" when not measured */
const medianAndRuns = (xs: number[]) => (xs.length > 0 ? `${median(xs)}; ${xs.join(', ')}` : '-')

function writeResults(r: { bareRate: number; summary: Summary[]; vsBase: VsBase[]; half: HalfPeak[]; profile: { frame: string; selfPct: number }[]; load: number[] }): void {
  const machine = `${os.cpus()[0]?.model.trim()} (${os.cpus().length} CPUs), Node ${process.version}`
  const out = join(ROOT, 'bench/results')
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'ingress.e2e.json'), JSON.stringify({ machine, date: new Date().toISOString(), runs: RUNS, seconds: SECONDS, connections: CONNECTIONS, ...r }, null, 2) + '\n')
  const f0 = (n: number) => Math.round(n).toLocaleString('en-GB')
  const lines = [
    '# ingress.e2e', '',
    `Machine: ${machine}, ${new Date().toISOString()}. autocannon ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run after a 1 s warm-up,`,
    `${RUNS} interleaved rounds (each contender once per round), medians; load average at the end ${r.load.map((x) => x.toFixed(1)).join(' / ')}. Traffic: device alerts over a generated world of ${WORLD_MPXNS.toLocaleString('en-GB')} MPxNs (bench/world.ts, seed 1),`,
    'per 20: 12 deliver, 5 drop, 2 quarantine, 1 forward; deliveries go to the bare server as the adapter (notices to outbox files).',
    'Gateway = `dist/cli/main.js serve` in a child process, fresh store per run; the load generator shares the machine.',
    'Regenerate: `npm run bench:ingress`. "x bare" is the median of the per-round ratios (gateway over bare in the same round);',
    '"lost" counts deliver decisions acknowledged with a 200 whose Idempotency-Key never reached the adapter (each run drained first).', '',
    '| contender | accepted msg/s | x bare (median of rounds) | per-round ratios | p50 ms | p99 ms | non-2xx | lost | runs (msg/s) |', '|---|---:|---:|---|---:|---:|---:|---:|---|',
    ...r.summary.map((s) => `| ${s.name} | ${f0(s.rate)} | ${s.ratio.toFixed(2)} | ${s.ratios.map((x) => x.toFixed(3)).join(', ')} | ${s.p50} | ${s.p99} | ${s.non2xx} | ${s.name.startsWith('gateway') ? s.lost : '-'} | ${s.runs.map((x) => f0(x.rate)).join(', ')} |`),
    ...(r.vsBase.length === 0 ? [] : ['', `## Against the base build (BASE_DIST=${process.env.BASE_DIST})`, '',
      'Per round, this build over the base build started the same way in the same round; medians of the rounds (CPU: lower is better).', '',
      '| gateway | rate x base | per-round | main µs/msg x base | per-round | process µs/msg x base | per-round |', '|---|---:|---|---:|---|---:|---|',
      ...r.vsBase.map((v) => `| ${v.name} | ${median(v.rate).toFixed(2)} | ${v.rate.map((x) => x.toFixed(2)).join(', ')} | ${median(v.mainUs).toFixed(2)} | ${v.mainUs.map((x) => x.toFixed(2)).join(', ')} | ${median(v.processUs).toFixed(2)} | ${v.processUs.map((x) => x.toFixed(2)).join(', ')} |`)]),
    '', '## CPU per accepted message (medians of the runs; /proc, Linux)', '',
    'Main thread: its time on a core per accepted message (the gateway\'s throughput is bound by it; 0.40x of the bare',
    'server needs about 1e6 / (0.40 x bare msg/s) µs). Waiting: the share of the run the main thread was runnable but had',
    'no core (a loaded machine shows here). Process: every thread\'s user + system time (10 ms ticks). Busiest threads',
    '(last run): each thread\'s time on a core per message as "id offset from the main thread:µs" (Node names no thread;',
    'threads are numbered in the order they started: V8\'s helpers, the libuv pool when first used, worker threads).', '',
    '| contender | main thread µs/msg | waiting for a core % | process µs/msg | runs (main µs/msg) | busiest threads (last run) |', '|---|---:|---:|---:|---|---|',
    ...r.summary.filter((s) => s.runs.every((x) => x.cpu !== undefined)).map((s) => `| ${s.name} | ${median(s.runs.map((x) => x.cpu!.mainUs)).toFixed(0)} | ${median(s.runs.map((x) => x.cpu!.mainWaitPct)).toFixed(0)} | ${median(s.runs.map((x) => x.cpu!.processUs)).toFixed(0)} | ${s.runs.map((x) => x.cpu!.mainUs.toFixed(0)).join(', ')} | ${s.runs.at(-1)!.cpu!.threadsUs} |`),
    '', '## p99 at half the peak rate', '',
    ...(process.env.HALF_RATE ? [`HALF_RATE=${process.env.HALF_RATE}: every gateway at that rate, not half its own peak; runs interleaved.`, ''] : []),
    'Open loop (bench/lib/open-loop.ts): requests evenly spaced at the offered rate, latency counted from when each was due;',
    'the bare server, the durable floor and the contract floor at the same rate in the same round are the baselines.', '',
    '| gateway | offered msg/s | p50 ms (median) | p99 ms (median) | p99 runs | bare p99 ms (median) | durable floor p99 ms (median; runs) | contract floor p99 ms (median; runs) |', '|---|---:|---:|---:|---|---:|---|---|',
    ...r.half.map((h) => `| ${h.name} | ${f0(h.rate)} | ${median(h.p50)} | ${median(h.p99)} | ${h.p99.join(', ')} | ${median(h.bareP99)} | ${medianAndRuns(h.floorP99)} | ${medianAndRuns(h.contractP99)} |`),
  ]
  if (r.profile.length > 0) lines.push('', '## Top self-time frames (gateway FULL, pool.size=0, --cpu-prof, one run at peak)', '',
    '| frame | self % |', '|---|---:|', ...r.profile.map((p) => `| \`${p.frame}\` | ${p.selfPct} |`))
  writeFileSync(join(out, 'ingress.e2e.md'), lines.join('\n') + '\n')
  process.stdout.write(lines.join('\n') + '\n')
}

await main()
