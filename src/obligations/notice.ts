import type { Envelope } from '../envelope/index.js'
import type { Decision } from '../policy/index.js'
import type { Party } from '../registry/index.js'
import type { ObligationDraft, ObligationRow } from '../store/index.js'
import { alertName } from './alert-names.js'
import { levelName } from './contacts.js'
import type { WorkingDayCalendar } from './calendar.js'
import { ukDateOf } from './days.js'
import { renderNoticeText, type NoticeJson } from './notice-text.js'

export interface NoticeInput {
  obligationId: string
  messageId: string
  env: Envelope
  decision: Decision
  deviceId?: string
  from?: Party
  to: Party
  /** end of the next working day after the UK date of the alert time (alertDeadline) */
  dueAt: number
  /** when the gateway received the message: a message past its deadline on arrival is late */
  receivedAt: number
  /** signed acknowledgement link; normally added when the notice is sent (delivery) */
  ackUrl?: string
}

/** Due = end of the next working day after the UK local date of the alert time. */
export function alertDeadline(calendar: Pick<WorkingDayCalendar, 'deadline'>, alertTime: number): number {
  return calendar.deadline(alertTime, ALERT_WORKING_DAYS)
}

/** Working days to forward, acknowledge or act on a critical alert (Managing Critical Alerts). */
export const ALERT_WORKING_DAYS = 1

/** Receipt facts every alert notice carries; `late` when the deadline had passed on arrival. */
function receipt(dueAt: number, receivedAt: number): Pick<NoticeJson, 'receivedAt' | 'late'> {
  return { receivedAt: new Date(receivedAt).toISOString(), ...(dueAt <= receivedAt && { late: { byMs: receivedAt - dueAt } }) }
}

/**
 * The critical-alert notice to the acquiring supplier (docs/http.md, "Delivery"; SEC guidance "Managing
 * critical alerts": human readable, at least MPxN, alert code and alert timestamp as in the
 * DCC XML, acknowledged within 1 working day). Metadata only: never the GBCS payload.
 *
 * SoLR (MP134A): when the losing party's traffic is delegated to a Shared Resource Provider at
 * the alert's day, the notice names both: the failed supplier whose credentials the meter holds
 * (`fromParty`) and the SRP that handles its traffic and forwards the alert (`forwardedBy`).
 */
export function buildCriticalNotice(n: NoticeInput): ObligationDraft {
  const code = n.env.alertCode
  const delegation = activeDelegation(n.from, ukDateOf(n.env.responseTime))
  const notice: NoticeJson = {
    type: 'critical-forward',
    mpxn: n.decision.mpxn ?? null,
    alertCode: code ?? null,
    alertName: alertName(code),
    alertTime: n.env.responseDateTime,
    deviceId: n.deviceId ?? null,
    fromParty: n.decision.fromParty ?? null,
    fromPartyName: n.from?.name ?? null,
    toParty: n.to.id,
    toPartyName: n.to.name,
    obligationId: n.obligationId,
    acknowledgeBy: new Date(n.dueAt).toISOString(),
    messageId: n.messageId,
    supplyStartDate: n.decision.supplyStartDate ?? null,
    reason: n.decision.reason,
    level: 0,
    contactLevel: levelName(0),
    ...receipt(n.dueAt, n.receivedAt),
    ...(delegation !== undefined && {
      forwardedBy: delegation.to,
      delegation: { from: delegation.from, until: delegation.until ?? null, reason: delegation.reason ?? null },
    }),
    ...(n.ackUrl !== undefined && { ackUrl: n.ackUrl }),
  }
  return {
    id: n.obligationId,
    type: 'critical-forward',
    ...(n.decision.fromParty !== undefined && { fromParty: n.decision.fromParty }),
    toParty: n.to.id,
    ...(n.decision.mpxn !== undefined && { mpxn: n.decision.mpxn }),
    ...(code !== undefined && { alertCode: code }),
    alertTime: n.env.responseTime,
    dueAt: n.dueAt,
    notice,
    text: renderNoticeText(notice),
  }
}

/** Quarantine reasons that open a `critical-quarantined` obligation for a critical alert (docs/obligations.md). */
export const CRITICAL_QUARANTINE_REASONS: ReadonlySet<string> = new Set([
  'unknown-device', 'unknown-mpxn', 'never-supplied', 'unknown-acquirer', 'bad-signature', 'adapter-rejected',
])

