// Registry index benchmark (style §6: baseline in the same process, medians of several runs).
//   npm run bench:registry -- [--sizes 1e6,1e7,3e7] [--runs 5]
// Per size: a synthetic world (bench/world.ts, cached under bench/.cache/), then in a fresh child
// process: load time (in a load worker, as the gateway does), RSS, bytes per entry, lookups/s on
// one core for random MPxNs and devices (half hits, half misses): the current layout one at a time
// (from strings, and from numeric keys) and batched, the first version's layout rebuilt from the
// same data (registry-old-layout.ts), and a Map<string, periods[]> from the same rows (sizes where
// it fits); lookupFacts/s on device alerts; and the swap pause: the longest event-loop stall
// while a reload runs under a lookupFacts load. Writes bench/results/registry.{json,md}.
import { execFileSync } from 'node:child_process'
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as csvParse } from 'csv-parse'
import { fields, readLines, splitFields } from '../src/registry/csv-rows.js'
import { monitorEventLoopDelay } from 'node:perf_hooks'
// the compiled registry (npm run build): loadRegistry then loads in its worker thread, as the gateway does
import { loadRegistry, lookupFacts, parseDay, type CompactRegistry } from '../dist/registry/index.js'
import { mpxnKey } from '../src/registry/keys.js'
import { oldLayoutOf, oldLookup } from './registry-old-layout.js'
import type { Envelope } from '../src/envelope/types.js'
import { deviceIdOf, generateWorld, mpanOf, mprnOf, prng, type WorldManifest } from './world.js'

const here = dirname(fileURLToPath(import.meta.url))
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : def
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const MiB = (n: number) => n / 1048576

function timeRuns(runs: number, n: number, fn: () => number): { perSec: number; sink: number } {
  const rates: number[] = []
  let sink = 0
  for (let r = 0; r < runs; r++) {
    ;(globalThis as { gc?: () => void }).gc?.() // no collection of earlier garbage inside a timed run
    const t0 = process.hrtime.bigint()
    sink += fn()
    rates.push(n / (Number(process.hrtime.bigint() - t0) / 1e9))
  }
  return { perSec: median(rates), sink }
}

/**
 * Swap pause: a lookupFacts load runs in small setImmediate slices while the registry reloads;
 * the longest gap between slices is the longest any request would have waited on the event loop.
 */
async function swapPause(paths: Parameters<typeof loadRegistry>[0], index: CompactRegistry, envs: Envelope[], inThread: boolean) {
  let cur = index
  let stop = false
  let gaps: number[] = []
  let last = performance.now()
  let served = 0
  const h = monitorEventLoopDelay({ resolution: 1 })
  let swapAt = 0
  let maxAt = 0
  let maxGap = 0
  let t0 = 0
  const slice = () => {
    const now = performance.now()
    if (now - last > maxGap) {
      maxGap = now - last
      maxAt = now - t0
    }
    gaps.push(now - last)
    for (let j = 0; j < 100; j++) served += lookupFacts(envs[(served + j) % envs.length]!, cur).mpxns.length > 0 ? 1 : 0
    last = performance.now()
    if (!stop) setImmediate(slice)
  }
  await new Promise((r) => setTimeout(r, 50))
  gaps = []
  h.enable()
  t0 = last = performance.now()
  setImmediate(slice)
  const { index: next } = await loadRegistry(paths, { maxRejectRatio: 0.01, inThread })
  cur = next // the swap
  swapAt = performance.now() - t0
  await new Promise((r) => setTimeout(r, 20))
  stop = true
  h.disable()
  const sorted = [...gaps].sort((a, b) => a - b)
  return {
    reloadMs: performance.now() - t0, maxStallMs: sorted[sorted.length - 1]!, p99StallMs: sorted[Math.floor(sorted.length * 0.99)]!,
    eventLoopDelayMaxMs: h.max / 1e6, slices: gaps.length, swapAtMs: swapAt, maxStallAtMs: maxAt,
  }
}

