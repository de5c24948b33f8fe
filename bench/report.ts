// The benchmark report: bench/results/<date>-<name>.json (everything), .md (summary) and .svg
// (chart). Medians over rounds; the ratio is gateway / baseline throughput on the same machine.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BenchResult, RoundStats } from './replay-run.js'
import { OUTCOMES } from './report-accounting.js'
import { renderSvg } from './report-svg.js'

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/**
 * The flat timeline: the per-second rates after the first `skipSeconds` (the last, partial
 * second left out), their median, the worst second's distance from it, and the share of seconds
 * within `tolerance` of it. `flat` when every such second is within the tolerance.
 */
export function flatness(timeline: readonly number[], bucketMs: number, skipSeconds = 10, tolerance = 0.15): { median: number; worst: number; within: number; seconds: number; flat: boolean; fifths: number[] } {
  const per = Math.max(1, Math.round(1000 / bucketMs))
  const secs: number[] = []
  for (let i = 0; i + per <= timeline.length; i += per) secs.push(timeline.slice(i, i + per).reduce((a, b) => a + b, 0) * (1000 / (per * bucketMs)))
  const xs = secs.slice(skipSeconds)
  if (xs.length === 0) return { median: NaN, worst: NaN, within: NaN, seconds: 0, flat: false, fifths: [] }
  const m = median(xs)
  const dev = xs.map((x) => Math.abs(x - m) / m)
  // the trend, robust to a noisy machine: the median of each fifth of the judged seconds
  const k = xs.length / 5
  const fifths = [0, 1, 2, 3, 4].map((i) => median(xs.slice(Math.round(i * k), Math.round((i + 1) * k))))
  return { median: m, worst: Math.max(...dev), within: dev.filter((d) => d <= tolerance).length / xs.length, seconds: xs.length, flat: dev.every((d) => d <= tolerance), fifths }
}

export interface Summary {
  target: RoundStats['target']
  rounds: number
  throughput: number
  replaySeconds: number
  drainSeconds: number
  p50: number
  p95: number
  p99: number
  cpuPercent: number
  peakRssMiB: number
}

export function summarise(rounds: RoundStats[], target: RoundStats['target']): Summary {
  const rs = rounds.filter((r) => r.target === target)
  const med = (f: (r: RoundStats) => number) => median(rs.map(f))
  return {
    target, rounds: rs.length, throughput: med((r) => r.throughput), replaySeconds: med((r) => r.replayMs / 1000),
    drainSeconds: med((r) => r.drainMs / 1000), p50: med((r) => r.p50), p95: med((r) => r.p95), p99: med((r) => r.p99),
    cpuPercent: med((r) => r.cpuPercent), peakRssMiB: Math.max(...rs.map((r) => r.peakRssMiB)),
  }
}

/** The median over rounds of `a`'s throughput over `b`'s in the same round. */
function roundRatio(rounds: RoundStats[], a: RoundStats['target'], b: RoundStats['target']): { median: number; each: number[] } {
  const each: number[] = []
  for (const x of rounds.filter((r) => r.target === a)) {
    const y = rounds.find((r) => r.target === b && r.round === x.round)
    if (y) each.push(x.throughput / y.throughput)
  }
  return { median: median(each), each }
}

/** The load's own CPU (% of one core), median over a target's rounds: "replayer / sink". */
function loadCpu(rounds: RoundStats[], target: RoundStats['target']): string {
  const rs = rounds.filter((r) => r.target === target && r.loadCpuPercent !== undefined)
  if (rs.length === 0) return 'n/a'
  return `${f(median(rs.map((r) => r.loadCpuPercent!.replayer)), 0)} / ${f(median(rs.map((r) => r.loadCpuPercent!.sink)), 0)}`
}

const floorName = (r: BenchResult) => (r.params.floor === 'contract' ? 'contract floor' : 'durable floor')

