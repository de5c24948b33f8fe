// Where the slow answers of an open-loop run waited (docs/performance.md, "The tail at half the
// peak, today"): joins the client's per-request latencies (openLoop's trace file: due time in epoch
// ms, latency ms) with the gateway's GC pauses and event-loop gaps (bench/lib/loop-trace.mjs) and
// names, for every answer over a threshold, what overlapped it.
import { readFileSync } from 'node:fs'

export interface TracedRequest { due: number; latency: number }
export type LoopEvent =
  | { kind: 'gc'; at: number; ms: number; gc: string }
  | { kind: 'gap'; at: number; ms: number; onCore: number; waiting: number }

export interface SlowCauses {
  requests: number
  slow: number
  /** each slow answer once, by the first that applies: a major GC, a scavenge of 2 ms or more, an event-loop gap that is not GC, a shorter GC, nothing seen */
  byCause: { majorGc: number; scavenge: number; gap: number; smallGc: number; none: number }
  /** the gaps over the whole trace: how long, and how much of it the main thread was on a core or waiting for one */
  gaps: { count: number; ms: number; onCore: number; waiting: number }
}

export function parseRequests(text: string): TracedRequest[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [due, latency] = l.split(' ').map(Number)
    return { due: due!, latency: latency! }
  })
}

export function parseLoopEvents(text: string): LoopEvent[] {
  const out: LoopEvent[] = []
  for (const l of text.split('\n')) {
    const p = l.split(' ')
    if (p[0] === 'gc') out.push({ kind: 'gc', at: Number(p[1]), ms: Number(p[2]), gc: p[3]! })
    else if (p[0] === 'gap') out.push({ kind: 'gap', at: Number(p[1]), ms: Number(p[2]), onCore: Number(p[3]), waiting: Number(p[4]) })
  }
  return out
}

/** Requests due from `from` (epoch ms) on: each answer of `thresholdMs` or more is charged to what overlapped [due, due + latency]. */
export function slowCauses(requests: readonly TracedRequest[], events: readonly LoopEvent[], thresholdMs: number, from = -Infinity): SlowCauses {
  const rs = requests.filter((r) => r.due >= from)
  const es = [...events].sort((a, b) => a.at - b.at)
  const byCause = { majorGc: 0, scavenge: 0, gap: 0, smallGc: 0, none: 0 }
  let slow = 0
  for (const r of rs) {
    if (r.latency < thresholdMs) continue
    slow++
    const end = r.due + r.latency
    const hits = es.filter((e) => e.at < end && e.at + e.ms > r.due)
    if (hits.some((e) => e.kind === 'gc' && e.gc === 'major')) byCause.majorGc++
    else if (hits.some((e) => e.kind === 'gc' && e.gc === 'minor' && e.ms >= 2)) byCause.scavenge++
    else if (hits.some((e) => e.kind === 'gap')) byCause.gap++
    else if (hits.length > 0) byCause.smallGc++
    else byCause.none++
  }
  return { requests: rs.length, slow, byCause, gaps: gapTotals(events, from) }
}

/** The event-loop gaps from `from` (epoch ms) on: how many, how long, and the main thread's time on a core and waiting for one in them. */
export function gapTotals(events: readonly LoopEvent[], from = -Infinity): SlowCauses['gaps'] {
  const gaps = { count: 0, ms: 0, onCore: 0, waiting: 0 }
  for (const e of events) {
    if (e.kind !== 'gap' || e.at < from) continue
    gaps.count++
    gaps.ms += e.ms
    gaps.onCore += e.onCore
    gaps.waiting += e.waiting
  }
  return gaps
}

/** The report `TAIL_TRACE=DIR` prints: answers over 8 and 12 ms after the first `skipSeconds`. */
export function tailReport(clientFile: string, gatewayFile: string, skipSeconds = 3): string {
  const requests = parseRequests(readFileSync(clientFile, 'utf8'))
  const events = parseLoopEvents(readFileSync(gatewayFile, 'utf8'))
  if (requests.length === 0) return 'tail trace: no requests traced'
  const from = requests[0]!.due + skipSeconds * 1000
  const lines = [`tail trace (after the first ${skipSeconds} s):`]
  for (const threshold of [8, 12]) {
    const c = slowCauses(requests, events, threshold, from)
    const b = c.byCause
    lines.push(`  answers >= ${threshold} ms: ${c.slow} of ${c.requests}; overlapping a major GC ${b.majorGc}, a scavenge >= 2 ms ${b.scavenge}, an event-loop gap (not GC) ${b.gap}, a shorter GC ${b.smallGc}, nothing seen ${b.none}`)
  }
  const g = gapTotals(events, from)
  lines.push(`  event-loop gaps over 4 ms: ${g.count}, ${g.ms.toFixed(0)} ms in all: the main thread on a core ${g.onCore.toFixed(0)} ms, waiting for one ${g.waiting.toFixed(0)} ms`)
  return lines.join('\n')
}

