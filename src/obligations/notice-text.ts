// Plain-text notices a person can act on (SEC "Managing Critical Alerts": human readable, with at
// least the MPxN, the alert code and the alert timestamp as in the DCC XML). Rendered from the
// notice JSON alone, so an escalation or a resend renders the same facts.

export interface NoticeJson {
  type: 'critical-forward' | 'install-code'
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
  /** signed acknowledgement link, added when the notice is sent */
  ackUrl?: string
  [extra: string]: unknown
}

export function renderNoticeText(n: NoticeJson): string {
  const lines = n.type === 'install-code' ? installCodeLines(n) : criticalLines(n)
  if (n.escalatedFrom !== undefined) {
    lines.unshift(
      `ESCALATION (${n.contactLevel} contact): nobody acknowledged this by ${n.escalatedFrom.missedDeadline}`,
      `(${n.escalatedFrom.contactLevel} contact). Please make sure it is acted on now.`,
      '',
    )
  }
  if (n.ackUrl !== undefined) lines.push(`Acknowledge here: ${n.ackUrl}`)
  return lines.join('\n') + '\n'
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
    `  Alert time:    ${n.alertTime ?? 'unknown'} (as in the DCC message)`,
    `  Device:        ${n.deviceId ?? 'unknown'}`,
    `  Supply start:  ${n.supplyStartDate ?? 'unknown'}`,
    '',
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
    `Acknowledge by ${n.acknowledgeBy} (1 working day): reference ${n.obligationId}.`,
    'If you are not the current supplier, pass this on to the supplier that is within 1 working day.',
  )
  return lines
}

function installCodeLines(n: NoticeJson): string[] {
  const installer = party(n.fromParty, n.fromPartyName, 'the installing supplier')
  return [
    `To ${n.toPartyName} (${n.toParty}): install code for a meter you have gained that is not commissioned (SECMP0121).`,
    '',
    `  MPxN:          ${n.mpxn ?? 'unknown'}`,
    `  Device:        ${n.deviceId ?? 'unknown'} (${n.deviceStatus ?? 'InstalledNotCommissioned'})`,
    `  Supply start:  ${n.supplyStartDate ?? 'unknown'}`,
    `  Installed by:  ${installer}`,
    '',
    'The meter was installed without WAN and is not commissioned yet. You need its install code to',
    `commission it; ${installer} owes it to you within 5 working days of your request`,
    '(DCC Self-Service Interface). Reply to this notice or contact the installer\'s operations team.',
    '',
    `Acknowledge once you hold the install code, by ${n.acknowledgeBy}: reference ${n.obligationId}.`,
  ]
}
