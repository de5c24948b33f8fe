// The replayer: posts every document once over HTTP keep-alive (undici Pool, one request per
// connection at a time) with bounded concurrency, and records per message the final status,
// decision, reason and messageId, plus latencies and completions over time. A 503 (overloaded,
// not ready) or a connection error is retried after a short pause: the gateway promises nothing
// was stored in that case, and a repeat of something that was stored comes back `duplicate`.
import { Pool } from 'undici'

export interface ReplayResult {
  url: string
  concurrency: number
  sent: number
  /** wall time from the first request to the last response, ms */
  elapsedMs: number
  status: Int16Array
  decision: (string | undefined)[]
  reason: (string | undefined)[]
  messageId: (string | undefined)[]
  duplicate: Uint8Array
  /** latency of the final attempt per message, ms */
  latencyMs: Float64Array
  retries: number
  errors: { index: number; error: string }[]
  /** completions per `bucketMs` since the start */
  timeline: number[]
  bucketMs: number
}

const MAX_ATTEMPTS = 8

export async function replayAll(url: string, bodies: readonly Buffer[], concurrency: number, bucketMs = 250): Promise<ReplayResult> {
  const target = new URL(url)
  const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 })
  const n = bodies.length
  const r: ReplayResult = {
    url, concurrency, sent: n, elapsedMs: 0,
    status: new Int16Array(n), decision: new Array(n), reason: new Array(n), messageId: new Array(n),
    duplicate: new Uint8Array(n), latencyMs: new Float64Array(n), retries: 0, errors: [], timeline: [], bucketMs,
  }
  const path = target.pathname
  let next = 0
  const t0 = performance.now()

  async function one(i: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now()
      let status = 0
      let text = ''
      let retryAfter = 0
      try {
        const res = await pool.request({ method: 'POST', path, body: bodies[i]!, headers: { 'content-type': 'application/xml', 'x-bench-seq': String(i) } })
        status = res.statusCode
        text = await res.body.text()
        retryAfter = Number(res.headers['retry-after'] ?? 0)
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS) {
          r.errors.push({ index: i, error: (err as Error).message })
          return
        }
      }
      const done = performance.now()
      if ((status === 0 || status === 503) && attempt < MAX_ATTEMPTS) {
        r.retries++
        await new Promise((res) => setTimeout(res, Math.min(250, Math.max(20, retryAfter * 1000))))
        continue
      }
      r.status[i] = status
      r.latencyMs[i] = done - started
      const b = Math.floor((done - t0) / bucketMs)
      while (r.timeline.length <= b) r.timeline.push(0)
      r.timeline[b]!++
      if (status === 200 || status === 422) {
        try {
          const j = JSON.parse(text) as { decision?: string; reason?: string; messageId?: string; duplicate?: boolean }
          if (status === 200) {
            r.decision[i] = j.decision
            r.reason[i] = j.reason
            r.messageId[i] = j.messageId
            if (j.duplicate) r.duplicate[i] = 1
          } else {
            r.decision[i] = 'quarantine'
            r.reason[i] = 'malformed'
          }
        } catch {
          r.errors.push({ index: i, error: `HTTP ${status}: body is not JSON` })
        }
      } else {
        r.errors.push({ index: i, error: `HTTP ${status}` })
      }
      return
    }
  }

  async function worker(): Promise<void> {
    for (let i = next++; i < n; i = next++) await one(i)
  }
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker))
  } finally {
    r.elapsedMs = performance.now() - t0
    await pool.close()
  }
  return r
}

/** p in 0..100 of the latencies, ms (nearest rank). */
export function percentiles(latencyMs: Float64Array, ps: number[]): number[] {
  const sorted = Float64Array.from(latencyMs).sort()
  return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0)
}
