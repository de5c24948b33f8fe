import type { Database, Statement } from 'better-sqlite3'
import type { AuditFilter, AuditRow, ObligationListStatus, ObligationRow, ObligationStatus, QuarantineRow } from './types.js'
import { DONE_STATUSES, PENDING_STATUSES } from './types.js'
import { badRequest } from './store-error.js'

const sqlList = (statuses: readonly ObligationStatus[]): string => statuses.map((s) => `'${s}'`).join(', ')
const DONE_SQL = sqlList(DONE_STATUSES)
const PENDING_SQL = sqlList(PENDING_STATUSES)

// Read-side queries for the admin API and the CLI. Writes go through the commit queue.

const QUARANTINE_COLUMNS = `id, message_id AS messageId, received_at AS receivedAt, reason, detail, kind, party, mpxn,
  content_type AS contentType, size, released_at AS releasedAt, released_by AS releasedBy, critical, alert_code AS alertCode`

/** SQLite has no boolean: `critical` comes back as 0/1. */
function quarantineRow(r: Omit<QuarantineRow, 'critical'> & { critical: number }): QuarantineRow {
  return { ...r, critical: r.critical === 1 }
}

export interface QuarantineFilter {
  reason?: string
  mpxn?: string
  since?: number
  /** only critical (true) or only non-critical (false) messages */
  critical?: boolean
  alertCode?: string
  limit: number
  /** opaque cursor from the previous page: `<critical>:<receivedAt>:<id>` */
  cursor?: string
}

/** Critical first, then newest first; keyset-paginated (stable under inserts). */
export function listQuarantine(db: Database, f: QuarantineFilter): { items: QuarantineRow[]; nextCursor: string | null } {
  const where: string[] = []
  const args: (string | number)[] = []
  if (f.reason !== undefined) where.push('reason = ?'), args.push(f.reason)
  if (f.mpxn !== undefined) where.push('mpxn = ?'), args.push(f.mpxn)
  if (f.since !== undefined) where.push('received_at >= ?'), args.push(f.since)
  if (f.critical !== undefined) where.push('critical = ?'), args.push(f.critical ? 1 : 0)
  if (f.alertCode !== undefined) where.push('alert_code = ? COLLATE NOCASE'), args.push(f.alertCode)
  if (f.cursor !== undefined) {
    const [critical, at, id] = decodeCursor(f.cursor)
    where.push('(critical < ? OR (critical = ? AND (received_at < ? OR (received_at = ? AND id < ?))))')
    args.push(critical, critical, at, at, id)
  }
  const sql = `SELECT ${QUARANTINE_COLUMNS} FROM quarantine ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
    ORDER BY critical DESC, received_at DESC, id DESC LIMIT ?`
  const items = (db.prepare(sql).all(...args, f.limit + 1) as (Omit<QuarantineRow, 'critical'> & { critical: number })[]).map(quarantineRow)
  const more = items.length > f.limit
  if (more) items.pop()
  const last = items[items.length - 1]
  const cursor = last && `${last.critical ? 1 : 0}:${last.receivedAt}:${last.id}`
  return { items, nextCursor: more && cursor ? Buffer.from(cursor).toString('base64url') : null }
}

function decodeCursor(c: string): [number, number, string] {
  const m = /^([01]):(\d+):(.+)$/.exec(Buffer.from(c, 'base64url').toString('utf8'))
  if (m === null) throw badRequest('cursor is not one this gateway issued')
  return [Number(m[1]), Number(m[2]), m[3]!]
}

export function getQuarantine(db: Database, id: string): QuarantineRow | undefined {
  const r = db.prepare(`SELECT ${QUARANTINE_COLUMNS} FROM quarantine WHERE id = ?`).get(id) as (Omit<QuarantineRow, 'critical'> & { critical: number }) | undefined
  return r && quarantineRow(r)
}

export function getQuarantineBody(db: Database, id: string): Buffer | undefined {
  return (db.prepare('SELECT body FROM quarantine WHERE id = ?').get(id) as { body: Buffer } | undefined)?.body
}

export function quarantineCounts(db: Database): { reason: string; n: number }[] {
  return db.prepare('SELECT reason, COUNT(*) AS n FROM quarantine GROUP BY reason').all() as { reason: string; n: number }[]
}

