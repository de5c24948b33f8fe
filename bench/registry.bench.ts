// Registry benchmark (docs/registry.md, "Benchmark": medians of several runs, the machine stated).
//   npm run bench:registry -- [--sizes 1e6,1e7,3e7] [--runs 3] [--only files,snapshot,reload-files,reload-snapshot,delta]
//                             [--base-dist DIR --only delta,delta@base,...]  (before/after in one run)
//                             [--trace FILE]  (reload kinds: memory every 50 ms to FILE-SIZE-KIND-TIME.csv)
// Per size: a synthetic world (bench/world.ts, cached under bench/.cache/), then each measurement
// in a fresh child process, so that its peak RSS (VmHWM of the process: main thread, load worker
// and all) is that measurement's alone:
//   files     start with no snapshot: ready time (the load worker builds from the CSVs), peak RSS,
//             then the snapshot written for the next start (its size and time);
//   snapshot  start from that snapshot: ready time, peak RSS; lookups per second on one core
//             (reported, not a target);
//   reload    from the snapshot, then a reload beside it (from files: a changed extract; and from
//             the snapshot), swap, release the old index: peak RSS, and the longest event-loop
//             stall while the reload runs under a lookupFacts load;
//   delta     from the snapshot, a 10k-row delta (5k registration rows: moved and new supply
//             starts; 5k device rows: devices moved) applied under a lookupFacts load: apply time
//             and the longest stall (wall clock; the process's CPU time in that gap, which a
//             loaded machine does not inflate but the process's other threads (parallel GC, the
//             optimizing compiler) add to; and the main thread's own CPU time in that gap, from
//             /proc/thread-self/schedstat: the event loop's own work, neither preemption nor other threads,
//             loaded machine does not inflate); then the compaction in its worker (time, peak RSS);
//   delta-stall  the same without the compaction (quicker, for several runs of the stall);
//   scan      the CSV reader alone over both files (csv-rows.ts), wall and CPU time: `scan,scan@base`
//             compares it with an earlier build's reader in the same run.
// Writes bench/results/registry.{json,md}.
import { execFileSync } from 'node:child_process'
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { getHeapSpaceStatistics } from 'node:v8'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
// the compiled registry (npm run build): loads in its worker thread, as the gateway does. A child
// run for a kind named `KIND@base` imports it from --base-dist instead (an earlier build, for a
// before/after comparison in one run on the same files: e.g. `--only delta,delta@base`).
import type { CompactRegistry } from '../dist/registry/index.js'
import * as current from '../dist/registry/index.js'
import * as currentRows from '../dist/registry/csv-rows.js'
import { mpxnKey } from '../src/registry/keys.js'
import type { Envelope } from '../src/envelope/types.js'
import { deviceIdOf, generateWorld, mpanOf, mprnOf, prng, type WorldManifest } from './world.js'
import { deviceAlertEnvelope } from '../test/support/envelopes.js'

const here = dirname(fileURLToPath(import.meta.url))
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : def
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const status = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024
/** peak resident set of this process so far (kernel's high-water mark), bytes */
const hwm = () => status('VmHWM')
const gc = () => (globalThis as { gc?: () => void }).gc?.()
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

function pathsOf(dir: string) {
  return { registrations: join(dir, 'registrations.csv'), devices: join(dir, 'devices.csv'), parties: join(dir, 'parties.yaml') }
}

/** Device alerts for random devices of the world, made as they are asked for (like parsed messages: short-lived). */
function alertStream(m: WorldManifest): () => Envelope {
  const rnd = prng(9)
  let i = 0
  return () => deviceAlertEnvelope(Date.UTC(2025, 2, 14, 8, 0, i % 60), {
    responseId: { raw: '', originator: deviceIdOf(Math.floor(rnd() * m.devices)), target: '90-B3-D5-1F-30-10-00-00', counter: String(i++) },
  })
}
function alerts(m: WorldManifest, n: number): Envelope[] {
  const next = alertStream(m)
  return Array.from({ length: n }, next)
}

/**
 * Runs `work` while lookupFacts runs in slices of 100 on the event loop; the longest gap between
 * slices is the longest any request would have waited.
 */
