import type { Party } from '../registry/index.js'
import type { ObligationRow, ObligationTransition } from '../store/index.js'
import type { WorkingDayCalendar } from './calendar.js'
import { levelName, nextLevel } from './contacts.js'
import { escalatedNotice } from './notice.js'

// Escalation (SEC "Managing Critical Alerts": the secondary contact handles escalation when
// nobody acknowledges; then the escalation contact). Pure: the row, the party as the registry
// knows it now, the calendar and the clock in; the transition out.
//
//   open | notified | escalated, past due -> overdue -> escalated (next level with a contact,
//   deadline +1 working day from now, a new notice) ; no level left -> overdue (stays until ack)
//
// Whose contacts: the party the duty is owed by. For a forwarded or quarantined critical alert
// that is the notice's party; for an install code it is the installing supplier (the tenant,
// `fromParty`), which owes the code (docs/obligations.md). After the party's last level comes
// `obligations.fallbackContact` when configured (level 3).

/** Working days each contact level gets to acknowledge after an escalation. */
export const ESCALATION_WORKING_DAYS = 1

/** The party whose contacts an overdue obligation escalates to. */
export function escalationPartyId(row: Pick<ObligationRow, 'type' | 'toParty' | 'fromParty'>): string {
  return row.type === 'install-code' && row.fromParty !== null ? row.fromParty : row.toParty
}

export function planEscalation(
  row: ObligationRow, party: Party | undefined, calendar: WorkingDayCalendar, now: number, opts: { fallback?: boolean } = {},
): ObligationTransition {
  const overdue = {
    status: 'overdue' as const,
    level: row.level,
    dueAt: row.dueAt,
    detail: `not acknowledged by ${new Date(row.dueAt).toISOString()} (${levelName(row.level)} contact)`,
  }
  const expect = { status: row.status, level: row.level }
  const next = nextLevel(party, row.level, opts.fallback)
  if (next === undefined) return { id: row.id, expect, events: [{ ...overdue, detail: `${overdue.detail}; no contact level left` }] }
  const dueAt = calendar.deadline(now, ESCALATION_WORKING_DAYS)
  const owner = escalationPartyId(row)
  // the installer (install code): the notice is readdressed to it and names the gaining supplier
  const to = owner === row.toParty ? undefined : { id: owner, name: party?.name ?? owner }
  const notice = escalatedNotice(row.notice, { level: row.level, dueAt: row.dueAt }, next, dueAt, to)
  return {
    id: row.id,
    expect,
    events: [overdue, { status: 'escalated', level: next, dueAt, detail: `to the ${levelName(next)} contact` }],
    notice: {
      // Idempotency-Key of the webhook POST: one per obligation and level
      key: `${row.messageId ?? `${row.type}:${row.id}`}#${levelName(next)}`,
      toParty: owner,
      mpxn: row.mpxn,
      body: Buffer.from(JSON.stringify(notice)),
    },
  }
}
