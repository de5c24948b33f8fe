/**
 * A circuit breaker per delivery target URL, so an adapter that is down is not hammered by every
 * spooled message's own retry schedule (docs/operations.md, "Faults").
 *
 * States:
 *   closed     attempts flow; `failures` consecutive retryable outcomes open it
 *   open       no attempts until `cooldownMs` has passed since it opened
 *   half-open  exactly one probe attempt is let through; success closes, failure re-opens
 *
 * Only retryable outcomes (connection errors, timeouts, 408, 429, 5xx) count as failures: a 4xx
 * rejection is the adapter answering, i.e. it is up.
 */
export type BreakerState = 'closed' | 'open' | 'half-open'

/** Gauge value of each state (dccgw_delivery_breaker_state). */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, 'half-open': 1, open: 2 }

export interface BreakerOptions {
  failures: number
  cooldownMs: number
}

export class CircuitBreaker {
  #opts: BreakerOptions
  #state: BreakerState = 'closed'
  #consecutive = 0
  #openedAt = 0
  #probing = false

  constructor(opts: BreakerOptions) {
    this.#opts = opts
  }

  /** The state as of `now` (an open breaker whose cool-down ended reads half-open). */
  state(now: number): BreakerState {
    if (this.#state === 'open' && now - this.#openedAt >= this.#opts.cooldownMs) return 'half-open'
    return this.#state
  }

  /** Would tryAcquire() succeed now? (no side effect) */
  canAttempt(now: number): boolean {
    const s = this.state(now)
    return s === 'closed' || (s === 'half-open' && !this.#probing)
  }

  /**
   * May an attempt start now? In half-open only one probe is in flight at a time; the caller
   * must report its outcome with onSuccess/onFailure.
   */
  tryAcquire(now: number): boolean {
    const s = this.state(now)
    if (s === 'closed') return true
    if (s === 'open' || this.#probing) return false
    this.#state = 'half-open'
    this.#probing = true
    return true
  }

  /** When the next probe may go (for the dispatcher's timer); undefined when not open. */
  retryAt(): number | undefined {
    return this.#state === 'open' ? this.#openedAt + this.#opts.cooldownMs : undefined
  }

  onSuccess(): void {
    this.#state = 'closed'
    this.#consecutive = 0
    this.#probing = false
  }

  onFailure(now: number): void {
    this.#probing = false
    this.#consecutive++
    if (this.#state === 'half-open' || this.#consecutive >= this.#opts.failures) {
      this.#state = 'open'
      this.#openedAt = now
    }
  }
}
