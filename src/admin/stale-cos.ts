import type { WorkingDayCalendar } from '../obligations/index.js'
import { ukDateOf } from '../obligations/index.js'
import type { GatewayStore, StaleCosRow } from '../store/index.js'

export type StaleCosReportRow = StaleCosRow & {
  firstSeenIso: string
  lastSeenIso: string
  /** working days from the supply start date to the report day (calendar.region) */
  workingDaysSinceSsd: number | null
  /** working days from the supply start date to the last message: how long SR 6.23 was missing */
  workingDaysToLastSeen: number | null
}

export interface StaleCosReport {
  rows: StaleCosReportRow[]
  csv(): string
  markdown(): string
}

const COLUMNS = [
  'party', 'mpxn', 'supplyStartDate', 'acquirer', 'messages', 'deviceAlerts', 'dccAlerts', 'responses', 'smets1',
  'criticalForwarded', 'dropped', 'quarantined', 'firstSeenIso', 'lastSeenIso', 'workingDaysSinceSsd', 'workingDaysToLastSeen',
] as const

/**
 * The stale-CoS report (contract §1 `report stale-cos`): per MPxN the tenant lost, the traffic
 * that still reached it after the supply start date, counted by message kind, with the working
 * days that passed: the evidence that SR 6.23 (Update Security Credentials, CoS) was not run.
 * Built from the metadata audit rows only (the store's staleCosRows), never from payloads. MPxNs appear
 * here by design: the report is for the operator and the acquiring supplier, never for logs or
 * metrics.
 */
export async function staleCosReport(
  store: Pick<GatewayStore, 'staleCosRows'>, since: number | undefined, now: number, calendar?: WorkingDayCalendar,
): Promise<StaleCosReport> {
  const today = ukDateOf(now)
  const wd = (from: string, to: string) => (calendar === undefined ? null : calendar.workingDaysBetween(from, to))
  const rows = (await store.staleCosRows(since)).map((r) => ({
    ...r,
    firstSeenIso: new Date(r.firstSeen).toISOString(),
    lastSeenIso: new Date(r.lastSeen).toISOString(),
    workingDaysSinceSsd: wd(r.supplyStartDate, today),
    workingDaysToLastSeen: wd(r.supplyStartDate, ukDateOf(r.lastSeen)),
  }))
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