async function underLoad<T>(ix: () => CompactRegistry, nextAlert: () => Envelope, work: () => Promise<T>): Promise<{ result: T; maxStallMs: number; p99StallMs: number; maxStallCpuMs: number; maxStallThreadCpuMs: number; ms: number }> {
  let stop = false
  // the gaps between slices in a histogram of 10 µs bins (max exact): a slice allocates nothing that
  // lives on, so the main thread's heap during a reload is the lookups' own (an array of every gap
  // grew with the reload's length, i.e. with the machine's load, and showed in the reload's peak)
  const BIN_MS = 0.01
  const hist = new Uint32Array(200_000)
  let slices = 0
  let maxGap = 0
  // the same gaps in CPU time of the process: what the work between two slices took when it had
  // the CPU (on a machine shared with other jobs, the wall-clock gap also holds the time it waited)
  let maxCpuGap = -Infinity
  // and in CPU time of the main thread alone (the event loop)
  let maxThreadGap = -Infinity
  let served = 0
  await wait(20)
  let last = performance.now()
  let lastCpu = process.cpuUsage()
  let lastThread = threadCpuMs()
  const slice = () => {
    const now = performance.now()
    const gap = now - last
    hist[Math.min(hist.length - 1, Math.floor(gap / BIN_MS))]!++
    slices++
    if (gap > maxGap) maxGap = gap
    const cpu = process.cpuUsage(lastCpu)
    maxCpuGap = Math.max(maxCpuGap, (cpu.user + cpu.system) / 1000)
    maxThreadGap = Math.max(maxThreadGap, threadCpuMs() - lastThread)
    const cur = ix()
    for (let j = 0; j < 100; j++) served += lookupFacts(nextAlert(), cur).mpxns.length > 0 ? 1 : 0
    last = performance.now()
    lastCpu = process.cpuUsage()
    lastThread = threadCpuMs()
    if (!stop) setImmediate(slice)
  }
  setImmediate(slice)
  const t0 = performance.now()
  const result = await work()
  const ms = performance.now() - t0
  await wait(20)
  stop = true
  await wait(5)
  // p99: the bin holding the gap of rank floor(0.99 n) (0-based), as its upper edge
  let p99 = NaN
  for (let b = 0, seen = 0, rank = Math.floor(slices * 0.99); b < hist.length; b++) {
    seen += hist[b]!
    if (seen > rank) {
      p99 = Math.min(maxGap, (b + 1) * BIN_MS)
      break
    }
  }
  return { result, ms, maxStallMs: maxGap, p99StallMs: p99, maxStallCpuMs: maxCpuGap, maxStallThreadCpuMs: maxThreadGap }
}

let schedstat: number | undefined
const statBuf = Buffer.alloc(64)
/** CPU time of the calling thread so far, ms (Linux: /proc/thread-self/schedstat, ns; NaN elsewhere). */
function threadCpuMs(): number {
  try {
    schedstat ??= openSync('/proc/thread-self/schedstat', 'r')
    const n = readSync(schedstat, statBuf, 0, statBuf.length, 0)
    return Number(statBuf.toString('latin1', 0, n).split(' ')[0]) / 1e6
  } catch {
    return NaN
  }
}

function lookupRates(index: CompactRegistry, m: WorldManifest): Record<string, number> {
  const N = 1_000_000
  const rnd = prng(7)
  const keys: string[] = []
  const devs: string[] = []
  for (let i = 0; i < N; i++) {
    const hit = i % 2 === 0
    const mpan = rnd() < m.mpans / (m.mpans + m.mprns)
    keys.push(mpan ? mpanOf(Math.floor(rnd() * m.mpans) + (hit ? 0 : m.mpans + 1000)) : mprnOf(Math.floor(rnd() * m.mprns) + (hit ? 0 : m.mprns + 1000)))
    devs.push(deviceIdOf(Math.floor(rnd() * m.devices) + (hit ? 0 : m.devices + 1000)))
  }
  // flat strings, as a parser hands them over (concatenations are cons-strings until first use)
  const flat = JSON.parse(JSON.stringify([keys, devs])) as string[][]
  const day = parseDay('2025-03-14')
  const rate = (fn: () => number) => {
    gc()
    const t0 = performance.now()
    fn()
    return N / ((performance.now() - t0) / 1000)
  }
  const nkeys = Float64Array.from(flat[0]!, mpxnKey)
  const res = new Int32Array(N)
  const envs = alerts(m, 100_000)
  const t0 = performance.now()
  let n = 0
  for (const e of envs) n += lookupFacts(e, index).mpxns.length
  const factsPerSec = envs.length / ((performance.now() - t0) / 1000)
  return {
    fromStringsPerSec: rate(() => {
      let f = 0
      for (let i = 0; i < N; i++) if (index.slotOf(flat[0]![i]!) >= 0 && index.periodInRange(day) >= 0) f++
      return f
    }),
    numericKeysPerSec: rate(() => {
      let f = 0
      for (let i = 0; i < N; i++) if (index.slotOfKey(nkeys[i]!) >= 0 && index.periodInRange(day) >= 0) f++
      return f
    }),
    batchedPerSec: rate(() => {
      index.lookupKeys(nkeys, day, res)
      return 0
    }),
    devicePerSec: rate(() => {
      let f = 0
      for (let i = 0; i < N; i++) if (index.deviceRowOf(flat[1]![i]!) >= 0) f++
      return f
    }),
    lookupFactsPerSec: factsPerSec + n * 0,
  }
}