/** With --floor or --contract-floor: the three contenders side by side, and the ratios of each round. */
function floorSection(r: BenchResult): string[] {
  if (!r.rounds.some((x) => x.target === 'floor')) return []
  const [g, fl, b] = (['gateway', 'floor', 'baseline'] as const).map((t) => summarise(r.rounds, t))
  const gb = roundRatio(r.rounds, 'gateway', 'baseline')
  const fb = roundRatio(r.rounds, 'floor', 'baseline')
  const gf = roundRatio(r.rounds, 'gateway', 'floor')
  const each = (x: { each: number[] }) => x.each.map((v) => f(v, 2)).join(', ')
  const name = floorName(r)
  return [
    `## The ${name} in the same rounds`,
    '',
    ...(r.params.floor === 'contract'
      ? ['The contract floor (bench/durable-floor.ts with FLOOR_MODE=contract, `--contract-floor`): each document parsed with the',
          "gateway's envelope parser (422 where the gateway answers 422), one journal record through the gateway's Journal (one",
          "durable write per group) before its 200, its audit row through the gateway's projection worker, then posted to the sink",
          'when the oracle says the gateway delivers or forwards it. No registry, policy, dedupe, delivery queue, retries,',
          'obligations or metrics: the least the contract itself asks, not a gateway.']
      : ['The durable floor (bench/durable-floor.ts, `--floor`): each document appended to a file with one fdatasync per group',
          'before its 200, then posted to the sink when the oracle says the gateway delivers or forwards it. No parsing, no registry,',
          'no decision, no SQLite, no dedupe, no retries: the least any gateway under the contract does, not a gateway.']),
    '',
    `| | gateway | ${name} | pass-through baseline |`,
    '|---|---:|---:|---:|',
    `| throughput (msg/s, median) | ${f(g!.throughput, 0)} | ${f(fl!.throughput, 0)} | ${f(b!.throughput, 0)} |`,
    `| × baseline, median of the rounds' ratios (each round) | ${f(gb.median, 2)} (${each(gb)}) | ${f(fb.median, 2)} (${each(fb)}) | 1 |`,
    `| gateway × floor, median of the rounds' ratios (each round) | ${f(gf.median, 2)} (${each(gf)}) | | |`,
    `| replay + drain (s) | ${f(g!.replaySeconds + g!.drainSeconds)} | ${f(fl!.replaySeconds + fl!.drainSeconds)} | ${f(b!.replaySeconds)} |`,
    `| latency p50 / p99 (ms) | ${f(g!.p50, 2)} / ${f(g!.p99, 2)} | ${f(fl!.p50, 2)} / ${f(fl!.p99, 2)} | ${f(b!.p50, 2)} / ${f(b!.p99, 2)} |`,
    `| CPU of the server process (% of one core) | ${f(g!.cpuPercent, 0)} | ${f(fl!.cpuPercent, 0)} | ${f(b!.cpuPercent, 0)} |`,
    `| CPU of the replayer / the sink (% of one core) | ${loadCpu(r.rounds, 'gateway')} | ${loadCpu(r.rounds, 'floor')} | ${loadCpu(r.rounds, 'baseline')} |`,
    '',
  ]
}

/**
 * What one message costs the machine in a target's rounds: the server process's CPU (and of it the
 * main thread's) and the load's (replayer and sink), in µs per message, and two ceilings: the rate
 * the cores could carry at that cost if every one of them were busy (cores / CPU per message), and
 * the rate the main thread could carry if it were never idle (1 s / its CPU per message). A ratio
 * above the lower ceiling needs less CPU per message, not more concurrency. Medians over the rounds.
 */
export interface CpuBudget { serverMicros: number; mainMicros: number; loadMicros: number; busyPercent: number; coresCeiling: number; mainCeiling: number }
export function cpuBudget(rounds: RoundStats[], target: RoundStats['target'], messages: number, cores: number): CpuBudget | undefined {
  const rs = rounds.filter((r) => r.target === target && r.loadCpuPercent !== undefined)
  if (rs.length === 0) return undefined
  const per = rs.map((r) => {
    const wall = (r.replayMs + r.drainMs) / 1000
    const serverMicros = (r.cpuSeconds * 1e6) / messages
    const mainMicros = ((r.mainCpuSeconds ?? NaN) * 1e6) / messages
    const loadMicros = (((r.loadCpuPercent!.replayer + r.loadCpuPercent!.sink) / 100) * wall * 1e6) / messages
    return {
      serverMicros, mainMicros, loadMicros, busyPercent: (r.cpuPercent + r.loadCpuPercent!.replayer + r.loadCpuPercent!.sink) / cores,
      coresCeiling: (cores * 1e6) / (serverMicros + loadMicros), mainCeiling: 1e6 / mainMicros,
    }
  })
  const med = (k: keyof CpuBudget) => median(per.map((x) => x[k]))
  return { serverMicros: med('serverMicros'), mainMicros: med('mainMicros'), loadMicros: med('loadMicros'), busyPercent: med('busyPercent'), coresCeiling: med('coresCeiling'), mainCeiling: med('mainCeiling') }
}

