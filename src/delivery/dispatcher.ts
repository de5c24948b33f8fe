import type { Logger } from 'pino'
import type { Clock, ClockTimer } from '../clock/index.js'
import type { GatewayMetrics } from '../metrics/index.js'
import type { SpoolItem } from '../store/index.js'
import { backoffDelay } from './backoff.js'
import { BreakerBoard } from './breaker-board.js'
import type { CircuitBreaker } from './circuit-breaker.js'
import type { AttemptResult, Sender } from './types.js'

/** What the dispatcher needs of the store (the SQLite store, or another behind the same shape). */
export interface SpoolStore {
  /** due items, oldest first, only the oldest of each target+MPxN, none of the `blocked` keys */
  dueSpool(now: number, limit: number, blocked?: readonly string[]): SpoolItem[]
  /** the earliest due time outside `blocked` (a store may stop looking at the first due by `now`) */
  nextDueAt(now: number, blocked?: readonly string[]): number | null
  completeDelivery(item: SpoolItem, now: number): Promise<void>
  scheduleRetry(item: SpoolItem, at: number, error: string): Promise<void>
  rejectDelivery(item: SpoolItem, detail: string, now: number): Promise<string>
}

export interface DispatcherOptions {
  concurrency: number
  retryBaseMs: number
  retryMaxMs: number
  pollIntervalMs: number
  /** consecutive retryable failures that open a target's circuit breaker */
  breakerFailures: number
  /** open breaker: wait before one half-open probe */
  breakerCooldownMs: number
}

/**
 * Drives the spool: picks due items (oldest first), hands each to its target's sender, and
 * records the outcome durably (done, retry later with jittered backoff, or quarantine on a
 * rejection). The spool table is the queue, so a restart resumes where the last run stopped.
 *
 * States of a spool item: due -> in flight -> (deleted | due later | quarantined).
 * Per MPxN and target at most one item is in flight, in spool-id order (the store's dueSpool
 * returns only the oldest of each); a target whose circuit breaker is open is skipped.
 */
export class Dispatcher {
  #store: SpoolStore
  #senderFor: (item: SpoolItem) => Sender
  #opts: DispatcherOptions
  #metrics: GatewayMetrics
  #log: Logger
  #clock: Clock
  #inFlight = new Map<number, Promise<void>>()
  /** "<target> <mpxn>" of the items in flight: never two at once for one household */
  #busyMpxn = new Set<string | undefined>()
  #timer: ClockTimer | undefined
  #running = false
  #pumping = false
  #again = false
  /** a pump is queued for the next turn of the event loop: further wakes until then join it */
  #queued = false
  #breakers: BreakerBoard

  constructor(store: SpoolStore, senderFor: (item: SpoolItem) => Sender, opts: DispatcherOptions, metrics: GatewayMetrics, log: Logger, clock: Clock) {
    this.#store = store
    this.#clock = clock
    this.#senderFor = senderFor
    this.#opts = opts
    this.#metrics = metrics
    this.#log = log
    this.#breakers = new BreakerBoard({ failures: opts.breakerFailures, cooldownMs: opts.breakerCooldownMs }, metrics, log, clock)
  }

  start(): void {
    this.#running = true
    this.wake()
  }

