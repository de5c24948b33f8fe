import type { Database } from 'better-sqlite3'
import { staleCosRows } from '../store/index.js'
import type { StaleCosRow } from '../store/index.js'

export interface StaleCosReport {
  rows: (StaleCosRow & { firstSeenIso: string; lastSeenIso: string })[]
  csv(): string
  markdown(): string
}

const COLUMNS = ['party', 'mpxn', 'supplyStartDate', 'acquirer', 'messages', 'criticalForwarded', 'dropped', 'quarantined', 'byKind', 'firstSeenIso', 'lastSeenIso'] as const

/**
 * The stale-CoS report (contract §1 `report stale-cos`): per MPxN the tenant lost, the traffic
 * that still reached it after the supply start date. MPxNs appear here by design: the report is
 * for the operator and the acquiring supplier, never for logs or metrics.
 */
export function staleCosReport(db: Database, since: number | undefined, _now: number): StaleCosReport {
  const rows = staleCosRows(db, since).map((r) => ({
    ...r,
    firstSeenIso: new Date(r.firstSeen).toISOString(),
    lastSeenIso: new Date(r.lastSeen).toISOString(),
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
