import type { Envelope } from '../envelope/types.js'
import type { Decision } from '../policy/types.js'
import type { Party } from '../registry/types.js'
import type { ObligationDraft } from '../store/types.js'
import { alertName } from './alert-names.js'
import { levelName } from './contacts.js'
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
  dueAt: number
  /** signed acknowledgement link; normally added when the notice is sent (delivery) */
  ackUrl?: string
}

/**
 * The critical-alert notice to the acquiring supplier (contract §4; SEC guidance "Managing
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
): NoticeJson & { text: string } {
  const notice = {
    ...(base as unknown as NoticeJson),
    level,
    contactLevel: levelName(level),
    acknowledgeBy: new Date(dueAt).toISOString(),
    escalatedFrom: { contactLevel: levelName(previous.level), missedDeadline: new Date(previous.dueAt).toISOString() },
  }
  delete (notice as { ackUrl?: string }).ackUrl
  return { ...notice, text: renderNoticeText(notice) }
}