/** A 10k-row delta: 5k registration rows (1,250 supply starts moved: 2.5k rows; 2.5k new), 5k device rows (2.5k devices moved). */
function delta10k(dir: string, m: WorldManifest): { regs: Buffer; devs: Buffer } {
  const rnd = prng(21)
  // rows from the files (so that a remove matches): the line after a random offset
  const sampler = (file: string) => {
    const fd = openSync(file, 'r')
    const size = fstatSync(fd).size
    const buf = Buffer.alloc(512)
    return {
      line: () => {
        const n = readSync(fd, buf, 0, buf.length, Math.floor(rnd() * (size - buf.length)))
        const text = buf.toString('latin1', 0, n)
        const s = text.indexOf('\n') + 1
        return text.slice(s, text.indexOf('\n', s)).split(',')
      },
      close: () => closeSync(fd),
    }
  }
  const regFile = sampler(join(dir, 'registrations.csv'))
  const regs = ['op,mpxn,supplier_mpid,effective_from']
  const seen = new Set<string>()
  while (regs.length < 1 + 1250 * 2) {
    const [mpxn, mpid, from] = regFile.line()
    if (!mpxn || !from || seen.has(mpxn)) continue
    seen.add(mpxn)
    const moved = new Date(Date.parse(from) + 3 * 86_400_000).toISOString().slice(0, 10)
    regs.push(`remove,${mpxn},${mpid},${from}`, `add,${mpxn},${mpid},${moved}`)
  }
  regFile.close()
  for (let i = 0; i < 2500; i++) regs.push(`add,${mpanOf(Math.floor(rnd() * m.mpans))},E007,2025-09-01`)
  const devFile = sampler(join(dir, 'devices.csv'))
  const devs = ['op,device_id,device_type,mpxn']
  const seenD = new Set<string>()
  while (devs.length < 1 + 5000) {
    const [id, type, mpxn] = devFile.line()
    if (!id || !mpxn || seenD.has(id) || type === 'CHF') continue
    seenD.add(id)
    devs.push(`remove,${id},${type},${mpxn}`, `add,${id},${type},${mpanOf(Math.floor(rnd() * m.mpans))}`)
  }
  devFile.close()
  return { regs: Buffer.from(regs.join('\n') + '\n'), devs: Buffer.from(devs.join('\n') + '\n') }
}

/**
 * --trace FILE (reload kinds): the process's memory every 50 ms during the reload, as CSV: RSS (and
 * its anonymous part), the main thread's V8 heap (committed, used, its young generation) and its
 * ArrayBuffers, and the load's phase (from the worker's progress: the CSV passes; after a pass
 * ends, that file's partition sort until the next begins). The load worker's own heap is not
 * visible from here (Node 20 has no worker.getHeapStatistics): it is RSS minus the rest.
 */
