import type { Logger } from 'pino'
import { newId } from '../ids/index.js'
import type { SpoolStore } from '../delivery/index.js'
import type { GatewayMetrics } from '../metrics/index.js'
import { alertDeadline, buildQuarantinedNotice, redirectedDraft } from '../obligations/index.js'
import type { AckLinkDeps, AckLinks, WorkingDayCalendar } from '../obligations/index.js'
import { evaluate } from '../pipeline.js'
import type { EvaluateContext } from '../pipeline.js'
import type { RegistryIndex } from '../registry/index.js'
import type { AckAnswer, GatewayStore, ObligationDraft, ObligationRow, SpoolItem } from '../store/index.js'

// Wiring between the store, the dispatcher and the obligations: what the gateway adds
// around them so that a critical alert never falls through.

/**
 * The dispatcher's store, with one change: when the adapter refuses a message (4xx -> quarantine
 * `adapter-rejected`), its bytes are read again (the spool row keeps only the bytes) and, for a
 * critical or safety-listed alert, the quarantine row is marked critical and its
 * `critical-quarantined` obligation opens in the same transaction.
 */
export function withCriticalRejects(
  store: GatewayStore, ctx: () => EvaluateContext, calendar: WorkingDayCalendar, tenants: readonly string[], log: Logger,
): SpoolStore {
  return {
    dueSpool: (now, limit, blocked) => store.dueSpool(now, limit, blocked),
    nextDueAt: (now, blocked) => store.nextDueAt(now, blocked),
    completeDelivery: (item, now) => store.completeDelivery(item, now),
    scheduleRetry: (item, at, error) => store.scheduleRetry(item, at, error),
    rejectDelivery(item, detail, now) {
      const critical = item.target === 'adapter' ? rejectedCritical(item, detail, now, ctx(), calendar, tenants) : undefined
      if (critical !== undefined) log.warn({ messageId: item.messageId, obligationId: critical.obligation?.id }, 'adapter refused a critical alert: critical-quarantined obligation opens')
      return store.rejectDelivery(item, detail, now, critical)
    },
  }
}

function rejectedCritical(
  item: SpoolItem, detail: string, now: number, ctx: EvaluateContext, calendar: WorkingDayCalendar, tenants: readonly string[],
): { obligation?: ObligationDraft } | undefined {
  const ev = evaluate(item.body, ctx)
  if (!ev.ok || !ev.decision.critical) return undefined
  const tenantId = tenants.includes(item.party) ? item.party : tenants[0]
  const tenant = tenantId === undefined ? undefined : ctx.registry.party(tenantId)
  if (tenant === undefined) return {} // critical all the same; no tenant party to address (cannot happen with a valid config)
  const mpxn = item.mpxn ?? ev.decision.mpxn
  return {
    obligation: buildQuarantinedNotice({
      obligationId: newId(), messageId: item.messageId, env: ev.env, reason: 'adapter-rejected', detail: detail.slice(0, 200), tenant,
      dueAt: alertDeadline(calendar, ev.env.responseTime), receivedAt: now,
      ...(mpxn !== undefined && mpxn !== null && { mpxn }),
      ...(ev.facts.deviceId !== undefined && { deviceId: ev.facts.deviceId }),
    }),
  }
}

/**
 * "Not the supplier: pass it on" from the acknowledgement page (docs/obligations.md): the
 * obligation ends `redirected` with the answer in its event; a party from parties.yaml gets the
 * onward obligation (1 working day from now), free text is recorded for the operator.
 */
export function redirectAnswer(deps: {
  store: GatewayStore
  registry: () => RegistryIndex
  calendar: WorkingDayCalendar
  obligation: (id: string) => Promise<ObligationRow | undefined>
  now: () => number
  wake: () => void
}): (id: string, actor: string, answer: AckAnswer) => Promise<'ok' | 'not-found' | 'already'> {
  return async (id, actor, answer) => {
    const row = await deps.obligation(id)
    if (row === undefined) return 'not-found'
    const named = answer.redirectTo?.party === undefined ? undefined : deps.registry().party(answer.redirectTo.party)
    const now = deps.now()
    const by = `${answer.name} (${answer.organisation})`
    const onward = named === undefined ? undefined : redirectedDraft(row, named, by, deps.calendar.deadline(now, 1), newId())
    const said = named !== undefined ? `${named.name} (${named.id})` : JSON.stringify(answer.redirectTo?.text ?? '')
    const detail = `not the current supplier; says the supplier is ${said}${onward ? `: forwarded as obligation ${onward.id}` : ': not a party we know, for the operator to pass on'}`
    const r = await deps.store.redirectObligation(id, actor, detail, onward, now)
    if (r === 'ok' && onward !== undefined) deps.wake()
    return r
  }
}

/** What the acknowledgement page acts on: the signed links, the store's obligations, the parties to name. */
export function ackLinkDeps(d: { links: AckLinks; store: GatewayStore; registry: () => RegistryIndex; calendar: WorkingDayCalendar; now: () => number; wake: () => void }): AckLinkDeps {
  const obligation = (id: string) => d.store.getObligation(id)
  return {
    links: d.links,
    obligation,
    acknowledge: (id, actor) => d.store.acknowledgeObligation(id, actor, d.now()),
    redirect: redirectAnswer({ ...d, obligation }),
    parties: () => d.registry().parties().map((p) => ({ id: p.id, name: p.name })),
    now: d.now,
  }
}

/** Name the parties a notice cannot reach, in the log and the gauges. */
export function reportUnreachable(parties: readonly string[], metrics: GatewayMetrics, log: Logger, when: 'start' | 'reload'): void {
  metrics.setUnreachable(parties)
  if (parties.length > 0) {
    log.warn({ parties, when }, `notices cannot reach ${parties.length} party(ies): no webhook, no e-mail this gateway can send (smtp.host), not in obligations.outboxParties; their obligations stay unnotified and escalate`)
  }
}