const OBLIGATION_COLUMNS = `id, type, status, message_id AS messageId, from_party AS fromParty, to_party AS toParty, mpxn,
  alert_code AS alertCode, alert_time AS alertTime, created_at AS createdAt, due_at AS dueAt, level,
  notified_at AS notifiedAt, acked_at AS ackedAt, acked_by AS ackedBy, COALESCE(notice, '{}') AS notice, COALESCE(text, '') AS text`
/** An obligation's row with its notice and their text (migration 15); a row is never hidden for want of its notice. */
const OBLIGATIONS = 'obligations LEFT JOIN obligation_notices ON obligation_id = id'

function toObligation(r: Omit<ObligationRow, 'notice'> & { notice: string }): ObligationRow {
  return { ...r, notice: JSON.parse(r.notice) as Record<string, unknown> }
}

/**
 * `open` = not yet done (open, notified, overdue, escalated); `overdue` = not done and past due at
 * `now`; `done` = acknowledged, redirected or closed (DONE_STATUSES).
 */
export function listObligations(db: Database, status: ObligationListStatus, now: number, limit = 1000): ObligationRow[] {
  const pending = `status NOT IN (${DONE_SQL})`
  const where =
    status === 'all' ? '1' : status === 'done' ? `status IN (${DONE_SQL})` : status === 'overdue' ? `${pending} AND due_at < ?` : pending
  const args = status === 'overdue' ? [now, limit] : [limit]
  const rows = db.prepare(`SELECT ${OBLIGATION_COLUMNS} FROM ${OBLIGATIONS} WHERE ${where} ORDER BY due_at LIMIT ?`).all(...args)
  return (rows as (Omit<ObligationRow, 'notice'> & { notice: string })[]).map(toObligation)
}

export function getObligation(db: Database, id: string): ObligationRow | undefined {
  const r = db.prepare(`SELECT ${OBLIGATION_COLUMNS} FROM ${OBLIGATIONS} WHERE id = ?`).get(id)
  return r === undefined ? undefined : toObligation(r as Omit<ObligationRow, 'notice'> & { notice: string })
}

const statements = new WeakMap<Database, Map<string, Statement>>()

/** A statement run on a timer or at every scrape: prepared once per connection, not at each run. */
function preparedOnce(db: Database, sql: string): Statement {
  let byConnection = statements.get(db)
  if (byConnection === undefined) statements.set(db, (byConnection = new Map()))
  let st = byConnection.get(sql)
  if (st === undefined) byConnection.set(sql, (st = db.prepare(sql)))
  return st
}

/** the query behind obligationCounts (tests: its plan) */
export const OBLIGATION_COUNTS_SQL = 'SELECT type, status, COUNT(*) AS n, SUM(due_at < ?) AS late FROM obligations GROUP BY type, status'

/**
 * Per type and status, a pending obligation past its due time counted as overdue (the
 * `dccgw_obligations` gauge, refreshed at every scrape). One walk of the obligations_counts index
 * in its own order (migrations.ts, 9): grouping by the CASE of the status made SQLite read every
 * row of the table and sort them, ~100 ms of the event loop and the whole table through the
 * connection's page cache at every scrape with 169k obligations; the index walk takes ~20 ms.
 */
export function obligationCounts(db: Database, now: number): { type: string; status: ObligationStatus; n: number }[] {
  const groups = preparedOnce(db, OBLIGATION_COUNTS_SQL).all(now) as { type: string; status: ObligationStatus; n: number; late: number }[]
  const out = new Map<string, { type: string; status: ObligationStatus; n: number }>()
  const add = (type: string, status: ObligationStatus, n: number) => {
    if (n === 0) return
    const k = `${type} ${status}`
    const c = out.get(k)
    if (c === undefined) out.set(k, { type, status, n })
    else c.n += n
  }
  for (const g of groups) {
    if (PENDING_STATUSES.includes(g.status)) {
      add(g.type, g.status, g.n - g.late)
      add(g.type, 'overdue', g.late)
    } else add(g.type, g.status, g.n)
  }
  return [...out.values()]
}

/**
 * Obligations the scheduler must look at: not acknowledged, past due, and not already overdue
 * with no contact level left (status 'overdue' is terminal until someone acknowledges).
 */
const DUE_OBLIGATIONS_SQL = `SELECT ${OBLIGATION_COLUMNS} FROM ${OBLIGATIONS} WHERE status IN (${PENDING_SQL}) AND due_at < ? ORDER BY due_at LIMIT ?`