export interface QuarantinedNoticeInput {
  obligationId: string
  messageId: string
  env: Pick<Envelope, 'alertCode' | 'dccAlertCode' | 'responseDateTime' | 'responseTime'>
  reason: string
  detail?: string
  mpxn?: string
  deviceId?: string
  /** the tenant the alert was addressed to: its own criticalAlerts contacts get the notice */
  tenant: Party
  dueAt: number
  receivedAt: number
}

/**
 * A critical alert the gateway quarantined (docs/obligations.md): nobody has acted on it, so the
 * tenant's own critical-alert contacts get a notice and the same 1-working-day clock as a forward.
 * Closed by release, delete-with-reason or acknowledgement.
 */
export function buildQuarantinedNotice(n: QuarantinedNoticeInput): ObligationDraft {
  const code = n.env.alertCode ?? n.env.dccAlertCode
  const notice: NoticeJson = {
    type: 'critical-quarantined',
    mpxn: n.mpxn ?? null,
    alertCode: code ?? null,
    alertName: alertName(code),
    alertTime: n.env.responseDateTime,
    deviceId: n.deviceId ?? null,
    fromParty: null,
    fromPartyName: null,
    toParty: n.tenant.id,
    toPartyName: n.tenant.name,
    obligationId: n.obligationId,
    acknowledgeBy: new Date(n.dueAt).toISOString(),
    messageId: n.messageId,
    supplyStartDate: null,
    reason: n.reason,
    quarantineReason: n.reason,
    ...(n.detail !== undefined && { quarantineDetail: n.detail }),
    level: 0,
    contactLevel: levelName(0),
    ...receipt(n.dueAt, n.receivedAt),
  }
  return {
    id: n.obligationId,
    type: 'critical-quarantined',
    toParty: n.tenant.id,
    ...(n.mpxn !== undefined && { mpxn: n.mpxn }),
    ...(code !== undefined && { alertCode: code }),
    alertTime: n.env.responseTime,
    dueAt: n.dueAt,
    notice,
    text: renderNoticeText(notice),
  }
}

/** The delegation of `party` in force on `day` (from inclusive, until exclusive). */
export function activeDelegation(party: Party | undefined, day: string): Party['delegations'][number] | undefined {
  return party?.delegations.find((d) => d.from <= day && (d.until === undefined || day < d.until))
}

/**
 * The notice for the next contact level (escalation): same facts, the new level and deadline,
 * re-rendered text. `previous` is the level whose deadline nobody met.
 */
export function escalatedNotice(
  base: Record<string, unknown>,
  previous: { level: number; dueAt: number },
  level: number,
  dueAt: number,
  to?: { id: string; name: string },
): NoticeJson & { text: string } {
  const b = base as unknown as NoticeJson
  const notice = {
    ...b,
    // install-code duties escalate to the installer: the notice names whom it owes the code
    ...(to !== undefined && to.id !== b.toParty && { toParty: to.id, toPartyName: to.name, gainingParty: b.toParty, gainingPartyName: b.toPartyName }),
    level,
    contactLevel: levelName(level),
    acknowledgeBy: new Date(dueAt).toISOString(),
    escalatedFrom: { contactLevel: levelName(previous.level), missedDeadline: new Date(previous.dueAt).toISOString() },
  }
  delete (notice as { ackUrl?: string }).ackUrl
  return { ...notice, text: renderNoticeText(notice) }
}

/**
 * "Not the supplier: pass it on" (docs/obligations.md; guidance: the receiver forwards onward
 * within 1 working day): the onward obligation to the party the receiver named, with the same
 * alert facts and a fresh 1-working-day deadline from now. Its subject makes it open once.
 */
export function redirectedDraft(row: ObligationRow, to: Party, by: string, dueAt: number, newId: string): ObligationDraft {
  const base = { ...(row.notice as unknown as NoticeJson) }
  for (const k of ['ackUrl', 'escalatedFrom', 'late', 'gainingParty', 'gainingPartyName'] as const) delete base[k]
  const notice: NoticeJson = {
    ...base,
    toParty: to.id,
    toPartyName: to.name,
    obligationId: newId,
    acknowledgeBy: new Date(dueAt).toISOString(),
    level: 0,
    contactLevel: levelName(0),
    redirectedFrom: { party: row.toParty, by },
  }
  return {
    id: newId,
    type: 'critical-forward',
    ...(row.fromParty !== null && { fromParty: row.fromParty }),
    toParty: to.id,
    ...(row.mpxn !== null && { mpxn: row.mpxn }),
    ...(row.alertCode !== null && { alertCode: row.alertCode }),
    ...(row.alertTime !== null && { alertTime: row.alertTime }),
    dueAt,
    notice,
    text: renderNoticeText(notice),
    subject: `redirect:${row.id}:${to.id}`,
  }
}
