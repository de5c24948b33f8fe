import type { Logger } from 'pino'
import type { Clock } from '../clock/index.js'
import type { GatewayMetrics } from '../metrics/index.js'

export interface SpoolBoundsSource {
  /** undelivered deliveries in all: bytes, and the oldest one's creation time */
  spoolBounds(): { n: number; bytes: number; oldest: number | null }
  /** deliveries accepted and not attempted yet, per "<target> <party>" key */
  waitingDeliveries(): Map<string, number>
}

export interface SpoolLimits {
  /** 0 = no bound */
  maxSpoolBytes: number
  /** 0 = no bound */
  maxSpoolAgeSeconds: number
  /** 0 = no bound */
  maxWaitingDeliveries: number
}

export interface SpoolLimitOptions {
  /** "<target> <party>" keys of targets not taking deliveries now (breaker not closed): their backlog is an outage's */
  notAccepting?: () => readonly string[]
  refreshMs?: number
  /** one line when ingress starts refusing (and why) and one when it accepts again: not one per request */
  log?: Pick<Logger, 'warn' | 'info'>
}

/** Why ingress refuses: `spool-full` (503 DCCGW_ERR_SPOOL_FULL) or `overloaded` (503 DCCGW_ERR_OVERLOADED). */
export interface SpoolVerdict {
  kind: 'spool-full' | 'overloaded'
  detail: string
}

/**
 * The bounds on what the gateway holds for its targets; past one, ingress answers 503 with
 * Retry-After and stores nothing, so the DCC keeps the message and retries (docs/http.md,
 * "Ingress": 503 = nothing stored). Drops and quarantines are refused too: the gateway does not
 * pick which messages to take while over a bound.
 *
 * - A target outage (docs/operations.md, "Faults"): while the adapter (or a notice endpoint) is
 *   down the gateway keeps accepting into the durable spool, up to `limits.maxSpoolBytes` and
 *   `limits.maxSpoolAgeSeconds` (503 DCCGW_ERR_SPOOL_FULL).
 * - Overload (docs/performance.md, "Overload"): targets that are up but take messages more slowly
 *   than the DCC sends them. Deliveries accepted and not attempted yet, for targets whose breaker is
 *   closed, are held to `limits.maxWaitingDeliveries` (503 DCCGW_ERR_OVERLOADED). Without it the
 *   backlog grows in memory for as long as the overload lasts, and every message waits behind it.
 *   A target whose breaker is open or half-open is left out: its backlog is the outage's, bounded
 *   above. Nor is what arrived during the outage held against ingress once the target is back: it
 *   is set aside per target and shrinks as it drains (oldest first, after what was waiting before
 *   the outage), so ingress goes on while it is delivered and only growth beyond it counts. What
 *   counted before the outage still counts, so an outage never raises the bound. What a start
 *   recovers counts until it is attempted: setting it aside would let each restart of an overloaded
 *   gateway add another bound's worth.
 *
 * The spool is measured at most every `refreshMs`, not per request. Age is measured on the
 * gateway's clock, the one that stamped the spool rows (src/clock).
 */
export class SpoolLimit {
  #source: SpoolBoundsSource
  #clock: Clock
  #limits: SpoolLimits
  #refreshMs: number
  #notAccepting: () => readonly string[]
  #log: Pick<Logger, 'warn' | 'info'> | undefined
  /** per "<target> <party>": waiting deliveries that arrived while its target was down, set aside, shrinking as they drain */
  readonly #setAside = new Map<string, number>()
  /** per "<target> <party>": what counted at the last measure while its target was up */
  readonly #counted = new Map<string, number>()
  #checkedAt = -Infinity
  #verdict: SpoolVerdict | undefined
  #last = { n: 0, bytes: 0, oldest: null as number | null }

  constructor(source: SpoolBoundsSource, limits: SpoolLimits, metrics: GatewayMetrics, clock: Clock, opts: SpoolLimitOptions = {}) {
    this.#source = source
    this.#clock = clock
    this.#limits = limits
    this.#refreshMs = opts.refreshMs ?? 200
    this.#notAccepting = opts.notAccepting ?? (() => [])
    this.#log = opts.log
    metrics.setSpoolBytesSource(() => {
      this.#measure(clock.now())
      return this.#last.bytes
    })
  }

  /** Why ingress may not accept now, or undefined when it may. */
  overBound(): SpoolVerdict | undefined {
    const now = this.#clock.now()
    const { maxSpoolBytes, maxSpoolAgeSeconds, maxWaitingDeliveries } = this.#limits
    if (maxSpoolBytes === 0 && maxSpoolAgeSeconds === 0 && maxWaitingDeliveries === 0) return undefined
    if (now - this.#checkedAt >= this.#refreshMs) this.#measure(now)
    return this.#verdict
  }

  /** Waiting deliveries at targets that are up, beyond what arrived while they were down. */
  #waitingBeyondSetAside(): number {
    const counts = this.#source.waitingDeliveries()
    const down = new Set(this.#notAccepting())
    const aside = this.#setAside
    let n = 0
    for (const [key, count] of counts) {
      if (down.has(key)) {
        // everything beyond what counted before the target went down arrived during the outage
        aside.set(key, Math.max(aside.get(key) ?? 0, count - (this.#counted.get(key) ?? 0)))
        continue
      }
      const kept = Math.min(aside.get(key) ?? 0, count)
      if (kept > 0) aside.set(key, kept)
      else aside.delete(key)
      this.#counted.set(key, count - kept)
      n += count - kept
    }
    for (const key of aside.keys()) if (!counts.has(key)) aside.delete(key)
    for (const key of this.#counted.keys()) if (!counts.has(key)) this.#counted.delete(key)
    return n
  }

  #measure(now: number): void {
    const { maxSpoolBytes: maxBytes, maxSpoolAgeSeconds: maxAge, maxWaitingDeliveries: maxWaiting } = this.#limits
    let waiting = 0
    try {
      this.#last = this.#source.spoolBounds()
      if (maxWaiting > 0) waiting = this.#waitingBeyondSetAside()
    } catch {
      return // store failing: the write path answers 503 STORE_UNAVAILABLE on its own
    }
    this.#checkedAt = now
    const before = this.#verdict
    const { bytes, oldest, n } = this.#last
    const ageSeconds = oldest === null ? 0 : (now - oldest) / 1000
    if (maxBytes > 0 && bytes >= maxBytes) {
      this.#verdict = { kind: 'spool-full', detail: `${n} undelivered deliveries hold ${bytes} bytes; limit ${maxBytes} (limits.maxSpoolBytes)` }
    } else if (maxAge > 0 && ageSeconds >= maxAge) {
      this.#verdict = { kind: 'spool-full', detail: `the oldest undelivered delivery is ${Math.round(ageSeconds)} s old; limit ${maxAge} s (limits.maxSpoolAgeSeconds)` }
    } else if (maxWaiting > 0 && waiting >= maxWaiting) {
      this.#verdict = {
        kind: 'overloaded',
        detail: `${waiting} accepted deliveries are waiting for their first attempt at targets that are up (what arrived during an outage not counted); limit ${maxWaiting} (limits.maxWaitingDeliveries)`,
      }
    } else {
      this.#verdict = undefined
    }
    const after = this.#verdict
    if (after !== undefined && after.kind !== before?.kind) this.#log?.warn({ bound: after.kind, detail: after.detail }, 'ingress refuses new messages (503) until back under the bound')
    else if (after === undefined && before !== undefined) this.#log?.info({ bound: before.kind }, 'ingress accepts again: back under the bound')
  }
}
