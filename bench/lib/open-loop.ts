// Open-loop load at a fixed rate: request i is due at t0 + i/rate, sent then (whatever is still
// in flight), and its latency counts from when it was due, not from when it went out, so a stall
// in the server shows in full (no coordinated omission). autocannon's overallRate mode sends in
// bursts: a bare node:http server measured p99 109 ms at 2,500/s with it, against 4 ms closed-loop
// (bench/results/ingress.e2e.md), which is the load generator's burst, not the server.
import { writeFileSync } from 'node:fs'
import { Pool } from 'undici'

export interface OpenLoopResult {
  sent: number
  ok: number
  failed: number
  p50: number
  p99: number
  /** achieved completions per second */
  rate: number
  /** the slowest latency among the requests due in each second after the warm-up (ms): where in the run a tail comes from */
  maxBySecond: number[]
  /** per `bucketMs` of due time after the warm-up: the slowest latency and the p99 of the requests due in it (ms) */
  buckets: { max: number; p99: number }[]
}

/**
 * The first `warmupSeconds` open the connections and warm the JIT: sent, but not in the percentiles
 * (0: a cold start is measured from its first request). `bucketMs` sets the width of `buckets`.
 * `traceFile`: every request after the warm-up as a line "<due, epoch ms> <latency ms>" (bench/lib/tail-trace.ts).
 */
export async function openLoop(url: string, rate: number, seconds: number, body: (i: number) => string, connections = 64, warmupSeconds = 1, bucketMs = 1000, traceFile?: string): Promise<OpenLoopResult> {
  const target = new URL(url)
  const pool = new Pool(target.origin, { connections, pipelining: 1 })
  const warm = Math.round(rate * warmupSeconds)
  const total = warm + Math.round(rate * seconds)
  const latencies = new Float64Array(total)
  let ok = 0
  let failed = 0
  const inFlight: Promise<void>[] = []
  const t0 = performance.now()
  const one = async (i: number, due: number) => {
    try {
      const res = await pool.request({ method: 'POST', path: target.pathname, body: body(i), headers: { 'content-type': 'application/xml' } })
      await res.body.dump()
      if (res.statusCode === 200) ok++
      else failed++
    } catch {
      failed++
    }
    latencies[i] = Math.max(0, performance.now() - due)
  }
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 1) await new Promise((r) => setTimeout(r, wait))
    inFlight.push(one(i, due))
  }
  await Promise.all(inFlight)
  const elapsed = (performance.now() - t0) / 1000
  await pool.close()
  if (traceFile !== undefined) {
    const lines: string[] = []
    for (let i = warm; i < total; i++) lines.push(`${(performance.timeOrigin + t0 + (i * 1000) / rate).toFixed(1)} ${latencies[i]!.toFixed(2)}`)
    writeFileSync(traceFile, lines.join('\n') + '\n')
  }
  const sorted = Array.from(latencies.subarray(warm)).sort((a, b) => a - b)
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10
  const maxBySecond: number[] = []
  for (let i = warm; i < total; i++) {
    const sec = Math.floor((i - warm) / rate)
    maxBySecond[sec] = Math.max(maxBySecond[sec] ?? 0, Math.round(latencies[i]!))
  }
  const perBucket: number[][] = []
  for (let i = warm; i < total; i++) (perBucket[Math.floor(((i - warm) * 1000) / rate / bucketMs)] ??= []).push(latencies[i]!)
  const buckets = perBucket.map((xs) => {
    xs.sort((a, b) => a - b)
    return { max: Math.round(xs.at(-1)!), p99: Math.round(xs[Math.min(xs.length - 1, Math.floor(0.99 * xs.length))]!) }
  })
  return { sent: total, ok, failed, p50: at(0.5), p99: at(0.99), rate: ok / elapsed, maxBySecond, buckets }
}