  /**
   * New work was spooled or a slot freed: look now rather than at the next poll. The wakes of one
   * turn of the event loop (each accepted message, each finished delivery) share one pump.
   */
  wake(): void {
    if (!this.#running) return
    if (this.#pumping) {
      this.#again = true
      return
    }
    if (this.#queued) return
    this.#queued = true
    setImmediate(() => {
      this.#queued = false
      this.#pump()
    })
  }

  /** "<target> <party>" keys of the targets not taking deliveries now (breaker open or half-open) */
  notAccepting(): string[] {
    return this.#breakers.notClosed(this.#clock.now())
  }

  /** Stops picking new items and waits for the ones in flight. */
  async stop(): Promise<void> {
    this.#running = false
    this.#timer?.cancel()
    await Promise.allSettled([...this.#inFlight.values()])
  }

  #pump(): void {
    if (!this.#running || this.#pumping) return
    this.#pumping = true
    try {
      do {
        this.#again = false
        const free = this.#opts.concurrency - this.#inFlight.size
        if (free <= 0) break
        const now = this.#clock.now()
        const items = this.#store.dueSpool(now, free + this.#inFlight.size, this.#breakers.blocked(now))
        for (const item of items) {
          if (this.#inFlight.size >= this.#opts.concurrency) break
          if (this.#inFlight.has(item.id) || this.#busyMpxn.has(mpxnKey(item))) continue
          const sender = this.#senderFor(item)
          const breaker = this.#breakers.forItem(item, sender)
          if (!breaker.tryAcquire(now)) continue
          const key = mpxnKey(item)
          if (key !== undefined) this.#busyMpxn.add(key)
          const p = this.#attempt(item, sender, breaker).finally(() => {
            if (key !== undefined) this.#busyMpxn.delete(key)
            this.#inFlight.delete(item.id)
            this.wake()
          })
          this.#inFlight.set(item.id, p)
        }
      } while (this.#again)
    } catch (err) {
      this.#log.error({ err }, 'spool scan failed')
    } finally {
      this.#pumping = false
    }
    this.#armTimer()
  }

  #armTimer(): void {
    if (!this.#running) return
    this.#timer?.cancel()
    let wait = this.#opts.pollIntervalMs
    try {
      const now = this.#clock.now()
      const next = this.#store.nextDueAt(now, this.#breakers.blocked(now))
      if (next !== null) wait = Math.max(5, Math.min(wait, next - now))
      const probe = this.#breakers.nextProbeAt()
      if (probe !== undefined) wait = Math.max(5, Math.min(wait, probe - now))
    } catch {
      // store closed or failing: poll again later
    }
    this.#timer = this.#clock.setTimeout(() => this.#pump(), wait)
  }

  async #attempt(item: SpoolItem, sender: Sender, breaker: CircuitBreaker): Promise<void> {
    const stop = this.#metrics.delivery.startTimer({ target: sender.label })
    let result: AttemptResult
    try {
      result = await sender.send(item)
    } catch (err) {
      result = { outcome: 'retry', error: (err as Error).message }
    }
    stop({ outcome: result.outcome })
    // A rejection (4xx) means the target is up and answering: only retryable outcomes count.
    this.#breakers.report(breaker, sender.label, result.outcome !== 'retry', this.#clock.now())
    this.#metrics.deliveryAttempts.inc({ target: sender.label, outcome: result.outcome })
    const now = this.#clock.now()
    const log = { messageId: item.messageId, target: sender.label, attempts: item.attempts + 1 }
    try {
      if (result.outcome === 'ok') {
        // written where it reaches nobody (docs/obligations.md): done, but the obligation is not notified
        await this.#store.completeDelivery(result.unreachable ? { ...item, obligationId: null } : item, now)
        if (result.unreachable) this.#log.warn({ ...log, party: item.party, obligationId: item.obligationId }, 'notice reached no channel of the party (outbox only); the obligation stays unnotified and escalates on time')
        else this.#log.debug(log, 'delivered')
      } else if (result.outcome === 'retry') {
        const at = now + backoffDelay(item.attempts, this.#opts.retryBaseMs, this.#opts.retryMaxMs)
        await this.#store.scheduleRetry(item, at, result.error)
        this.#log.warn({ ...log, error: result.error, retryAt: new Date(at).toISOString() }, 'delivery failed, will retry')
      } else {
        const quarantineId = await this.#store.rejectDelivery(item, result.error, now)
        this.#metrics.decisions.inc({ decision: 'quarantine', reason: 'adapter-rejected' })
        this.#log.warn({ ...log, error: result.error, quarantineId, decision: 'quarantine', reason: 'adapter-rejected' }, 'target rejected the message')
      }
    } catch (err) {
      // The outcome could not be recorded (store failing): the item stays due and is retried;
      // the target's Idempotency-Key handling absorbs the repeat.
      this.#log.error({ ...log, err }, 'could not record delivery outcome')
    }
  }
}

function mpxnKey(item: SpoolItem): string | undefined {
  return item.mpxn === null ? undefined : `${item.target} ${item.mpxn}`
}
