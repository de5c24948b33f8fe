// Registry index benchmark (style §6: baseline in the same process, medians of several runs).
//   npx tsx bench/registry.bench.ts [--sizes 1e6,1e7,3e7] [--runs 5]
// Per size: a synthetic world (bench/world.ts, cached under bench/.cache/), then in a fresh child
// process: load time, RSS, bytes per entry, lookups/s on one core for random MPxNs and devices
// (half hits, half misses) against a Map<string, periods[]> built from the same rows (sizes
// where it fits), and lookupFacts/s on device alerts. Writes bench/results/registry.{json,md}.
import { execFileSync } from 'node:child_process'
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as csvParse } from 'csv-parse'
import { fields, readLines, splitFields } from '../src/registry/csv-rows.js'
import { loadRegistry, lookupFacts, parseDay } from '../src/registry/index.js'
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

async function child(dir: string, runs: number, withMap: boolean, withCsv: boolean) {
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
      if (s >= 0 && index.periodIndexAt(s, day) >= 0) found++
    }
    return found
  })
  out.mpxnLookupsPerSec = mp.perSec
  out.mpxnHitShare = mp.sink / runs / N
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
      '--child', dir, '--runs', String(runs), '--map', size <= 1e7 ? '1' : '0', '--csv', size === sizes[0] ? '1' : '0']
    const r = JSON.parse(execFileSync(process.execPath, args, { maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] }).toString())
    results.push({ size, ...r })
    console.error(JSON.stringify({ size, ...r }))
  }
  const machine = `${cpus()[0]?.model ?? '?'} x${cpus().length}, Node ${process.version}`
  mkdirSync(join(here, 'results'), { recursive: true })
  writeFileSync(join(here, 'results', 'registry.json'), JSON.stringify({ machine, date: new Date().toISOString(), runs, results }, null, 1))
  const f = (x: unknown, d = 0) => (typeof x === 'number' ? x.toLocaleString('en-GB', { maximumFractionDigits: d }) : '–')
  const md = [
    `# Registry index benchmark`, '', `${machine}; median of ${runs} runs; 1M random keys, half hits.`, '',
    '| MPxNs | periods | devices | load s | RSS MiB | index MiB | index B/MPxN | MPxN lookups/s | periodAt/s | device lookups/s | lookupFacts/s | Map lookups/s | Map heap MiB | Map build s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${f(r.mpxns)} | ${f(r.periods)} | ${f(r.devices)} | ${f((r.loadMs as number) / 1000, 1)} | ${f(r.rssMiB)} | ${f(r.indexMiB)} | ${f(r.indexBytesPerMpxn, 1)} | ${f(r.mpxnLookupsPerSec)} | ${f(r.periodAtPerSec)} | ${f(r.deviceLookupsPerSec)} | ${f(r.lookupFactsPerSec)} | ${f(r.mapLookupsPerSec)} | ${f(r.mapHeapMiB)} | ${r.mapBuildMs ? f((r.mapBuildMs as number) / 1000, 1) : '–'} |`),
    '', ...results.filter((r) => r.csvParseMs).map((r) => `CSV reader on ${f(r.csvRows)} registration rows: csv-parse ${f(r.csvParseMs)} ms, hand reader ${f(r.handReaderMs)} ms.`),
    '',
  ].join('\n')
  writeFileSync(join(here, 'results', 'registry.md'), md)
  console.log(md)
}

if (process.argv.includes('--child')) await child(arg('child', ''), Number(arg('runs', '5')), arg('map', '0') === '1', arg('csv', '0') === '1')
else await main()