/** The loop trace's pair of clocks: an instant in epoch ms and the same instant on the monotonic clock in µs (what a --cpu-prof profile's times count). */
export function parseClock(text: string): { epochMs: number; monoUs: number } | undefined {
  const l = text.split('\n').find((x) => x.startsWith('clock '))
  if (l === undefined) return undefined
  const [, epochMs, monoUs] = l.split(' ')
  return { epochMs: Number(epochMs), monoUs: Number(monoUs) }
}

export interface CpuProfile { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[]; startTime: number; samples: number[]; timeDeltas: number[] }

/**
 * What the main thread ran inside the event-loop gaps: each profile sample taken in a gap is
 * charged to the innermost frame of ours (dist/<folder>/<file> function) on its stack, else to its
 * leaf (a GC pause inside a gap shows as "(outside) (garbage collector)"). Returns the frames by
 * their share of the in-gap samples, with their share of all.
 */
export function gapProfile(profile: CpuProfile, events: readonly LoopEvent[], clock: { epochMs: number; monoUs: number }, from = -Infinity): { inGap: number; total: number; frames: { frame: string; inGap: number; overall: number }[] } {
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const keyOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame
      const m = /\/dist\/(.+)$/.exec(f.url)
      if (m) return `${m[1]} ${f.functionName || '(anonymous)'}`
    }
    const f = byId.get(id)!.callFrame
    return `(outside) ${f.functionName || '(anonymous)'}`
  }
  // the gaps as [start, end) in epoch ms, sorted
  const gaps = events.filter((e): e is Extract<LoopEvent, { kind: 'gap' }> => e.kind === 'gap' && e.at >= from).map((e) => [e.at, e.at + e.ms] as const).sort((a, b) => a[0] - b[0])
  const inGap = new Map<string, number>()
  const overall = new Map<string, number>()
  let t = profile.startTime
  let g = 0
  let nIn = 0
  let nAll = 0
  profile.samples.forEach((id, k) => {
    t += profile.timeDeltas[k]!
    const at = clock.epochMs + (t - clock.monoUs) / 1000
    if (at < from) return
    const key = keyOf(id)
    nAll++
    overall.set(key, (overall.get(key) ?? 0) + 1)
    while (g < gaps.length && gaps[g]![1] <= at) g++
    if (g < gaps.length && gaps[g]![0] <= at) {
      nIn++
      inGap.set(key, (inGap.get(key) ?? 0) + 1)
    }
  })
  const frames = [...inGap].sort((a, b) => b[1] - a[1]).map(([frame, n]) => ({ frame, inGap: n / nIn, overall: (overall.get(frame) ?? 0) / nAll }))
  return { inGap: nIn, total: nAll, frames }
}

/** The report `TAIL_TRACE=DIR` prints when the run was profiled: the frames the main thread ran in its gaps, after the first `skipSeconds`. */
export function gapReport(profile: CpuProfile, clientFile: string, gatewayFile: string, skipSeconds = 3, top = 20): string {
  const text = readFileSync(gatewayFile, 'utf8')
  const clock = parseClock(text)
  const requests = parseRequests(readFileSync(clientFile, 'utf8'))
  if (clock === undefined || requests.length === 0) return 'gap profile: no clock line or no requests traced'
  const p = gapProfile(profile, parseLoopEvents(text), clock, requests[0]!.due + skipSeconds * 1000)
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(6)
  return [
    `gap profile: ${p.inGap} of ${p.total} samples in event-loop gaps over 4 ms (share in gaps, share overall):`,
    ...p.frames.slice(0, top).map((f) => `  ${pct(f.inGap)} ${pct(f.overall)}  ${f.frame}`),
  ].join('\n')
}