function memoryTrace(file: string) {
  const t0 = performance.now()
  let phase = 'serving'
  const rows = ['ms,phase,rss_mb,rss_anon_mb,main_heap_committed_mb,main_heap_used_mb,main_young_mb,main_array_buffers_mb']
  const MBf = (b: number) => (b / 1e6).toFixed(1)
  const sample = () => {
    const m = process.memoryUsage()
    const young = getHeapSpaceStatistics().filter((s) => s.space_name === 'new_space' || s.space_name === 'new_large_object_space').reduce((n, s) => n + s.physical_space_size, 0)
    rows.push([(performance.now() - t0).toFixed(0), phase, MBf(status('VmRSS')), MBf(status('RssAnon')), MBf(m.heapTotal), MBf(m.heapUsed), MBf(young), MBf(m.arrayBuffers)].join(','))
  }
  const timer = setInterval(sample, 50)
  let peak = { rss: 0, phase: '' }
  const phaseOf = (name: string) => {
    sample()
    phase = name
    sample()
  }
  return {
    phase: phaseOf,
    progress: (p: { file: string; bytes: number; totalBytes: number }) => {
      const f = p.file.replace(/^.*\//, '')
      const name = p.bytes >= p.totalBytes ? `${f}: partitions sorted into the index` : `${f}: CSV pass`
      if (name !== phase) phaseOf(name)
    },
    finish: () => {
      clearInterval(timer)
      sample()
      writeFileSync(file, rows.join('\n') + '\n')
      for (const r of rows.slice(1)) {
        const c = r.split(',')
        if (Number(c[2]) > peak.rss) peak = { rss: Number(c[2]), phase: c[1]! }
      }
      return { file, peakSampledMb: peak.rss, peakPhase: peak.phase }
    },
  }
}

/** csv-rows.js of this build (scanRows) or of an earlier one (readLines) */
interface CsvRows {
  scanRows?: (f: string, sink: (b: Buffer, n: number, line: number) => void) => Promise<unknown>
  readLines?: (f: string, sink: (b: Buffer, s: number, e: number, line: number) => void) => Promise<unknown>
  splitFields: (b: Uint8Array, s: number, e: number) => number
}

let R: typeof current = current
let applyDelta = R.applyDelta, compactIndex = R.compactIndex, loadRegistry = R.loadRegistry, lookupFacts = R.lookupFacts, parseDay = R.parseDay

async function child(kind: string, dir: string, snapDir: string): Promise<Record<string, unknown>> {
  if (arg('dist', '')) {
    R = (await import(arg('dist', ''))) as typeof current
    ;({ applyDelta, compactIndex, loadRegistry, lookupFacts, parseDay } = R)
  }
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as WorldManifest
  const paths = pathsOf(dir)
  const snapshots = { dir: snapDir, keep: 1 }
  const out: Record<string, unknown> = { kind, rssBeforeLoad: status('VmRSS') }
  const t0 = performance.now()
  if (kind === 'scan') {
    // the CSV reader alone over both files: every line split into its fields, nothing built (this
    // build's scanRows, or an earlier build's readLines + splitFields for `scan@base`)
    const csv = (arg('dist', '') ? await import(join(dirname(arg('dist', '')), 'csv-rows.js')) : currentRows) as CsvRows
    const c0 = process.cpuUsage()
    let lines = 0
    for (const f of [paths.registrations, paths.devices]) {
      if (csv.scanRows) await csv.scanRows(f, (_b, n) => { lines += n > 0 ? 1 : 0 })
      else await csv.readLines!(f, (b, s, e) => { lines += csv.splitFields(b, s, e) > 0 ? 1 : 0 })
    }
    const c = process.cpuUsage(c0)
    out.readyMs = performance.now() - t0
    out.cpuMs = (c.user + c.system) / 1000
    out.lines = lines
    out.peak = hwm()
    return out
  }
  if (kind === 'files-baseline') {
    // the loader before snapshots and the bounded peak (staging columns and a partitioned sort in the load worker), from
    // a build of that version (--baseline DIST): same files, same load on the machine
    const old = (await import(join(arg('baseline', ''), 'registry', 'index.js'))) as { loadRegistry: typeof loadRegistry }
    const r = await old.loadRegistry(paths, { maxRejectRatio: 0.01 })
    out.readyMs = performance.now() - t0
    out.peak = hwm()
    out.mpxns = r.index.counts.mpxns
    return out
  }
  if (kind === 'files') {
    const c0 = process.cpuUsage()
    const r = await loadRegistry(paths, { maxRejectRatio: 0.01, snapshots: { ...snapshots, use: false } })
    out.readyMs = performance.now() - t0
    const c = process.cpuUsage(c0) // all the process's threads: on a shared machine, what the build cost, not how long it waited
    out.cpuMs = (c.user + c.system) / 1000
    out.peakAtReady = hwm()
    const w = await r.snapshotWritten
    out.snapshot = w
    out.peak = hwm()
    out.mpxns = r.index.counts.mpxns
    out.counts = r.index.counts
    out.indexBytes = r.index.byteSize()
    return out
  }
  let first: Awaited<ReturnType<typeof loadRegistry>> | undefined = await loadRegistry(paths, { maxRejectRatio: 0.01, snapshots })
  if (first.report.source !== 'snapshot') throw new Error(`expected a snapshot start: ${JSON.stringify(first.report.snapshotsRefused)}`)
  let index: CompactRegistry = first.index
  first = undefined // only `index` refers to it now: a reload's swap leaves the old one to the collector
  out.readyMs = performance.now() - t0
  out.peakAtReady = hwm()
  out.mpxns = index.counts.mpxns
  // the lookup load's alerts are made per slice: a gateway holds no array of parsed messages, and
  // the peaks measure the index (an array of 100k alerts would add ~40 MB to every peak)
  const nextAlert = alertStream(m)
  if (kind === 'snapshot') {
    out.peak = hwm()
    Object.assign(out, lookupRates(index, m))
    return out
  }
  if (kind === 'reload-files' || kind === 'reload-snapshot') {
    gc()
    const tr = arg('trace', '') ? memoryTrace(arg('trace', '')) : undefined
    const opts = { maxRejectRatio: 0.01, ...(kind === 'reload-snapshot' && { snapshots }), ...(tr && { onProgress: tr.progress }) }
    const u = await underLoad(() => index, nextAlert, async () => {
      tr?.phase('reload started')
      const next = await loadRegistry(paths, opts)
      index = next.index // the swap; the old index is garbage from here
      tr?.phase('swapped')
      return next.report.source
    })
    out.indexBytes = index.byteSize()
    gc()
    tr?.phase('gc after the swap')
    await wait(50)
    gc()
    await wait(100)
    if (tr) out.trace = tr.finish()
    out.reload = { source: u.result, ms: u.ms, maxStallMs: u.maxStallMs, p99StallMs: u.p99StallMs }
    out.peak = hwm()
    out.rssAfter = status('VmRSS')
    return out
  }
  if (kind === 'delta' || kind === 'delta-stall') {
    const d = delta10k(dir, m)
    gc()
    const u = await underLoad(() => index, nextAlert, async () => {
      const a = await applyDelta(index, 'regs.csv', d.regs)
      index = a.index
      const b = await applyDelta(index, 'devs.csv', d.devs)
      index = b.index
      return [a.summary, b.summary]
    })
    out.delta = { rows: u.result.reduce((n, s) => n + s.rows, 0), ms: u.ms, maxStallMs: u.maxStallMs, p99StallMs: u.p99StallMs, maxStallCpuMs: u.maxStallCpuMs, maxStallThreadCpuMs: u.maxStallThreadCpuMs, summaries: u.result }
    // control: the same lookup slices for as long, with no delta: the stalls the machine itself causes
    const ctl = await underLoad(() => index, nextAlert, () => wait(Math.max(300, u.ms)))
    out.control = { ms: ctl.ms, maxStallMs: ctl.maxStallMs, p99StallMs: ctl.p99StallMs, maxStallCpuMs: ctl.maxStallCpuMs, maxStallThreadCpuMs: ctl.maxStallThreadCpuMs }
    if (kind === 'delta-stall') {
      out.peak = hwm()
      return out
    }
    const c = await underLoad(() => index, nextAlert, () => compactIndex(index, undefined))
    index = new R.CompactRegistry({ ...c.result.snapshot, loadedAt: Date.now() })
    out.compact = { ms: c.ms, maxStallMs: c.maxStallMs }
    out.peak = hwm()
    return out
  }
  throw new Error(`unknown measurement ${kind}`)
}

/**
 * This file as plain JavaScript for the child processes: under tsx a child would carry the loader's
 * extra thread (~55 MB of RSS) in every peak. The compiled registry stays an import of dist/.
 */
async function childScript(): Promise<string> {
  const { build } = await import('esbuild')
  const out = join(here, '.cache', 'registry-bench-child.mjs')
  await build({
    entryPoints: [fileURLToPath(import.meta.url)], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error',
    plugins: [{ name: 'dist-external', setup: (b) => b.onResolve({ filter: /\/dist\// }, (a) => ({ path: join(a.resolveDir, a.path), external: true })) }],
  })
  return out
}

async function main() {
  const sizes = arg('sizes', '1e6').split(',').map(Number)
  const runs = Number(arg('runs', '3'))
  const only = arg('only', `files,snapshot,reload-files,reload-snapshot,delta${arg('baseline', '') ? ',files-baseline' : ''}`).split(',')
  const results: Record<string, unknown>[] = []
  const childJs = await childScript()
  for (const size of sizes) {
    const dir = join(here, '.cache', `world-${size}`)
    if (!existsSync(join(dir, 'manifest.json'))) {
      const t = performance.now()
      await generateWorld({ mpxns: size, seed: 1 }, dir)
      console.error(`generated ${dir} in ${((performance.now() - t) / 1000).toFixed(1)} s`)
    }
    const snapDirs = { current: join(here, '.cache', `snapshots-${size}`), base: join(here, '.cache', `snapshots-${size}-base`) }
    const run = (name: string) => {
      const base = name.endsWith('@base')
      const kind = name.replace(/@base$/, '')
      if (base && !arg('base-dist', '')) throw new Error(`${name} needs --base-dist DIST`)
      const snapDir = base ? snapDirs.base : snapDirs.current
      // a snapshot of the other layout would be refused: each build keeps its own
      if (kind !== 'files' && kind !== 'scan' && !existsSync(snapDir)) per[base ? 'files@base' : 'files'] = [...(per[base ? 'files@base' : 'files'] ?? []), run(base ? 'files@base' : 'files')]
      if (kind === 'files') rmSync(snapDir, { recursive: true, force: true })
      const a = ['--expose-gc', childJs, '--child', kind, '--dir', dir, '--snap', snapDir, '--baseline', arg('baseline', ''),
        ...(arg('trace', '') && kind.startsWith('reload') ? ['--trace', `${arg('trace', '')}-${size}-${name}-${Date.now()}.csv`] : []),
        ...(base ? ['--dist', resolve(arg('base-dist', ''), 'registry', 'index.js')] : [])]
      const r = JSON.parse(execFileSync(process.execPath, a, { maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] }).toString()) as Record<string, unknown>
      console.error(JSON.stringify({ size, name, loadavg: loadavg()[0], ...r }))
      return { ...r, loadavg1: loadavg()[0] }
    }
    const per: Record<string, Record<string, unknown>[]> = {}
    for (let i = 0; i < runs; i++) {
      for (const name of only) per[name] = [...(per[name] ?? []), run(name)]
    }
    results.push({ size, runs: per })
  }
  const machine = `${cpus()[0]?.model ?? '?'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
  mkdirSync(join(here, 'results'), { recursive: true })
  const file = join(here, 'results', 'registry.json')
  // keep the sizes measured in earlier invocations (30M runs separately, late)
  const prev = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { results?: { size: number }[] }).results ?? [] : []
  // and, for a size measured again, the kinds not measured this time (--only)
  const kept = prev.filter((p): p is { size: number; runs: Record<string, unknown[]> } => 'runs' in p)
  for (const r of results as { size: number; runs: Record<string, unknown[]> }[]) {
    const old = kept.find((p) => p.size === r.size)
    if (!old) continue
    // a kind measured again without its `@base` loses the old `@base` runs: a before/after pair
    // comes from one run, never today's "after" against another day's "before"
    const stale = Object.keys(old.runs).filter((k) => k.endsWith('@base') && r.runs[k.replace(/@base$/, '')] !== undefined && r.runs[k] === undefined)
    r.runs = { ...Object.fromEntries(Object.entries(old.runs).filter(([k]) => !stale.includes(k))), ...r.runs }
  }
  const merged = [...kept.filter((p) => !sizes.includes(p.size)), ...results].sort((a, b) => (a.size as number) - (b.size as number))
  writeFileSync(file, JSON.stringify({ machine, date: new Date().toISOString(), results: merged }, null, 1))
  console.log(report(machine, merged))
  writeFileSync(join(here, 'results', 'registry.md'), report(machine, merged))
}

type Run = Record<string, any>
/** the delta's apply time and longest stalls (wall, process CPU, main-thread CPU) against the no-delta control */
function deltaRows(kind: string, note: string): [string, string, (r: Run) => number][] {
  return [
    [kind, `delta apply ms${note}`, (q) => q.delta.ms],
    [kind, `delta longest stall ms${note}`, (q) => q.delta.maxStallMs],
    [kind, `control: longest stall ms with no delta${note}`, (q) => q.control?.maxStallMs ?? NaN],
    [kind, `delta longest stall, CPU ms of the process${note}`, (q) => q.delta.maxStallCpuMs ?? NaN],
    [kind, `control: longest stall, CPU ms${note}`, (q) => q.control?.maxStallCpuMs ?? NaN],
    [kind, `delta longest stall, CPU ms of the main thread${note}`, (q) => q.delta.maxStallThreadCpuMs ?? NaN],
    [kind, `control: longest stall, CPU ms of the main thread${note}`, (q) => q.control?.maxStallThreadCpuMs ?? NaN],
  ]
}
/** what the before/after table compares, per kind: [kind, label, value] */
const COMPARED: [string, string, (r: Run) => number][] = [
  ['files', 'ready from files s', (q) => q.readyMs / 1000],
  ['files', 'peak MB from files', (q) => q.peak / 1e6],
  ['files', 'build from files to ready, CPU s of the process', (q) => (q.cpuMs ?? NaN) / 1000],
  ['scan', 'CSV reader alone, both files s', (q) => q.readyMs / 1000],
  ['scan', 'CSV reader alone, both files, CPU s', (q) => q.cpuMs / 1000],
  ['snapshot', 'ready from snapshot s', (q) => q.readyMs / 1000],
  ['snapshot', 'peak MB at ready from snapshot', (q) => q.peakAtReady / 1e6],
  ['reload-snapshot', 'peak MB, reload from snapshot', (q) => q.peak / 1e6],
  ['reload-snapshot', 'longest stall in a reload from snapshot ms', (q) => q.reload.maxStallMs],
  ['reload-files', 'peak MB, reload from files', (q) => q.peak / 1e6],
  ['reload-files', 'longest stall in a reload from files ms', (q) => q.reload.maxStallMs],
  ...deltaRows('delta', ''),
  ['delta', 'delta run peak MB (with compaction)', (q) => q.peak / 1e6],
  ...deltaRows('delta-stall', ' (no compaction)'),
]
const baseRss = (results: Record<string, unknown>[]) =>
  median((results as { runs: Record<string, Run[]> }[]).flatMap((r) => Object.values(r.runs).flat().map((q) => q.rssBeforeLoad as number)))
function report(machine: string, results: Record<string, unknown>[]): string {
  const f = (x: unknown, d = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–')
  const MB = (b: number) => b / 1e6
  const med = (rs: Run[] | undefined, get: (r: Run) => number) => (rs && rs.length ? median(rs.map(get)) : NaN)
  const n = (rs: Run[] | undefined) => rs?.length ?? 0
  const rows: string[] = []
  const compare: string[] = []
  const rates: string[] = []
  const deltas: string[] = []
  const baseline: string[] = []
  for (const r of results as { size: number; runs: Record<string, Run[]> }[]) {
    const x = r.runs
    const mpxns = x.files?.[0]?.mpxns ?? x.snapshot?.[0]?.mpxns ?? r.size
    const per = (b: number) => b / mpxns
    if (x['files-baseline']) baseline.push(`| ${f(mpxns)} | ${f(med(x['files-baseline'], (q) => q.readyMs) / 1000, 1)} (${n(x['files-baseline'])}) | ${f(MB(med(x['files-baseline'], (q) => q.peak)))} (${f(per(med(x['files-baseline'], (q) => q.peak)), 1)}) | ${f(med(x.files, (q) => q.readyMs) / med(x['files-baseline'], (q) => q.readyMs), 2)} | ${f(med(x.files, (q) => q.peak) / med(x['files-baseline'], (q) => q.peak), 2)} |`)
    rows.push(`| ${f(mpxns)} | ${f(med(x.files, (q) => q.readyMs) / 1000, 1)} (${n(x.files)}) | ${f(MB(med(x.files, (q) => q.peak)))} (${f(per(med(x.files, (q) => q.peak)), 1)}) | ` +
      `${f(med(x.snapshot, (q) => q.readyMs) / 1000, 2)} (${n(x.snapshot)}) | ${f(MB(med(x.snapshot, (q) => q.peakAtReady)))} (${f(per(med(x.snapshot, (q) => q.peakAtReady)), 1)}) | ` +
      `${f(MB(med(x['reload-snapshot'], (q) => q.peak)))} (${f(per(med(x['reload-snapshot'], (q) => q.peak)), 1)}) | ` +
      `${f(MB(med(x['reload-files'], (q) => q.peak)))} (${f(per(med(x['reload-files'], (q) => q.peak)), 1)}) | ` +
      `${f(med(x['reload-files'], (q) => q.reload.maxStallMs), 1)} | ${f(MB(x.files?.[0]?.indexBytes ?? NaN))} | ${f(MB(x.files?.[0]?.snapshot?.bytes ?? NaN))} |`)
    for (const [kind, label, get] of COMPARED) {
      const a = x[kind]
      const b = x[`${kind}@base`]
      if (!a?.length || !b?.length) continue
      const after = med(a, get)
      const before = med(b, get)
      if (!Number.isFinite(after) && !Number.isFinite(before)) continue // runs from before the measure existed
      const loads = [...a, ...b].map((q) => q.loadavg1 as number)
      compare.push(`| ${f(mpxns)} | ${label} | ${f(before, 1)} (${n(b)}) | ${f(after, 1)} (${n(a)}) | ${f(after / before, 2)} | ${f(Math.min(...loads), 1)}–${f(Math.max(...loads), 1)} |`)
    }
    if (x.snapshot) rates.push(`| ${f(mpxns)} | ${f(med(x.snapshot, (q) => q.batchedPerSec))} | ${f(med(x.snapshot, (q) => q.numericKeysPerSec))} | ${f(med(x.snapshot, (q) => q.fromStringsPerSec))} | ${f(med(x.snapshot, (q) => q.devicePerSec))} | ${f(med(x.snapshot, (q) => q.lookupFactsPerSec))} |`)
    if (x.delta) deltas.push(`| ${f(mpxns)} | ${f(x.delta[0]!.delta.rows)} | ${f(med(x.delta, (q) => q.delta.ms))} (${n(x.delta)}) | ${f(med(x.delta, (q) => q.delta.maxStallMs), 1)} | ${f(med(x.delta, (q) => q.delta.p99StallMs), 2)} | ${f(med(x.delta, (q) => q.control?.maxStallMs ?? NaN), 1)} | ${f(med(x.delta, (q) => q.compact.ms) / 1000, 1)} | ${f(med(x.delta, (q) => q.compact.maxStallMs), 1)} | ${f(MB(med(x.delta, (q) => q.peak)))} |`)
  }
  const loads = (results as { runs: Record<string, Run[]> }[]).flatMap((r) => Object.values(r.runs).flat().map((q) => q.loadavg1 as number))
  return [
    '# Registry benchmark (issue #17)', '',
    `${machine}. Medians of the runs in brackets; each measurement in a fresh child process. ` +
    `Peak RSS = the process's VmHWM (main thread, load worker, everything). The machine was shared with other ` +
    `jobs: 1-minute load average ${f(Math.min(...loads), 1)}–${f(Math.max(...loads), 1)} on its ${cpus().length} cores during these runs, so times ` +
    `are slower than on a quiet machine; memory figures do not depend on the load. The child is plain node ` +
    `(this file bundled by esbuild, ${f(MB(baseRss(results)))} MB of RSS before the load); the snapshot start's peak is taken at ready, ` +
    `before the lookup-rate test allocates its 2M key strings.`, '',
    '| MPxNs | ready from files s (runs) | peak MB from files (B/MPxN) | ready from snapshot s (runs) | peak MB from snapshot (B/MPxN) | peak MB, reload from snapshot | peak MB, reload from files | longest stall in a reload ms | index MB | snapshot MB |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows, '',
    'Lookups per second on one core, 1M random keys (half misses); reported, not a target (issue #17):', '',
    '| MPxNs | batched, numeric keys | one by one, numeric keys | one by one, from strings | device EUI-64 | lookupFacts (device alerts) |',
    '|---|---|---|---|---|---|',
    ...rates, '',
    'Delta updates under a lookupFacts load (slices of 100 lookups on the event loop): 10k rows = 5k registration rows (supply starts moved, new supply starts) + 5k device rows (devices moved):', '',
    '| MPxNs | rows | apply ms (runs) | longest stall ms | p99 stall ms | control: longest stall ms with no delta | compaction s (worker) | longest stall during compaction ms | peak MB |',
    '|---|---|---|---|---|---|---|---|---|',
    ...deltas, '',
    ...(compare.length ? ['Before / after in the same run (`KIND@base`: the build given by --base-dist, on the same files and its own snapshot; medians, runs in brackets; ratio = after / before):', '',
      '| MPxNs | measure | before | after | ratio | 1-min load |', '|---|---|---|---|---|---|', ...compare, ''] : []),
    ...(baseline.length ? ['In-run baseline: the loader before issue #17 on the same files in the same runs (ratio = new / old, medians):', '',
      '| MPxNs | old ready from files s (runs) | old peak MB (B/MPxN) | ready ratio | peak ratio |', '|---|---|---|---|---|', ...baseline, ''] : []),
  ].join('\n')
}

if (process.argv.includes('--child')) process.stdout.write(JSON.stringify(await child(arg('child', ''), arg('dir', ''), arg('snap', ''))))
else if (process.argv.includes('--report-only')) {
  // rewrite registry.md from registry.json (e.g. after changing the tables)
  const j = JSON.parse(readFileSync(join(here, 'results', 'registry.json'), 'utf8')) as { machine: string; results: Record<string, unknown>[] }
  writeFileSync(join(here, 'results', 'registry.md'), report(j.machine, j.results))
} else await main()
