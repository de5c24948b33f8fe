import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { every } from '../clock/index.js'
import type { Clock, ClockTimer } from '../clock/index.js'
import type { GatewayMetrics } from '../metrics/index.js'
import type { RegistryIndex } from '../registry/index.js'
import type { ObligationDraft, ObligationRow, ObligationTransition } from '../store/index.js'
import type { WorkingDayCalendar } from './calendar.js'
import { escalationPartyId, planEscalation } from './escalation.js'
import { installCodeDrafts, installCodeDraftsAtStart } from './install-code.js'

/** What the scheduler needs of the store (kept as a shape so pool workers that load this folder's front door never load SQLite). */
export interface ObligationStore {
  readonly open: boolean
  /** not acknowledged, past due, not terminally overdue */
  dueObligations(now: number): Promise<ObligationRow[]>
  applyObligationTransitions(list: readonly ObligationTransition[], now: number, actor: string): Promise<string[]>
  openObligations(drafts: readonly ObligationDraft[], now: number, actor: string): Promise<string[]>
}

export interface SchedulerDeps {
  store: ObligationStore
  registry: () => RegistryIndex
  calendar: WorkingDayCalendar
  tenants: readonly string[]
  /** the gateway's clock: deadlines are judged by it and the check runs on it */
  clock: Clock
  log: Logger
  /** the obligation counters, declared in src/metrics (dccgw_obligations{type,status} is refreshed by the gateway) */
  metrics: Pick<GatewayMetrics, 'obligationsOverdue' | 'obligationTransitions'>
  /** new notices were spooled: the dispatcher should look now */
  wake: () => void
  /** obligations.fallbackContact is configured: escalate to it after a party's last level */
  fallback?: boolean
}

/**
 * The obligation timer: every `intervalMs` it moves obligations past their deadline to overdue
 * and escalates them to the next contact level (escalation.ts), durably and with their events;
 * on a registry swap it opens install-code obligations (install-code.ts). The clock is injected
 * (GatewayOptions.clock), so tests drive deadlines without waiting.
 */
export class ObligationScheduler {
  #deps: SchedulerDeps
  #timer: ClockTimer | undefined
  #running: Promise<number> | undefined
  #again: Promise<number> | undefined
  #soon: ClockTimer | undefined
  readonly #overdue: SchedulerDeps['metrics']['obligationsOverdue']
  readonly #transitions: SchedulerDeps['metrics']['obligationTransitions']

  constructor(deps: SchedulerDeps) {
    this.#deps = deps
    this.#overdue = deps.metrics.obligationsOverdue
    this.#transitions = deps.metrics.obligationTransitions
  }

  start(intervalMs: number): void {
    this.stop()
    this.#timer = every(this.#deps.clock, intervalMs, () => this.tick().catch((err: unknown) => this.#deps.log.error({ err }, 'obligation check failed')))
    void this.tick().catch((err: unknown) => this.#deps.log.error({ err }, 'obligation check failed'))
  }

  /** Stops the timer and waits for a check in progress. */
  async stop(): Promise<void> {
    this.#timer?.cancel()
    this.#timer = undefined
    this.#soon?.cancel()
    this.#soon = undefined
    await this.#running?.catch(() => undefined)
  }

  /**
   * One check (never two at once); returns how many obligations changed. A call during a check
   * runs one more after it (an obligation opened meanwhile, e.g. a late alert, is not missed).
   */
  tick(): Promise<number> {
    const current = this.#running
    if (current !== undefined) {
      this.#again ??= current.catch(() => 0).then(() => {
        this.#again = undefined
        return this.tick()
      })
      const again = this.#again
      // what the check in progress changed counts too: the caller asked "check now"
      return current.catch(() => 0).then(async (n) => n + (await again))
    }
    this.#running = this.#check().finally(() => (this.#running = undefined))
    return this.#running
  }

  /**
   * One check within `delayMs`, however often it is asked for meanwhile: a late alert (an
   * obligation already past its deadline on arrival) is escalated promptly, and a burst of them
   * costs one check, not one each (each check brings the store's projection up to date first).
   */
  soon(delayMs: number): void {
    if (this.#soon !== undefined) return
    this.#soon = this.#deps.clock.setTimeout(() => {
      this.#soon = undefined
      return this.tick().catch((err: unknown) => this.#deps.log.error({ err }, 'obligation check failed'))
    }, delayMs)
  }

  async #check(): Promise<number> {
    const { store, calendar, log } = this.#deps
    if (!store.open) return 0
    const now = this.#deps.clock.now()
    const rows = await store.dueObligations(now)
    if (rows.length === 0) return 0
    const registry = this.#deps.registry()
    const fallback = this.#deps.fallback ?? false
    const plans = rows.map((r) => planEscalation(r, registry.party(escalationPartyId(r)), calendar, now, { fallback }))
    const changed = new Set(await store.applyObligationTransitions(plans, now, 'scheduler'))
    for (const [k, p] of plans.entries()) {
      if (!changed.has(p.id)) continue
      const type = rows[k]!.type // plans are made one per row, in order
      this.#overdue.inc({ type })
      for (const e of p.events) this.#transitions.inc({ type, status: e.status })
      const last = p.events[p.events.length - 1]!
      log.warn({ obligationId: p.id, type, status: last.status, level: last.level, dueAt: new Date(last.dueAt).toISOString() }, 'obligation overdue')
    }
    if (plans.some((p) => p.notice !== undefined && changed.has(p.id))) this.#deps.wake()
    return changed.size
  }

  /** After a reload: install-code obligations for tenant MPxNs that moved with a non-commissioned device. */
  onRegistrySwap(prev: RegistryIndex, next: RegistryIndex): Promise<number> {
    const ctx = { tenants: this.#deps.tenants, calendar: this.#deps.calendar, now: this.#deps.clock.now(), newId: randomUUID }
    return this.#openInstallCodes(installCodeDrafts(prev, next, ctx), 'registry-reload')
  }

  /**
   * At start (docs/obligations.md): the files may have changed while the gateway was down, so the
   * registry's own history is checked (install-code.ts installCodeDraftsAtStart). The subject key
   * (device, MPxN, party, supply start date) keeps it idempotent across restarts and reloads.
   */
  onStart(index: RegistryIndex): Promise<number> {
    const ctx = { tenants: this.#deps.tenants, calendar: this.#deps.calendar, now: this.#deps.clock.now(), newId: randomUUID }
    return this.#openInstallCodes(installCodeDraftsAtStart(index, ctx), 'start')
  }

  async #openInstallCodes(drafts: ObligationDraft[], actor: 'registry-reload' | 'start'): Promise<number> {
    const { store, log } = this.#deps
    const started = performance.now()
    const opened = drafts.length === 0 ? [] : await store.openObligations(drafts, this.#deps.clock.now(), actor)
    if (opened.length > 0) {
      this.#transitions.inc({ type: 'install-code', status: 'open' }, opened.length)
      this.#deps.wake()
    }
    log.info({ candidates: drafts.length, opened: opened.length, ms: Math.round(performance.now() - started) }, `install-code check at ${actor}`)
    return opened.length
  }
}