async function child(dir: string, runs: number, withMap: boolean, withCsv: boolean, withInThread: boolean) {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as WorldManifest
  const paths = { registrations: join(dir, 'registrations.csv'), devices: join(dir, 'devices.csv'), parties: join(dir, 'parties.yaml') }
  const gc = (globalThis as { gc?: () => void }).gc!
  gc()
  const rss0 = process.memoryUsage().rss
  const t0 = performance.now()
  const { index, report } = await loadRegistry(paths, { maxRejectRatio: 0.01 })
  const loadMs = performance.now() - t0
  gc()
  const mem = process.memoryUsage()
  const out: Record<string, unknown> = {
    mpxns: index.counts.mpxns, periods: index.counts.registrations, devices: index.counts.devices,
    deviceRows: m.deviceRows, loadMs, regFileMs: report.files[1]!.ms, devFileMs: report.files[2]!.ms,
    rssMiB: MiB(mem.rss), rssDeltaMiB: MiB(mem.rss - rss0), indexMiB: MiB(index.byteSize()),
    indexBytesPerMpxn: index.byteSize() / index.counts.mpxns,
  }
  // lookup keys: half hits, half misses (valid-looking MPxNs / EUIs past the generated ranges)
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
  // flatten: concatenated strings are cons-strings that charCodeAt flattens on first use, which
  // the parser's (flat or sliced) strings never need; without this the first run is 3x slower
  for (let i = 0, flat = JSON.parse(JSON.stringify([keys, devs])) as string[][]; i < N; i++) {
    keys[i] = flat[0]![i]!
    devs[i] = flat[1]![i]!
  }
  const day = parseDay('2025-03-14')
  const mp = timeRuns(runs, N, () => {
    let found = 0
    for (let i = 0; i < N; i++) {
      const s = index.slotOf(keys[i]!)
      if (s >= 0 && index.periodInRange(day) >= 0) found++
    }
    return found
  })
  out.mpxnLookupsPerSec = mp.perSec
  out.mpxnHitShare = mp.sink / runs / N
  // numeric keys (what a parser that keeps the MPxN as a number would hand over), same keys
  const nkeys = Float64Array.from(keys, mpxnKey)
  out.keyLookupsPerSec = timeRuns(runs, N, () => {
    let found = 0
    for (let i = 0; i < N; i++) if (index.slotOfKey(nkeys[i]!) >= 0 && index.periodInRange(day) >= 0) found++
    return found
  }).perSec
  const res = new Int32Array(N)
  out.batchLookupsPerSec = timeRuns(runs, N, () => {
    index.lookupKeys(nkeys, day, res)
    let found = 0
    for (let i = 0; i < N; i++) if (res[i]! >= 0) found++
    return found
  }).perSec
  {
    // before/after in the same run: the first version's layout over the same data
    const old = oldLayoutOf(index)
    out.oldKeyLookupsPerSec = timeRuns(runs, N, () => {
      let found = 0
      for (let i = 0; i < N; i++) if (oldLookup(old, nkeys[i]!, day) >= 0) found++
      return found
    }).perSec
    const oldBytes = [old.starts, old.keys, old.pStart, old.pFrom, old.pTo, old.pMpid].reduce((n, a) => n + a.byteLength, 0)
    const m = index.main
    out.oldMpxnTableMiB = MiB(oldBytes)
    out.mpxnTableMiB = MiB(m.starts.byteLength + m.slots.byteLength + m.periods.byteLength)
  }
  out.periodAtPerSec = timeRuns(runs, N, () => {
    let f = 0
    for (let i = 0; i < N; i++) if (index.periodAt(keys[i]!, '2025-03-14')) f++
    return f
  }).perSec
  out.deviceLookupsPerSec = timeRuns(runs, N, () => {
    let f = 0
    for (let i = 0; i < N; i++) if (index.deviceRowOf(devs[i]!) >= 0) f++
    return f
  }).perSec
  const tenantUser = '90-B3-D5-1F-30-10-00-00'
  const envs: Envelope[] = devs.slice(0, 100_000).map((d, i) => ({
    schemaVersion: '5.4', responseCode: 'I0', responseDateTime: '', responseTime: Date.UTC(2025, 2, 14, 8, 0, i % 60),
    kind: 'device_alert', bodyElement: 'DeviceAlertMessage', mpxns: [], deviceIds: [], hasGbcsPayload: true, hasSignature: false,
    responseId: { raw: '', originator: d, target: tenantUser, counter: String(i) },
  }))
  out.lookupFactsPerSec = timeRuns(runs, envs.length, () => {
    let n = 0
    for (const e of envs) n += lookupFacts(e, index).mpxns.length
    return n
  }).perSec

  gc()
  out.swap = await swapPause(paths, index, envs, false)
  if (withInThread) out.swapInThread = await swapPause(paths, index, envs, true)
  gc()

  if (withMap) {
    // Baseline: Map<string, {mpid, from, to?}[]> from the same registrations.csv, same process.
    gc()
    const h0 = process.memoryUsage()
    const tm = performance.now()
    const map = new Map<string, { mpid: string; from: string; to?: string }[]>()
    await readLines(paths.registrations, (buf, s, e, line) => {
      if (line === 1) return
      splitFields(buf, s, e)
      const k = buf.toString('latin1', fields[0]!, fields[1]!)
      const p = { mpid: buf.toString('latin1', fields[2]!, fields[3]!), from: buf.toString('latin1', fields[4]!, fields[5]!) }
      const list = map.get(k)
      if (list) list.push(p)
      else map.set(k, [p])
    })
    out.mapBuildMs = performance.now() - tm
    gc()
    const h1 = process.memoryUsage()
    out.mapHeapMiB = MiB(h1.heapUsed - h0.heapUsed)
    out.mapLookupsPerSec = timeRuns(runs, N, () => {
      let f = 0
      for (let i = 0; i < N; i++) {
        const ps = map.get(keys[i]!)
        if (!ps) continue
        for (let j = ps.length - 1; j >= 0; j--) if (ps[j]!.from <= '2025-03-14') { f++; break }
      }
      return f
    }).perSec
    out.mapSize = map.size
  }
  if (withCsv) {
    // csv-parse 6 vs the hand reader on the same registrations.csv (rows counted only)
    const tc = performance.now()
    let rows = 0
    for await (const _ of createReadStream(paths.registrations).pipe(csvParse({ from_line: 2 }))) rows++
    out.csvParseMs = performance.now() - tc
    const th = performance.now()
    let rows2 = 0
    await readLines(paths.registrations, (buf, s, e) => { rows2 += splitFields(buf, s, e) > 0 ? 1 : 0 })
    out.handReaderMs = performance.now() - th
    out.csvRows = rows
  }
  process.stdout.write(JSON.stringify(out))
}

