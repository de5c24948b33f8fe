import type { AuditFilter, AuditRow } from '../types.js'
import { fromJson, toJson } from './records.js'
import { scanStream, streamRange } from './stream-scan.js'
import type { Topology } from './topology.js'

// The admin audit trail in clustered mode: one JSON message per action on <P>_AUDIT (the same
// fields as the SQLite admin_audit table); the stream sequence is the row id.

type Stored = Omit<AuditRow, 'id' | 'atIso'>

export async function writeAudit(t: Topology, at: number, actor: string, action: string, target: string | null, detail: string | null): Promise<void> {
  const row: Stored = { at, actor, action, target, detail }
  await t.js.publish(t.names.auditSubject, toJson(row))
}

/** Newest first; the stream is in time order, so a `since` ends the scan at the first older row. */
export async function listAudit(t: Topology, f: AuditFilter): Promise<AuditRow[]> {
  const { first, last } = await streamRange(t, t.names.auditStream)
  const rows: AuditRow[] = []
  await scanStream(t, t.names.auditStream, last, first, -1, (m) => {
    const r = fromJson<Stored>(m.data)
    if (f.since !== undefined && r.at < f.since) return false
    if (f.action === undefined || r.action === f.action) rows.push({ id: m.seq, ...r, atIso: new Date(r.at).toISOString() })
    return rows.length < f.limit
  })
  return rows
}
