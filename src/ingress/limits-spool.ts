import type { Clock } from '../clock/index.js'
import type { GatewayMetrics } from '../metrics/index.js'

export interface SpoolBoundsSource {
  /** undelivered deliveries in all: bytes, and the oldest one's creation time */
  spoolBounds(): { n: number; bytes: number; oldest: number | null }
}

export interface SpoolLimits {
  /** 0 = no bound */
  maxSpoolBytes: number
  /** 0 = no bound */
  maxSpoolAgeSeconds: number
}

/**
 * Back-pressure on a target outage (docs/operations.md, "Faults"): while the adapter (or a notice endpoint) is down the
 * gateway keeps accepting into the durable spool, up to `limits.maxSpoolBytes` and
 * `limits.maxSpoolAgeSeconds`; past either bound ingress answers 503 DCCGW_ERR_SPOOL_FULL with
 * Retry-After and stores nothing, so the DCC keeps the message and retries (docs/http.md, "Ingress": 503 =
 * nothing stored). Drops and quarantines are refused too: the gateway does not pick which
 * messages to take while full.
 *
 * The spool is measured at most every `refreshMs` (a COUNT/SUM over the spool), not per request.
 * Age is measured on the gateway's clock, the one that stamped the spool rows (src/clock).
 */
export class SpoolLimit {
  #source: SpoolBoundsSource
  #clock: Clock
  #limits: SpoolLimits
  #refreshMs: number
  #checkedAt = -Infinity
  #verdict: string | undefined
  #last = { n: 0, bytes: 0, oldest: null as number | null }

  constructor(source: SpoolBoundsSource, limits: SpoolLimits, metrics: GatewayMetrics, clock: Clock, refreshMs = 200) {
    this.#source = source
    this.#clock = clock
    this.#limits = limits
    this.#refreshMs = refreshMs
    metrics.setSpoolBytesSource(() => {
      this.#measure(clock.now())
      return this.#last.bytes
    })
  }

  /** Why the spool is over its bound (a detail for the 503), or undefined when ingress may accept. */
  overBound(): string | undefined {
    const now = this.#clock.now()
    if (this.#limits.maxSpoolBytes === 0 && this.#limits.maxSpoolAgeSeconds === 0) return undefined
    if (now - this.#checkedAt >= this.#refreshMs) this.#measure(now)
    return this.#verdict
  }

  #measure(now: number): void {
    try {
      this.#last = this.#source.spoolBounds()
    } catch {
      return // store failing: the write path answers 503 STORE_UNAVAILABLE on its own
    }
    this.#checkedAt = now
    const { bytes, oldest, n } = this.#last
    const maxBytes = this.#limits.maxSpoolBytes
    const maxAge = this.#limits.maxSpoolAgeSeconds
    const ageSeconds = oldest === null ? 0 : (now - oldest) / 1000
    if (maxBytes > 0 && bytes >= maxBytes) {
      this.#verdict = `${n} undelivered deliveries hold ${bytes} bytes; limit ${maxBytes} (limits.maxSpoolBytes)`
    } else if (maxAge > 0 && ageSeconds >= maxAge) {
      this.#verdict = `the oldest undelivered delivery is ${Math.round(ageSeconds)} s old; limit ${maxAge} s (limits.maxSpoolAgeSeconds)`
    } else {
      this.#verdict = undefined
    }
  }
}