async function main() {
  const sizes = arg('sizes', '1e6').split(',').map(Number)
  const runs = Number(arg('runs', '5'))
  const results: Record<string, unknown>[] = []
  for (const size of sizes) {
    const dir = join(here, '.cache', `world-${size}`)
    if (!existsSync(join(dir, 'manifest.json'))) {
      const t = performance.now()
      await generateWorld({ mpxns: size, seed: 1 }, dir)
      console.error(`generated ${dir} in ${((performance.now() - t) / 1000).toFixed(1)} s`)
    }
    const args = ['--expose-gc', '--max-old-space-size=16384', '--import', 'tsx', fileURLToPath(import.meta.url),
      '--child', dir, '--runs', String(runs), '--map', size <= 1e7 ? '1' : '0', '--csv', size === sizes[0] ? '1' : '0',
      '--inthread', size <= 1e6 ? '1' : '0']
    const r = JSON.parse(execFileSync(process.execPath, args, { maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] }).toString())
    results.push({ size, ...r })
    console.error(JSON.stringify({ size, ...r }))
  }
  const machine = `${cpus()[0]?.model ?? '?'} x${cpus().length}, Node ${process.version}`
  mkdirSync(join(here, 'results'), { recursive: true })
  writeFileSync(join(here, 'results', 'registry.json'), JSON.stringify({ machine, date: new Date().toISOString(), runs, results }, null, 1))
  const f = (x: unknown, d = 0) => (typeof x === 'number' ? x.toLocaleString('en-GB', { maximumFractionDigits: d }) : '–')
  const sw = (r: Record<string, unknown>, k: string) => (r[k] as { maxStallMs: number } | undefined)
  const md = [
    `# Registry index benchmark`, '', `${machine}; median of ${runs} runs; 1M random keys, half hits. ` +
    `1-minute load average ${loadavg()[0]!.toFixed(1)} when written; ratios within one run hold whatever the load.`, '',
    '| MPxNs | periods | devices | load s | RSS MiB | index MiB | index B/MPxN | MPxN table MiB (first version) |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${f(r.mpxns)} | ${f(r.periods)} | ${f(r.devices)} | ${f((r.loadMs as number) / 1000, 1)} | ${f(r.rssMiB)} | ${f(r.indexMiB)} | ${f(r.indexBytesPerMpxn, 1)} | ${f(r.mpxnTableMiB)} (${f(r.oldMpxnTableMiB)}) |`),
    '', 'Lookups per second on one core (MPxN + period at a day; device = EUI-64 -> device row):', '',
    '| MPxNs | batched (numeric keys) | one by one, numeric keys | one by one, from strings | first version, numeric keys | Map baseline | device lookups/s | lookupFacts/s |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${f(r.mpxns)} | ${f(r.batchLookupsPerSec)} | ${f(r.keyLookupsPerSec)} | ${f(r.mpxnLookupsPerSec)} | ${f(r.oldKeyLookupsPerSec)} | ${f(r.mapLookupsPerSec)} | ${f(r.deviceLookupsPerSec)} | ${f(r.lookupFactsPerSec)} |`),
    '', 'Swap pause: longest event-loop stall while a reload runs under a lookupFacts load (slices of 100):', '',
    '| MPxNs | reload s | longest stall ms (load worker) | longest stall ms (load on the main thread) |',
    '|---|---|---|---|',
    ...results.map((r) => `| ${f(r.mpxns)} | ${f(((r.swap as { reloadMs: number }).reloadMs) / 1000, 1)} | ${f(sw(r, 'swap')?.maxStallMs, 1)} | ${f(sw(r, 'swapInThread')?.maxStallMs, 0)} |`),
    '', ...results.filter((r) => r.csvParseMs).map((r) => `CSV reader on ${f(r.csvRows)} registration rows: csv-parse ${f(r.csvParseMs)} ms, hand reader ${f(r.handReaderMs)} ms.`),
    '',
  ].join('\n')
  writeFileSync(join(here, 'results', 'registry.md'), md)
  console.log(md)
}

if (process.argv.includes('--child')) await child(arg('child', ''), Number(arg('runs', '5')), arg('map', '0') === '1', arg('csv', '0') === '1', arg('inthread', '0') === '1')
else await main()
