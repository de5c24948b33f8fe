// Obligations (docs/obligations.md), pure parts: who an overdue duty escalates to (install code: the installer; after the
// last level: the fallback contact), the notice texts (late arrival, quarantined alert, times in
// words), the onward obligation of a redirect.
// The acknowledgement page's HTML is tested in src/console/ack-page.test.ts.
import { describe, expect, it } from 'vitest'
import type { Party } from '../registry/index.js'
import type { ObligationRow } from '../store/index.js'
import { createCalendar } from './calendar.js'
import { FALLBACK_LEVEL, nextLevel } from './contacts.js'
import { escalationPartyId, planEscalation } from './escalation.js'
import { alertDeadline, buildQuarantinedNotice, CRITICAL_QUARANTINE_REASONS, redirectedDraft } from './notice.js'
import { renderNoticeText, type NoticeJson } from './notice-text.js'

const cal = createCalendar({ region: 'england-and-wales' })
const party = (id: string, levels: ('primary' | 'secondary' | 'escalation')[]): Party => ({
  id, name: `${id} Ltd`, dccUser: true, mpids: [id], userIds: [], delegations: [],
  criticalAlerts: { contacts: levels.map((level) => ({ name: `${id} ${level}`, email: `${level}@${id.toLowerCase()}.example`, level })) },
}) as unknown as Party

function row(over: Partial<ObligationRow>): ObligationRow {
  const notice: NoticeJson = {
    type: 'critical-forward', mpxn: '1412345678901', alertCode: '8F76', alertName: 'Unauthorised Physical Access - Terminal Cover Removed',
    alertTime: '2026-04-02T10:00:00.000Z', deviceId: '00-12-34-56-78-AB-CD-F0', fromParty: 'ACME', fromPartyName: 'Acme', toParty: 'BRITE',
    toPartyName: 'Brite', obligationId: 'o1', acknowledgeBy: '2026-04-07T23:00:00.000Z', messageId: 'm1', supplyStartDate: '2025-03-01',
    reason: 'stale-cos-critical', level: 0, contactLevel: 'primary', ackUrl: 'http://x/obligations/ack?token=t',
  }
  return {
    id: 'o1', type: 'critical-forward', status: 'notified', messageId: 'm1', fromParty: 'ACME', toParty: 'BRITE', mpxn: '1412345678901',
    alertCode: '8F76', alertTime: Date.parse('2026-04-02T10:00:00.000Z'), createdAt: 0, dueAt: Date.parse('2026-04-07T23:00:00.000Z'), level: 0,
    notifiedAt: 1, ackedAt: null, ackedBy: null, notice: notice as unknown as Record<string, unknown>, text: '', ...over,
  }
}

describe('escalation targets', () => {
  it('an install-code duty escalates to the installing supplier (the tenant), naming whom it owes the code', () => {
    const r = row({ type: 'install-code', fromParty: 'ACME', toParty: 'BRITE', notice: { ...row({}).notice, type: 'install-code' } })
    expect(escalationPartyId(r)).toBe('ACME')
    expect(escalationPartyId(row({}))).toBe('BRITE')
    const plan = planEscalation(r, party('ACME', ['primary', 'secondary']), cal, Date.parse('2026-04-08T09:00:00.000Z'))
    expect(plan.notice?.toParty).toBe('ACME')
    const n = JSON.parse(plan.notice!.body.toString()) as NoticeJson
    expect(n).toMatchObject({ toParty: 'ACME', gainingParty: 'BRITE', level: 1 })
    expect(n.text).toContain('you installed this meter and owe its install code to Brite (BRITE)')
  })

  it('after the last contact level: the fallback contact when configured, else the obligation stays overdue', () => {
    const only = party('BRITE', ['primary'])
    expect(nextLevel(only, 0)).toBeUndefined()
    expect(nextLevel(only, 0, true)).toBe(FALLBACK_LEVEL)
    expect(nextLevel(party('B', ['primary', 'escalation']), 0, true)).toBe(2)
    expect(nextLevel(only, FALLBACK_LEVEL, true)).toBeUndefined()
    const now = Date.parse('2026-04-08T09:00:00.000Z')
    expect(planEscalation(row({}), only, cal, now).events.map((e) => e.status)).toEqual(['overdue'])
    const plan = planEscalation(row({}), only, cal, now, { fallback: true })
    expect(plan.events.at(-1)).toMatchObject({ status: 'escalated', level: FALLBACK_LEVEL })
    const n = JSON.parse(plan.notice!.body.toString()) as NoticeJson
    expect(n.contactLevel).toBe('fallback')
    expect(n.text).toContain('ESCALATION to the fallback contact: nobody at Brite (BRITE) acknowledged this by the end of Tuesday 7 April 2026, UK time')
  })
})

