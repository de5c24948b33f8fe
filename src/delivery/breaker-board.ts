import type { Logger } from 'pino'
import type { Clock } from '../clock/index.js'
import type { GatewayMetrics } from '../metrics/index.js'
import type { SpoolItem } from '../store/index.js'
import { BREAKER_STATE_VALUE, CircuitBreaker } from './circuit-breaker.js'
import type { BreakerOptions } from './circuit-breaker.js'
import type { Sender } from './types.js'

/**
 * The dispatcher's circuit breakers: one per spool key "<target> <party>" (a party has one adapter
 * URL and one notice channel, so this is one breaker per target URL; keyed by name rather than by
 * sender object because some senders are built per item). While a breaker is open the spool scan
 * skips its rows instead of picking them only to put them back.
 *
 * Metric `dccgw_delivery_breaker_state{target}` (declared in src/metrics, read from here at each scrape): the worst state among the breakers of a target
 * kind (adapter, notice, outbox): 0 closed, 1 half-open, 2 open. Never a URL or a party
 * (docs/operations.md, "Metrics": closed label sets).
 */
export class BreakerBoard {
  #opts: BreakerOptions
  #log: Logger
  #byKey = new Map<string, { breaker: CircuitBreaker; label: string }>()

  constructor(opts: BreakerOptions, metrics: GatewayMetrics, log: Logger, clock: Clock) {
    this.#opts = opts
    this.#log = log
    metrics.setBreakerSource(() => this.worst(clock.now()))
  }

  /** The breaker guarding an item's target (created closed on first use). */
  forItem(item: SpoolItem, sender: Sender): CircuitBreaker {
    const key = spoolKey(item)
    const entry = this.#byKey.get(key)
    if (entry !== undefined) {
      entry.label = sender.label // the party's channel may have changed on a registry reload
      return entry.breaker
    }
    const breaker = new CircuitBreaker(this.#opts)
    this.#byKey.set(key, { breaker, label: sender.label })
    return breaker
  }

  /** Spool keys whose breaker lets nothing through right now (open, or half-open with its probe out). */
  blocked(now: number): string[] {
    const out: string[] = []
    for (const [key, { breaker }] of this.#byKey) if (!breaker.canAttempt(now)) out.push(key)
    return out
  }

  /** Spool keys whose breaker is not closed (open or half-open): targets not taking deliveries now. */
  notClosed(now: number): string[] {
    const out: string[] = []
    for (const [key, { breaker }] of this.#byKey) if (breaker.state(now) !== 'closed') out.push(key)
    return out
  }

  /** Earliest moment an open breaker lets a probe through. */
  nextProbeAt(): number | undefined {
    let at: number | undefined
    for (const { breaker } of this.#byKey.values()) {
      const t = breaker.retryAt()
      if (t !== undefined && (at === undefined || t < at)) at = t
    }
    return at
  }

  report(breaker: CircuitBreaker, label: string, ok: boolean, now: number): void {
    const before = breaker.state(now)
    if (ok) breaker.onSuccess()
    else breaker.onFailure(now)
    const after = breaker.state(now)
    if (before !== after) {
      const line = { target: label, from: before, to: after }
      if (after === 'open') this.#log.warn(line, 'delivery circuit breaker opened: attempts paused')
      else this.#log.info(line, 'delivery circuit breaker state changed')
    }
  }

  worst(now: number): Map<string, number> {
    const m = new Map<string, number>() // targets without a breaker read 0 (src/metrics zero-fills DELIVERY_TARGETS)
    for (const { breaker, label } of this.#byKey.values()) m.set(label, Math.max(m.get(label) ?? 0, BREAKER_STATE_VALUE[breaker.state(now)]))
    return m
  }
}

export function spoolKey(item: Pick<SpoolItem, 'target' | 'party'>): string {
  return `${item.target} ${item.party}`
}