/** Run by the obligation timer on every check (and by each late alert's): prepared once per connection. */
export function dueObligations(db: Database, now: number, limit = 500): ObligationRow[] {
  const rows = preparedOnce(db, DUE_OBLIGATIONS_SQL).all(now, limit)
  return (rows as (Omit<ObligationRow, 'notice'> & { notice: string })[]).map(toObligation)
}

export interface ObligationEventRow {
  at: number
  status: ObligationStatus
  level: number
  dueAt: number
  actor: string
  detail: string | null
}

/** The history of one obligation, oldest first (the proof that a duty was met or escalated). */
export function obligationEvents(db: Database, id: string): ObligationEventRow[] {
  return db
    .prepare('SELECT at, status, level, due_at AS dueAt, actor, detail FROM obligation_events WHERE obligation_id = ? ORDER BY id')
    .all(id) as ObligationEventRow[]
}

export interface StaleCosRow {
  party: string
  mpxn: string
  supplyStartDate: string
  acquirer: string | null
  messages: number
  criticalForwarded: number
  dropped: number
  quarantined: number
  /** messages by kind (envelope MessageKind); responses without the E4 ones, counted apart */
  deviceAlerts: number
  dccAlerts: number
  responses: number
  e4Responses: number
  smets1: number
  /** by alert time (Header/ResponseDateTime), epoch ms */
  firstSeen: number
  lastSeen: number
}

/**
 * Per MPxN and losing party: traffic that still arrived after the supply start date, the evidence
 * that SR 6.23 (Update Security Credentials, CoS) was not run. Built from metadata audit rows only:
 * every row whose addressed party no longer supplied the MPxN at the message time (device alerts,
 * DCC Alerts, responses, E4 rejections included), whatever was decided.
 */
export function staleCosRows(db: Database, since?: number): StaleCosRow[] {
  return db
    .prepare(
      `SELECT party, mpxn, supply_start_date AS supplyStartDate, MAX(to_party) AS acquirer, COUNT(*) AS messages,
         SUM(decision = 'forward') AS criticalForwarded, SUM(decision = 'drop') AS dropped,
         SUM(decision = 'quarantine') AS quarantined,
         SUM(kind = 'device_alert') AS deviceAlerts, SUM(kind = 'dcc_alert') AS dccAlerts,
         SUM(kind = 'response' AND COALESCE(response_code, '') <> 'E4') AS responses,
         SUM(kind = 'response' AND response_code = 'E4') AS e4Responses,
         SUM(kind = 'smets1') AS smets1, MIN(response_time) AS firstSeen, MAX(response_time) AS lastSeen
       FROM messages WHERE supply_start_date IS NOT NULL AND party IS NOT NULL AND received_at >= ?
       GROUP BY party, mpxn, supply_start_date ORDER BY supply_start_date, mpxn`,
    )
    .all(since ?? 0) as StaleCosRow[]
}

/** The admin audit trail, newest first (GET /admin/audit). */
export function listAudit(db: Database, f: AuditFilter): AuditRow[] {
  const where: string[] = []
  const args: (string | number)[] = []
  if (f.action !== undefined) where.push('action = ?'), args.push(f.action)
  if (f.since !== undefined) where.push('at >= ?'), args.push(f.since)
  const rows = db
    .prepare(`SELECT id, at, actor, action, target, detail FROM admin_audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`)
    .all(...args, f.limit) as Omit<AuditRow, 'atIso'>[]
  return rows.map((r) => ({ ...r, atIso: new Date(r.at).toISOString() }))
}

/**
 * Alert times of DCC Alerts SecurityCredentialsUpdated per MPxN (of those asked), oldest first:
 * the credentials were replaced, so a stale-CoS case on that MPxN is resolved from that day. One
 * pass over the partial index messages_credentials (such alerts are few), not one query per MPxN.
 */
export function credentialsUpdatedTimes(db: Database, mpxns: readonly string[]): Map<string, number[]> {
  const wanted = new Set(mpxns)
  const out = new Map<string, number[]>()
  const rows = db
    .prepare("SELECT mpxn, response_time AS t FROM messages WHERE dcc_alert_type = 'SecurityCredentialsUpdated' AND mpxn IS NOT NULL ORDER BY mpxn, response_time")
    .all() as { mpxn: string; t: number }[]
  for (const r of rows) {
    if (!wanted.has(r.mpxn)) continue
    const list = out.get(r.mpxn)
    if (list === undefined) out.set(r.mpxn, [r.t])
    else list.push(r.t)
  }
  return out
}