describe('notices', () => {
  it('the deadline counts from the alert time: before Good Friday 2026 -> the end of Tuesday 7 April', () => {
    expect(alertDeadline(cal, Date.parse('2026-04-02T10:00:00.000Z'))).toBe(Date.parse('2026-04-07T23:00:00.000Z'))
  })

  it('a quarantined critical alert: addressed to the tenant, late arrival said with how much', () => {
    const d = buildQuarantinedNotice({
      obligationId: 'q1', messageId: 'm2', env: { alertCode: '8F3F', responseDateTime: '2026-04-02T10:00:00.000Z', responseTime: Date.parse('2026-04-02T10:00:00.000Z') },
      reason: 'unknown-device', detail: 'device 00-11 is not in devices.csv', tenant: party('ACME', ['primary']),
      dueAt: Date.parse('2026-04-07T23:00:00.000Z'), receivedAt: Date.parse('2026-04-09T11:00:00.000Z'),
    })
    expect(d).toMatchObject({ type: 'critical-quarantined', toParty: 'ACME', alertCode: '8F3F', dueAt: Date.parse('2026-04-07T23:00:00.000Z') })
    expect(d.notice).toMatchObject({ late: { byMs: 36 * 3_600_000 }, quarantineReason: 'unknown-device' })
    expect(d.text).toContain('LATE: this alert reached the gateway at 12:00 on Thursday 9 April 2026, UK time, 1 day 12 hours after')
    expect(d.text).toContain('Held because:  unknown-device (device 00-11 is not in devices.csv)')
    expect(d.text).toContain('Act by the end of Tuesday 7 April 2026, UK time (2026-04-07T23:00:00.000Z)')
  })

  it('the reasons that give a quarantined critical alert a clock include never-supplied (issue 14) and not malformed', () => {
    for (const r of ['unknown-device', 'unknown-mpxn', 'never-supplied', 'unknown-acquirer', 'bad-signature', 'adapter-rejected']) expect(CRITICAL_QUARANTINE_REASONS.has(r), r).toBe(true)
    expect(CRITICAL_QUARANTINE_REASONS.has('malformed')).toBe(false)
    expect(CRITICAL_QUARANTINE_REASONS.has('unknown-recipient')).toBe(false)
  })

  it('a redirect opens the onward forward to the named party, same alert facts, new deadline, once (subject)', () => {
    const d = redirectedDraft(row({}), party('HOMEGAS', ['primary']), 'Sam (Brite)', Date.parse('2026-04-10T23:00:00.000Z'), 'o2')
    expect(d).toMatchObject({ id: 'o2', type: 'critical-forward', fromParty: 'ACME', toParty: 'HOMEGAS', alertCode: '8F76', subject: 'redirect:o1:HOMEGAS' })
    expect(d.notice).toMatchObject({ obligationId: 'o2', toParty: 'HOMEGAS', redirectedFrom: { party: 'BRITE', by: 'Sam (Brite)' }, level: 0 })
    expect(d.notice.ackUrl).toBeUndefined()
    expect(d.text).toContain('BRITE told us it is not the current supplier and named you (Sam (Brite))')
    expect(d.text).toContain('1 working day from the redirect')
  })

  it('every time in words next to its ISO form', () => {
    const text = renderNoticeText(row({}).notice as unknown as NoticeJson)
    expect(text).toContain('Alert time:    2026-04-02T10:00:00.000Z (11:00 on Thursday 2 April 2026, UK time)')
    expect(text).toContain('Acknowledge by the end of Tuesday 7 April 2026, UK time (2026-04-07T23:00:00.000Z)')
  })
})
