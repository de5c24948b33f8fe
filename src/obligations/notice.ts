import type { Envelope } from '../envelope/types.js'
import type { Decision } from '../policy/types.js'
import type { Party } from '../registry/types.js'
import type { ObligationDraft } from '../store/types.js'
import { alertName } from './alert-names.js'

export interface NoticeInput {
  obligationId: string
  messageId: string
  env: Envelope
  decision: Decision
  deviceId?: string
  from?: Party
  to: Party
  dueAt: number
  /** signed acknowledgement link, when the gateway has a public URL */
  ackUrl?: string
}

/**
 * The critical-alert notice to the acquiring supplier (contract §4; SEC guidance "Managing
 * critical alerts": human readable, at least MPxN, alert code and alert timestamp as in the
 * DCC XML, acknowledged within 1 working day). Metadata only: never the GBCS payload.
 */
export function buildCriticalNotice(n: NoticeInput): ObligationDraft {
  const code = n.env.alertCode
  const notice = {
    mpxn: n.decision.mpxn ?? null,
    alertCode: code ?? null,
    alertName: alertName(code),
    alertTime: n.env.responseDateTime,
    deviceId: n.deviceId ?? null,
    fromParty: n.decision.fromParty ?? null,
    toParty: n.to.id,
    obligationId: n.obligationId,
    acknowledgeBy: new Date(n.dueAt).toISOString(),
    messageId: n.messageId,
    supplyStartDate: n.decision.supplyStartDate ?? null,
    reason: n.decision.reason,
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
    text: renderNoticeText(notice, n.from, n.to, n.ackUrl),
  }
}

function renderNoticeText(
  n: { mpxn: string | null; alertCode: string | null; alertName: string; alertTime: string; deviceId: string | null; obligationId: string; acknowledgeBy: string; supplyStartDate: string | null },
  from: Party | undefined,
  to: Party,
  ackUrl: string | undefined,
): string {
  const lines = [
    `To ${to.name} (${to.id}): a critical smart meter alert for a supply point you now supply.`,
    '',
    `  MPxN:          ${n.mpxn ?? 'unknown'}`,
    `  Alert:         ${n.alertCode ?? '-'} ${n.alertName}`,
    `  Alert time:    ${n.alertTime} (as in the DCC message)`,
    `  Device:        ${n.deviceId ?? 'unknown'}`,
    `  Supply start:  ${n.supplyStartDate ?? 'unknown'}`,
    '',
    `The meter still holds the security credentials of ${from ? `${from.name} (${from.id})` : 'the previous supplier'},`,
    'so the alert was sent there. Please act on it for the customer now, and run SR 6.23',
    '(Update Security Credentials, CoS) so that future alerts reach you directly.',
    '',
    `Acknowledge by ${n.acknowledgeBy} (1 working day): reference ${n.obligationId}.`,
  ]
  if (ackUrl !== undefined) lines.push(`Acknowledge here: ${ackUrl}`)
  lines.push('If you are not the current supplier, pass this on to the supplier that is within 1 working day.')
  return lines.join('\n') + '\n'
}
