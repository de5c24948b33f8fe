import type { Database as Db, Statement } from 'better-sqlite3'
import type { ObligationDraft, ObligationEvent, ObligationStatus, ObligationTransition } from './types.js'
import { DONE_STATUSES, quarantineSubject } from './types.js'

// Obligation writes (docs/obligations.md). Every status transition of an obligation writes one row in
// obligation_events in the same transaction as the change itself, so the history that proves a
// duty was met (or escalated) is as durable as the state. Call these inside a queued operation.
//
// States: open -> notified -> acknowledged
//                \-> overdue -> escalated (next contact level, new deadline) -> ... -> acknowledged

const cache = new WeakMap<Db, Record<'event' | 'update' | 'notifiedFirst' | 'notifiedAgain' | 'insert' | 'insertIfNew' | 'notice' | 'spool' | 'status', Statement>>()

function stmts(db: Db) {
  let s = cache.get(db)
  if (s === undefined) {
    s = {
      event: db.prepare(
        'INSERT INTO obligation_events (obligation_id, at, status, level, due_at, actor, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      update: db.prepare('UPDATE obligations SET status = ?, level = ?, due_at = ? WHERE id = ? AND status = ? AND level = ?'),
      notifiedFirst: db.prepare("UPDATE obligations SET status = 'notified', notified_at = ? WHERE id = ? AND status = 'open'"),
      notifiedAgain: db.prepare('UPDATE obligations SET notified_at = ? WHERE id = ?'),
      insert: db.prepare(
        `INSERT INTO obligations (id, type, status, message_id, from_party, to_party, mpxn, alert_code, alert_time,
           created_at, due_at, subject) VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertIfNew: db.prepare(
        `INSERT OR IGNORE INTO obligations (id, type, status, message_id, from_party, to_party, mpxn, alert_code, alert_time,
           created_at, due_at, subject) VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      notice: db.prepare('INSERT INTO obligation_notices (obligation_id, notice, text) VALUES (?, ?, ?)'),
      spool: db.prepare(
        `INSERT INTO spool (message_id, target, party, mpxn, content_type, body, headers, next_attempt_at, created_at, obligation_id)
         VALUES (?, 'notice', ?, ?, 'application/json', ?, '{}', ?, ?, ?)`,
      ),
      status: db.prepare('SELECT status, level, due_at AS dueAt FROM obligations WHERE id = ?'),
    }
    cache.set(db, s)
  }
  return s
}

/**
 * Writes an obligation's row and, in its own table, its notice and their text (written once; the
 * row changes with its status). `ifNew`: a row with the same ID or subject is left as it is and
 * false returned; otherwise such a row is an error.
 */
export function insertObligation(db: Db, o: ObligationDraft, messageId: string | null, notice: Record<string, unknown>, subject: string | null, now: number, ifNew: boolean): boolean {
  const s = stmts(db)
  const r = (ifNew ? s.insertIfNew : s.insert).run(
    o.id, o.type, messageId, o.fromParty ?? null, o.toParty, o.mpxn ?? null, o.alertCode ?? null, o.alertTime ?? null, now, o.dueAt, subject,
  )
  if (r.changes === 0) return false
  s.notice.run(o.id, JSON.stringify(notice), o.text)
  return true
}

export function recordObligationEvent(db: Db, id: string, at: number, e: ObligationEvent, actor: string): void {
  stmts(db).event.run(id, at, e.status, e.level, e.dueAt, actor, e.detail ?? null)
}

/** A notice reached its target: the first one moves open -> notified (audited). */
export function markObligationNotified(db: Db, id: string, now: number): void {
  const s = stmts(db)
  if (s.notifiedFirst.run(now, id).changes > 0) {
    const row = s.status.get(id) as { level: number; dueAt: number }
    recordObligationEvent(db, id, now, { status: 'notified', level: row.level, dueAt: row.dueAt }, 'delivery')
  } else {
    s.notifiedAgain.run(now, id)
  }
}

/** Applies scheduler transitions; returns the ids that changed (the others were acknowledged meanwhile). */
export function applyObligationTransitions(db: Db, list: readonly ObligationTransition[], now: number, actor: string): string[] {
  const s = stmts(db)
  const changed: string[] = []
  for (const t of list) {
    const last = t.events[t.events.length - 1]
    if (last === undefined) continue
    if (s.update.run(last.status, last.level, last.dueAt, t.id, t.expect.status, t.expect.level).changes === 0) continue
    for (const e of t.events) recordObligationEvent(db, t.id, now, e, actor)
    if (t.notice !== undefined) s.spool.run(t.notice.key, t.notice.toParty, t.notice.mpxn, t.notice.body, now, now, t.id)
    changed.push(t.id)
  }
  return changed
}

/**
 * Opens obligations that do not come from a message (install-code, SECMP0121): the row, its
 * `open` event and its first notice. A draft whose `subject` is already open is skipped.
 */
export function openObligations(db: Db, drafts: readonly ObligationDraft[], now: number, actor: string): string[] {
  const s = stmts(db)
  const opened: string[] = []
  for (const o of drafts) {
    const key = `${o.type}:${o.id}`
    if (!insertObligation(db, o, null, o.notice, o.subject ?? null, now, true)) continue
    recordObligationEvent(db, o.id, now, { status: 'open', level: 0, dueAt: o.dueAt, ...(o.subject !== undefined && { detail: o.subject }) }, actor)
    s.spool.run(key, o.toParty, o.mpxn ?? null, Buffer.from(JSON.stringify({ ...o.notice, text: o.text })), now, now, o.id)
    opened.push(o.id)
  }
  return opened
}

export function obligationStatus(db: Db, id: string): { status: ObligationStatus; level: number; dueAt: number } | undefined {
  return stmts(db).status.get(id) as { status: ObligationStatus; level: number; dueAt: number } | undefined
}

// --- critical-quarantined obligations and redirects (docs/obligations.md) -------------------------------

const DONE_SQL = DONE_STATUSES.map((s) => `'${s}'`).join(', ')
const cache15 = new WeakMap<Db, Record<'openBySubject' | 'close' | 'spool' | 'done', Statement>>()

function stmts15(db: Db) {
  let s = cache15.get(db)
  if (s === undefined) {
    s = {
      openBySubject: db.prepare(`SELECT id, level, due_at AS dueAt, status FROM obligations WHERE subject = ? AND status NOT IN (${DONE_SQL})`),
      close: db.prepare(`UPDATE obligations SET status = ?, acked_at = ?, acked_by = ? WHERE id = ? AND status NOT IN (${DONE_SQL})`),
      spool: db.prepare(
        `INSERT INTO spool (message_id, target, party, mpxn, content_type, body, headers, next_attempt_at, created_at, obligation_id)
         VALUES (?, 'notice', ?, ?, 'application/json', ?, '{}', ?, ?, ?)`,
      ),
      done: db.prepare(`SELECT status FROM obligations WHERE id = ? AND status IN (${DONE_SQL})`),
    }
    cache15.set(db, s)
  }
  return s
}

/**
 * A critical alert went to quarantine (at ingest, or when the adapter refused it): its
 * `critical-quarantined` obligation opens with the row, linked by subject, and its notice to the
 * tenant's own contacts is spooled, in the same transaction as the quarantine row.
 */
export function openQuarantinedObligation(db: Db, o: ObligationDraft, messageId: string, quarantineId: string, now: number): void {
  const s = stmts15(db)
  const notice = { ...o.notice, quarantineId }
  if (!insertObligation(db, o, messageId, notice, quarantineSubject(quarantineId), now, true)) return
  recordObligationEvent(db, o.id, now, { status: 'open', level: 0, dueAt: o.dueAt, detail: String(o.notice.quarantineReason ?? 'quarantined') }, 'gateway')
  s.spool.run(`${o.type}:${o.id}`, o.toParty, o.mpxn ?? null, Buffer.from(JSON.stringify({ ...notice, text: o.text })), now, now, o.id)
}

/** The quarantined message was released or deleted: its open obligation closes (audited); returns its id. */
export function closeQuarantinedObligation(db: Db, quarantineId: string, now: number, actor: string, detail: string): string | undefined {
  const s = stmts15(db)
  const row = s.openBySubject.get(quarantineSubject(quarantineId)) as { id: string; level: number; dueAt: number; status: string } | undefined
  if (row === undefined) return undefined
  s.close.run('closed', now, actor, row.id)
  recordObligationEvent(db, row.id, now, { status: 'closed', level: row.level, dueAt: row.dueAt, detail: `${detail} (was ${row.status})` }, actor)
  return row.id
}

/** The id of the open obligation that holds a quarantined message, if any. */
export function openQuarantinedObligationId(db: Db, quarantineId: string): string | undefined {
  return (stmts15(db).openBySubject.get(quarantineSubject(quarantineId)) as { id: string } | undefined)?.id
}

/** SQL condition on `quarantine` rows that no open obligation holds (retention may purge them). */
export const NOT_HELD = `NOT EXISTS (SELECT 1 FROM obligations o WHERE o.subject = 'critical-quarantined:' || quarantine.id
  AND o.status NOT IN (${DONE_SQL}))`

/**
 * "Not the supplier: pass it on" (docs/obligations.md): the obligation ends as `redirected` with the
 * answer in its event; when a known party was named, the onward obligation opens (with its notice)
 * in the same transaction. 'already' when it had ended before.
 */
export function redirectObligation(
  db: Db, id: string, now: number, actor: string, detail: string, onward: ObligationDraft | undefined,
): 'ok' | 'not-found' | 'already' {
  const s = stmts15(db)
  const cur = obligationStatus(db, id)
  if (cur === undefined) return 'not-found'
  if (s.done.get(id) !== undefined) return 'already'
  s.close.run('redirected', now, actor, id)
  recordObligationEvent(db, id, now, { status: 'redirected', level: cur.level, dueAt: cur.dueAt, detail }, actor)
  if (onward !== undefined) openObligations(db, [onward], now, actor)
  return 'ok'
}
