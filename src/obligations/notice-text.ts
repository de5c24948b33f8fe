// Plain-text notices a person can act on (SEC "Managing Critical Alerts": human readable, with at
// least the MPxN, the alert code and the alert timestamp as in the DCC XML). Rendered from the
// notice JSON alone, so an escalation or a resend renders the same facts. Every time and deadline
// is written in UK local time in words next to its ISO form (docs/obligations.md).
import { durationWords, ukDeadlineWords, ukTimeWords } from './uk-time.js'

export interface NoticeJson {
  type: 'critical-forward' | 'install-code' | 'critical-quarantined'
  mpxn: string | null
  alertCode: string | null
  alertName: string
  alertTime: string | null
  deviceId: string | null
  fromParty: string | null
  fromPartyName: string | null
  toParty: string
  toPartyName: string
  obligationId: string
  /** ISO instant: end of the working day by which the acknowledgement is due */
  acknowledgeBy: string
  messageId: string | null
  supplyStartDate: string | null
  reason: string
  /** contact level this notice is for: 0 primary, 1 secondary, 2 escalation */
  level: number
  contactLevel: string
  /** SoLR: the Shared Resource Provider handling the failed supplier's traffic */
  forwardedBy?: string
  delegation?: { from: string; until: string | null; reason: string | null }
  escalatedFrom?: { contactLevel: string; missedDeadline: string }
  /** install-code: the device's DUIS DeviceStatus */
  deviceStatus?: string
  /** install-code escalated to the installer: the gaining supplier it owes the code to */
  gainingParty?: string
  gainingPartyName?: string
  /** signed acknowledgement link, added when the notice is sent */
  ackUrl?: string
  /** ISO instant the gateway received the message */
  receivedAt?: string
  /** the message arrived after its deadline had passed (a backlog replayed, a late DCC retry) */
  late?: { byMs: number }
  /** critical-quarantined: why the message is held, and which quarantine row (set by the store) */
  quarantineReason?: string
  quarantineDetail?: string
  quarantineId?: string
  /** a redirect: the party that said it is not the supplier, and who answered */
  redirectedFrom?: { party: string; by: string }
  [extra: string]: unknown
}

export function renderNoticeText(n: NoticeJson): string {
  const lines = n.type === 'install-code' ? installCodeLines(n) : n.type === 'critical-quarantined' ? quarantinedLines(n) : criticalLines(n)
  if (n.late !== undefined) lines.unshift(...lateLines(n), '')
  if (n.escalatedFrom !== undefined) {
    const missed = Date.parse(n.escalatedFrom.missedDeadline)
    lines.unshift(
      n.contactLevel === 'fallback'
        ? `ESCALATION to the fallback contact: nobody at ${n.toPartyName} (${n.toParty}) acknowledged this by ${deadline(missed)}`
        : `ESCALATION (${n.contactLevel} contact): nobody acknowledged this by ${deadline(missed)}`,
      `(${n.escalatedFrom.contactLevel} contact). Please make sure it is acted on now.`,
      '',
    )
  }
  if (n.ackUrl !== undefined) lines.push(`Acknowledge here: ${n.ackUrl}`)
  return lines.join('\n') + '\n'
}

/** "the end of Monday 1 December 2025, UK time (2025-12-02T00:00:00.000Z)" */
function deadline(ms: number): string {
  return Number.isNaN(ms) ? 'unknown' : `${ukDeadlineWords(ms)} (${new Date(ms).toISOString()})`
}

function at(iso: string | null | undefined): string {
  const ms = iso == null ? NaN : Date.parse(iso)
  return Number.isNaN(ms) ? 'unknown' : `${iso} (${ukTimeWords(ms)})`
}

function oneDay(n: NoticeJson): string {
  return n.escalatedFrom !== undefined ? '1 working day from this escalation' : n.redirectedFrom !== undefined ? '1 working day from the redirect' : '1 working day after the alert'
}

function lateLines(n: NoticeJson): string[] {
  const received = n.receivedAt === undefined ? NaN : Date.parse(n.receivedAt)
  return [
    `LATE: this alert reached the gateway ${Number.isNaN(received) ? '' : `at ${ukTimeWords(received)}, `}${durationWords(n.late!.byMs)} after`,
    'its acknowledgement deadline had passed (a backlog replayed or a late DCC retry). It is overdue on',
    'arrival and is escalated at once.',
  ]
}

function party(id: string | null, name: string | null, fallback: string): string {
  if (id === null) return fallback
  return name === null ? id : `${name} (${id})`
}

