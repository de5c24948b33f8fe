import type { Database } from 'better-sqlite3'

// Read-side queries of the operator console (src/console) that the admin API does not need.
// Metadata only: no payload is read here.

export interface DecisionMinute {
  /** start of the minute (epoch ms) */
  minute: number
  decision: string
  n: number
}

/** Messages by decision per minute received in [from, to) (messages_received index). */
export function decisionsPerMinute(db: Database, from: number, to: number): DecisionMinute[] {
  return db
    .prepare(
      `SELECT (received_at / 60000) * 60000 AS minute, decision, COUNT(*) AS n FROM messages
       WHERE received_at >= ? AND received_at < ? GROUP BY 1, 2 ORDER BY 1`,
    )
    .all(from, to) as DecisionMinute[]
}

export interface QuarantineReasonCount {
  reason: string
  critical: boolean
  n: number
  oldest: number
}

/** Quarantined messages by reason, critical ones counted apart. */
export function quarantineByReason(db: Database): QuarantineReasonCount[] {
  const rows = db
    .prepare('SELECT reason, critical, COUNT(*) AS n, MIN(received_at) AS oldest FROM quarantine GROUP BY reason, critical ORDER BY critical DESC, n DESC')
    .all() as { reason: string; critical: number; n: number; oldest: number }[]
  return rows.map((r) => ({ ...r, critical: r.critical === 1 }))
}

/** How many messages one reason holds (the count an operator confirms before a bulk release). */
export function countQuarantineByReason(db: Database, reason: string): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM quarantine WHERE reason = ?').get(reason) as { n: number }).n
}

/** Up to `limit` ids of one reason, oldest first (bulk release works through them in order). */
export function quarantineIdsByReason(db: Database, reason: string, limit: number): string[] {
  return (db.prepare('SELECT id FROM quarantine WHERE reason = ? ORDER BY received_at, id LIMIT ?').all(reason, limit) as { id: string }[]).map((r) => r.id)
}

export interface AuditPageFilter {
  /** part of the actor (credential name, address) */
  actor?: string
  action?: string
  since?: number
  /** rows with a smaller id (the previous page's last id) */
  before?: number
  limit: number
}

export interface AuditEntry {
  id: number
  at: number
  actor: string
  action: string
  target: string | null
  detail: string | null
}

/** The admin audit log, newest first, keyset-paginated by id. */
export function auditPage(db: Database, f: AuditPageFilter): { items: AuditEntry[]; nextBefore: number | null } {
  const where: string[] = []
  const args: (string | number)[] = []
  if (f.actor !== undefined) where.push('instr(actor, ?) > 0'), args.push(f.actor)
  if (f.action !== undefined) where.push('action = ?'), args.push(f.action)
  if (f.since !== undefined) where.push('at >= ?'), args.push(f.since)
  if (f.before !== undefined) where.push('id < ?'), args.push(f.before)
  const items = db
    .prepare(`SELECT id, at, actor, action, target, detail FROM admin_audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`)
    .all(...args, f.limit + 1) as AuditEntry[]
  const more = items.length > f.limit
  if (more) items.pop()
  return { items, nextBefore: more ? items[items.length - 1]!.id : null }
}

/** The audit actions recorded so far (the audit page's filter choices). */
export function auditActions(db: Database): string[] {
  return (db.prepare('SELECT DISTINCT action FROM admin_audit ORDER BY action').all() as { action: string }[]).map((r) => r.action)
}