function budgetSection(r: BenchResult): string[] {
  const base = summarise(r.rounds, 'baseline').throughput
  const rows = (['gateway', 'floor', 'baseline'] as const).flatMap((t) => {
    const c = cpuBudget(r.rounds, t, r.params.messages, r.machine.cpus)
    if (c === undefined) return []
    const low = Number.isFinite(c.mainCeiling) ? Math.min(c.coresCeiling, c.mainCeiling) : c.coresCeiling
    return [`| ${t === 'floor' ? floorName(r) : t} | ${f(c.serverMicros, 0)} (${f(c.mainMicros, 0)}) | ${f(c.loadMicros, 0)} | ${f(c.busyPercent, 0)}% | ${f(c.coresCeiling, 0)} | ${f(c.mainCeiling, 0)} | ${f(low / base, 2)}× |`]
  })
  if (rows.length === 0) return []
  return [
    '## CPU per message and the ceilings',
    '',
    `Each target's CPU per message (the server process, and in brackets its main thread; the load: replayer and sink), how much of the ${r.machine.cpus}`,
    'cores the three took, and two ceilings at that CPU per message: the rate if every core were busy, and the rate if the main thread',
    'were never idle. A ratio above the lower ceiling needs less CPU per message, not more concurrency.',
    '',
    '| target | server µs/msg (main thread) | load µs/msg | cores busy | ceiling, all cores (msg/s) | ceiling, main thread (msg/s) | lower ceiling × baseline |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ]
}

/** The round whose throughput is the median of its target's rounds (for the chart). */
function medianRound(rounds: RoundStats[], target: RoundStats['target']): RoundStats {
  const rs = rounds.filter((r) => r.target === target).sort((a, b) => a.throughput - b.throughput)
  return rs[Math.floor((rs.length - 1) / 2)]!
}

const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a')

export function renderMarkdown(r: BenchResult, base: string): string {
  const g = summarise(r.rounds, 'gateway')
  const b = summarise(r.rounds, 'baseline')
  const gws = r.rounds.filter((x) => x.target === 'gateway')
  const acc = gws[gws.length - 1]?.accounting
  const lines = [
    `# Benchmark: ${r.name} (${r.date.slice(0, 10)})`,
    '',
    `Command: \`${r.command}\`. Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memGiB} GiB, Node ${r.machine.node}, ${r.machine.platform}` +
      ` (${r.machine.note}). ${r.params.rounds} round(s), ${r.params.floor ? `gateway, ${floorName(r)} and baseline` : 'gateway and baseline'} interleaved (the order reversed every other round); medians. Concurrency ${r.params.concurrency} (HTTP/1.1 keep-alive, undici Pool).`,
    '',
    `World: ${r.world.mpans + r.world.mprns} MPxNs (${r.world.mpans} MPANs, ${r.world.mprns} MPRNs), ${r.world.devices} devices, ${r.world.registrationRows} registration rows;` +
      ` tenant ${r.world.tenant} (the losing supplier), ${r.world.failed} failed with the tenant as SRP; ${r.params.no623Share * 100}% of the tenant's lost switches never had SR 6.23 run.`,
    '',
    `Result: **${r.ok ? 'PASS: 0 lost, 0 duplicated, every outcome as the oracle expected' : 'FAIL: accounting mismatch (see JSON)'}**`,
    '',
    '| | gateway | pass-through baseline | ratio / target |',
    '|---|---|---|---|',
    `| throughput (msg/s) | ${f(g.throughput, 0)} | ${f(b.throughput, 0)} | ${f(g.throughput / b.throughput, 2)}× (target ≥ 0.6×) |`,
    `| replay of ${r.params.messages} documents (s) | ${f(g.replaySeconds)} | ${f(b.replaySeconds)} | target < 30 s with the drain |`,
    `| spool drained after the last response (s) | ${f(g.drainSeconds)} | – | replay + drain: ${f(g.replaySeconds + g.drainSeconds)} s |`,
    `| latency p50 / p95 / p99 (ms) | ${f(g.p50, 2)} / ${f(g.p95, 2)} / ${f(g.p99, 2)} | ${f(b.p50, 2)} / ${f(b.p95, 2)} / ${f(b.p99, 2)} | p99 target < 25 ms |`,
    ...gws.map((x) => {
      const fl = flatness(x.timeline, x.bucketMs)
      return `| timeline, gateway round ${x.round}: per-second rate after the first 10 s | median ${f(fl.median, 0)} msg/s over ${fl.seconds} s; worst second ${f(100 * fl.worst, 0)}% off; ${f(100 * fl.within, 0)}% of seconds within ±15%; median of each fifth ${fl.fifths.map((x) => f(x, 0)).join(' / ')} | | target: every second within ±15% (${fl.flat ? 'flat' : 'not flat'}) |`
    }),
    `| CPU of the server process (% of one core) | ${f(g.cpuPercent, 0)} | ${f(b.cpuPercent, 0)} | |`,
    `| CPU of the replayer / the sink (% of one core) | ${loadCpu(r.rounds, 'gateway')} | ${loadCpu(r.rounds, 'baseline')} | the load's share of the 2 cores |`,
    `| peak RSS (VmHWM, MiB) | ${f(g.peakRssMiB, 0)} | ${f(b.peakRssMiB, 0)} | |`,
    '',
    `![throughput and latency](${base}.svg)`,
    '',
    ...floorSection(r),
    ...budgetSection(r),
  ]
  if (acc) {
    lines.push('Accounting (last gateway round): sent = delivered + forwarded + dropped + quarantined + rejected', '',
      `| source | ${OUTCOMES.join(' | ')} | total |`, `|---|${OUTCOMES.map(() => '---').join('|')}|---|`)
    for (const [name, t] of [['oracle', acc.oracle], ['replayer', acc.replayer], ['sink', acc.sink], ['metrics', acc.metrics]] as const)
      lines.push(`| ${name} | ${OUTCOMES.map((o) => t[o]).join(' | ')} | ${t.total} |`)
    lines.push('', `Sink duplicates per Idempotency-Key: ${acc.sink.duplicates}. Delivered bodies compared by sha256 with the bytes sent. Problems: ${acc.problemCount}.`, '')
    if (acc.problems.length > 0) lines.push(...acc.problems.map((p) => `- ${p}`), '')
  }
  lines.push('Expected mix (oracle):', '', '| decision/reason | messages |', '|---|---|',
    ...Object.entries(r.mix).sort((x, y) => y[1] - x[1]).map(([k, v]) => `| ${k} | ${v} |`), '',
    '| round | target | msg/s | replay s | drain s | p50 ms | p99 ms | CPU % | peak RSS MiB |', '|---|---|---|---|---|---|---|---|---|',
    ...r.rounds.map((x) => `| ${x.round} | ${x.target} | ${f(x.throughput, 0)} | ${f(x.replayMs / 1000)} | ${f(x.drainMs / 1000)} | ${f(x.p50, 2)} | ${f(x.p99, 2)} | ${f(x.cpuPercent, 0)} | ${f(x.peakRssMiB, 0)} |`), '')
  return lines.join('\n')
}

/** Writes <dir>/<date>-<name>.{json,md,svg}; returns the base path. */
export function writeReport(r: BenchResult, dir: string): string {
  mkdirSync(dir, { recursive: true })
  const base = `${r.date.slice(0, 10)}-${r.name}`
  const svgRuns = [medianRound(r.rounds, 'gateway'), ...(r.params.floor ? [medianRound(r.rounds, 'floor')] : []), medianRound(r.rounds, 'baseline')]
  const floor = r.rounds.some((x) => x.target === 'floor') ? { floor: summarise(r.rounds, 'floor') } : {}
  writeFileSync(join(dir, `${base}.json`), JSON.stringify({ ...r, summary: { gateway: summarise(r.rounds, 'gateway'), baseline: summarise(r.rounds, 'baseline'), ...floor } }, null, 1) + '\n')
  writeFileSync(join(dir, `${base}.md`), renderMarkdown(r, base))
  writeFileSync(join(dir, `${base}.svg`), renderSvg(`${r.name}: ${r.params.messages} DUIS documents, gateway vs pass-through`, svgRuns))
  return join(dir, base)
}