function criticalLines(n: NoticeJson): string[] {
  const holder = party(n.fromParty, n.fromPartyName, 'the previous supplier')
  const lines = [
    `To ${n.toPartyName} (${n.toParty}): a critical smart meter alert for a supply point you now supply.`,
    '',
    `  MPxN:          ${n.mpxn ?? 'unknown'}`,
    `  Alert:         ${n.alertCode ?? '-'} ${n.alertName}`,
    `  Alert time:    ${at(n.alertTime)}, as in the DCC message`,
    `  Device:        ${n.deviceId ?? 'unknown'}`,
    `  Supply start:  ${n.supplyStartDate ?? 'unknown'}`,
    '',
    ...(n.redirectedFrom === undefined ? [] : [
      `${n.redirectedFrom.party} told us it is not the current supplier and named you (${n.redirectedFrom.by}),`,
      'so this is passed on to you (forward onward within 1 working day).',
      '',
    ]),
    `The meter still holds the security credentials of ${holder},`,
    'so the alert was sent there.',
  ]
  if (n.forwardedBy !== undefined) {
    lines.push(
      `${holder} is in a Supplier of Last Resort event: ${n.forwardedBy} handles its traffic as`,
      `Shared Resource Provider${n.delegation?.reason ? ` (${n.delegation.reason})` : ''} and forwards this alert on its behalf.`,
    )
  }
  lines.push(
    'What to do: act on the alert for the customer now (for a prepayment or safety alert the',
    'customer may be off supply or at risk), and run SR 6.23 (Update Security Credentials, CoS)',
    'so that future alerts reach you directly.',
    '',
    `Acknowledge by ${deadline(Date.parse(n.acknowledgeBy))}, ${oneDay(n)}: reference ${n.obligationId}.`,
    'If you are not the current supplier, say so on the acknowledgement page and name the supplier that',
    'is: the alert is passed on to it (within 1 working day).',
  )
  return lines
}

function quarantinedLines(n: NoticeJson): string[] {
  return [
    `To ${n.toPartyName} (${n.toParty}): a critical smart meter alert addressed to you is held in quarantine.`,
    '',
    `  Alert:         ${n.alertCode ?? '-'} ${n.alertName}`,
    `  Alert time:    ${at(n.alertTime)}, as in the DCC message`,
    `  MPxN:          ${n.mpxn ?? 'unknown'}`,
    `  Device:        ${n.deviceId ?? 'unknown'}`,
    `  Held because:  ${n.quarantineReason ?? 'unknown'}${n.quarantineDetail && n.quarantineDetail !== n.quarantineReason ? ` (${n.quarantineDetail})` : ''}`,
    `  Message:       ${n.messageId ?? 'unknown'}`,
    '',
    'Nobody has acted on this alert yet: the gateway could not deliver it safely. Look at it in the',
    'quarantine (admin API or console, filter critical=true), then release it, delete it with a reason,',
    'or acknowledge this notice once the alert is handled for the customer.',
    '',
    `Act by ${deadline(Date.parse(n.acknowledgeBy))}, ${oneDay(n)}: reference ${n.obligationId}.`,
  ]
}

function installCodeLines(n: NoticeJson): string[] {
  const installer = party(n.fromParty, n.fromPartyName, 'the installing supplier')
  const due = `by ${deadline(Date.parse(n.acknowledgeBy))}: reference ${n.obligationId}.`
  const facts = [
    `  MPxN:          ${n.mpxn ?? 'unknown'}`,
    `  Device:        ${n.deviceId ?? 'unknown'} (${n.deviceStatus ?? 'InstalledNotCommissioned'})`,
    `  Supply start:  ${n.supplyStartDate ?? 'unknown'}`,
  ]
  // Escalation of an install-code duty goes to the installing supplier itself (docs/obligations.md):
  // it owes the code, so its own contacts are the ones to chase.
  if (n.toParty === n.fromParty) {
    return [
      `To ${installer}: you installed this meter and owe its install code to ${party(n.gainingParty ?? null, n.gainingPartyName ?? null, 'the gaining supplier')} (SECMP0121).`,
      '',
      ...facts,
      '',
      'The meter was installed without WAN and is not commissioned. The gaining supplier needs the install',
      'code to commission it, within 5 working days of its request (DCC Self-Service Interface).',
      '',
      `Acknowledge once the install code has been given, ${due}`,
    ]
  }
  return [
    `To ${n.toPartyName} (${n.toParty}): install code for a meter you have gained that is not commissioned (SECMP0121).`,
    '',
    ...facts,
    `  Installed by:  ${installer}`,
    '',
    'The meter was installed without WAN and is not commissioned yet. You need its install code to',
    `commission it; ${installer} owes it to you within 5 working days of your request`,
    '(DCC Self-Service Interface). Reply to this notice or contact the installer\'s operations team.',
    '',
    `Acknowledge once you hold the install code, ${due}`,
  ]
}
