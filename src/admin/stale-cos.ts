import type { WorkingDayCalendar } from '../obligations/index.js'
import { ukDateOf } from '../obligations/index.js'
import type { GatewayStore, StaleCosRow } from '../store/index.js'

export type StaleCosReportRow = StaleCosRow & {
  firstSeenIso: string
  lastSeenIso: string
  /**
   * working days from the supply start date (calendar.region) to the day the case was resolved, or
   * to the report day while it is open
   */
  workingDaysSinceSsd: number | null
  /** working days from the supply start date to the last message: how long SR 6.23 was missing */
  workingDaysToLastSeen: number | null
  /** `resolved` once a DCC Alert SecurityCredentialsUpdated for a device of the MPxN arrived on or after the supply start date */
  status: 'open' | 'resolved'
  /** UK date of that DCC Alert (YYYY-MM-DD) */
  resolvedOn: string | null
}

export interface StaleCosReport {
  rows: StaleCosReportRow[]
  csv(): string
  markdown(): string
}

export interface StaleCosOptions {
  /** messages received since (epoch ms) */
  since?: number
  /** only cases at least this many working days past the supply start date */
  minWorkingDays?: number
  /** only open (or only resolved) cases */
  status?: 'open' | 'resolved'
}

const COLUMNS = [
  'party', 'mpxn', 'supplyStartDate', 'acquirer', 'status', 'resolvedOn', 'messages', 'deviceAlerts', 'dccAlerts', 'responses',
  'e4Responses', 'smets1', 'criticalForwarded', 'dropped', 'quarantined', 'firstSeenIso', 'lastSeenIso', 'workingDaysSinceSsd',
  'workingDaysToLastSeen',
] as const

/**
 * The stale-CoS report (`report stale-cos`; docs/obligations.md, "Stale-CoS report"): per losing party and MPxN, the traffic
 * that still reached it after the supply start date, counted by kind (E4 responses apart), first
 * and last seen by alert time, the working days that passed, and whether the case is resolved: a
 * DCC Alert SecurityCredentialsUpdated for a device of that MPxN shows the credentials were
 * replaced (SR 6.23 done). Built from the metadata audit rows only (messages table), never from
 * payloads. MPxNs appear here by design: the report is for the operator and the acquiring
 * supplier, never for logs or metrics.
 */
export async function staleCosReport(
  store: Pick<GatewayStore, 'staleCosRows' | 'credentialsUpdatedTimes'>, o: StaleCosOptions, now: number, calendar?: WorkingDayCalendar,
): Promise<StaleCosReport> {
  const today = ukDateOf(now)
  const wd = (from: string, to: string) => (calendar === undefined ? null : calendar.workingDaysBetween(from, to))
  const found = await store.staleCosRows(o.since)
  const credentials = await store.credentialsUpdatedTimes([...new Set(found.map((r) => r.mpxn))])
  const resolvedOn = (r: StaleCosRow): string | null => {
    for (const t of credentials.get(r.mpxn) ?? []) if (ukDateOf(t) >= r.supplyStartDate) return ukDateOf(t)
    return null
  }
  const rows: StaleCosReportRow[] = []
  for (const r of found) {
    const resolved = resolvedOn(r)
    const row: StaleCosReportRow = {
      ...r,
      status: resolved === null ? 'open' : 'resolved',
      resolvedOn: resolved,
      firstSeenIso: new Date(r.firstSeen).toISOString(),
      lastSeenIso: new Date(r.lastSeen).toISOString(),
      workingDaysSinceSsd: wd(r.supplyStartDate, resolved ?? today),
      workingDaysToLastSeen: wd(r.supplyStartDate, ukDateOf(r.lastSeen)),
    }
    if ((o.status === undefined || row.status === o.status) && (o.minWorkingDays === undefined || (row.workingDaysSinceSsd ?? 0) >= o.minWorkingDays)) rows.push(row)
  }
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v)
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return {
    rows,
    csv: () => [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => cell(r[c])).join(','))].join('\n') + '\n',
    markdown: () =>
      [
        `| ${COLUMNS.join(' | ')} |`,
        `|${COLUMNS.map(() => '---').join('|')}|`,
        ...rows.map((r) => `| ${COLUMNS.map((c) => String(r[c] ?? '').replace(/\|/g, '\\|')).join(' | ')} |`),
      ].join('\n') + '\n',
  }
}
