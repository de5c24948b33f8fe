import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Database as Db, Statement } from 'better-sqlite3'
import { newId } from '../ids/index.js'
import { systemClock } from '../clock/index.js'
import type { Clock } from '../clock/index.js'
import { CommitQueue } from './commit-queue.js'
import { Checkpointer } from './checkpointer.js'
import { DEFAULT_PAGE_CACHE_MIB, setPageCache } from './page-cache.js'
import { migrate } from './migrations.js'
import { decisionRecord } from './decision-record.js'
import { hash52 } from './message-hash.js'
import { applyObligationTransitions, insertObligation, markObligationNotified, openObligations, recordObligationEvent } from './obligation-writes.js'
import {
  dueObligations, getObligation, getQuarantine, getQuarantineBody, listAudit, listObligations, listQuarantine, obligationCounts,
  obligationEvents, quarantineCounts, staleCosRows, credentialsUpdatedTimes,
} from './queries.js'
import type { ObligationEventRow, QuarantineFilter, StaleCosRow } from './queries.js'
import type { GatewayStore } from './gateway-store.js'
import * as consoleQueries from './console-queries.js'
import type { AuditEntry, AuditPageFilter, DecisionMinute, QuarantineReasonCount } from './console-queries.js'
import { notFound, reasonRequired } from './store-error.js'
import type {
  AcceptedRecord, AuditFilter, AuditRow, CommitOutcome, MalformedRecord, ObligationDraft, ObligationListStatus, ObligationRow,
  ObligationStatus, ObligationTransition, QuarantineRow, SpoolItem, StoreHooks,
} from './types.js'
import { NOT_HELD, closeQuarantinedObligation, openQuarantinedObligation, openQuarantinedObligationId, redirectObligation } from './obligation-writes.js'
import { DONE_STATUSES } from './types.js'

export interface StoreOptions {
  /** folder for gateway.db */
  path: string
  commitIntervalMs: number
  commitBatch: number
  synchronous: 'FULL' | 'NORMAL'
  /** > 0: WAL checkpoints every this many ms in a worker thread, off the event loop (checkpointer.ts) */
  checkpointIntervalMs?: number
  /** WAL size past which a checkpoint round empties the file (TRUNCATE) rather than only copying (default 64 MiB; tests) */
  walLimitBytes?: number
  /** the checkpoint worker's entry (default dist/store/checkpoint-worker.js; tests) */
  checkpointWorker?: URL
  /** the gateway's clock (src/clock): operator stamps, the checkpoint timer, the journaled store's side poll */
  clock?: Clock
  /** store.pageCacheMiB: SQLite's page cache on each connection to gateway.db (default 4 MiB) */
  pageCacheMiB?: number
}

type StatementName =
  | 'insertMessage' | 'messageBetween' | 'messageAnyTime' | 'insertSpool' | 'insertQuarantine' | 'insertOriginal'
  | 'dueSpool' | 'nextDue' | 'deleteSpool' | 'retrySpool' | 'spoolDepth' | 'rejectMessage'
  | 'purgeMessages' | 'spoolBounds' | 'spoolWaiting' | 'deleteMessage'
export type Statements = Record<StatementName, Statement>

/**
 * A spool row may be attempted when it is the oldest (lowest id) of its target and MPxN, so one
 * household's deliveries reach the target in arrival order and never two at once (docs/operations.md, "Faults"), and
 * when its target is not held back by an open circuit breaker (`@blocked`: a JSON array of
 * "<target> <party>" keys).
 */
const SPOOL_READY = `(s.mpxn IS NULL OR s.id = (SELECT MIN(h.id) FROM spool h WHERE h.target = s.target AND h.mpxn = s.mpxn))
  AND (s.target || ' ' || s.party) NOT IN (SELECT value FROM json_each(@blocked))`

/** messageRow's receipt-time ranges for a row received at exactly `at` (ms); none when it is not known. */
function receivedAt(at: number | null | undefined): [number, number][] {
  return at === null || at === undefined ? [] : [[at, at + 1]]
}

/** What a search for a message's audit row reads (messageBetween, messageAnyTime). */
interface MessageRow {
  id: number
  receivedAt: number
  decision: CommitOutcome['decision']
  reason: CommitOutcome['reason']
  quarantineId: string | null
  obligationId: string | null
  alertCode: string | null
}

/** Bound statements, prepared once when the store opens. */
function prepare(db: Db): Record<StatementName, Statement> {
  return {
    // positional parameters (messageValues): binding 16 named ones looked each up on an object, ~1 µs a row
    insertMessage: db.prepare(
      `INSERT INTO messages (id_hash, message_id, received_at, response_time, kind, alert_code, decision, reason,
         party, to_party, mpxn, supply_start_date, quarantine_id, obligation_id, response_code, dcc_alert_type)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
       WHERE NOT EXISTS (SELECT 1 FROM messages WHERE received_at = ? AND id_hash = ? AND message_id = ?)`,
    ),
    // a message's newest audit row: received in [from, to), or at any time (the hash over the whole
    // index, then the row; migrations.ts, 11)
    messageBetween: db.prepare(
      `SELECT id, received_at AS receivedAt, decision, reason, quarantine_id AS quarantineId, obligation_id AS obligationId, alert_code AS alertCode FROM messages
       WHERE received_at >= ? AND received_at < ? AND id_hash = ? AND message_id = ? ORDER BY received_at DESC LIMIT 1`,
    ),
    messageAnyTime: db.prepare(
      `SELECT id, received_at AS receivedAt, decision, reason, quarantine_id AS quarantineId, obligation_id AS obligationId, alert_code AS alertCode FROM messages
       INDEXED BY messages_received WHERE id_hash = ? AND message_id = ? ORDER BY received_at DESC LIMIT 1`,
    ),
    insertSpool: db.prepare(
      `INSERT INTO spool (message_id, target, party, mpxn, content_type, body, headers, next_attempt_at, created_at, obligation_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertQuarantine: db.prepare(
      `INSERT INTO quarantine (id, message_id, received_at, reason, detail, kind, party, mpxn, content_type, size, body, critical, alert_code, message_received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertOriginal: db.prepare(
      'INSERT OR IGNORE INTO originals (message_id, received_at, content_type, body) VALUES (?, ?, ?, ?)',
    ),
    dueSpool: db.prepare(
      `SELECT id, message_id AS messageId, target, party, mpxn, content_type AS contentType, body, headers, attempts,
         next_attempt_at AS nextAttemptAt, created_at AS createdAt, obligation_id AS obligationId
       FROM spool s WHERE next_attempt_at <= ? AND ${SPOOL_READY} ORDER BY next_attempt_at, id LIMIT ?`,
    ),
    nextDue: db.prepare(`SELECT MIN(next_attempt_at) AS at FROM spool s WHERE ${SPOOL_READY}`),
    spoolBounds: db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(length(body)), 0) AS bytes, MIN(created_at) AS oldest FROM spool'),
    spoolWaiting: db.prepare(`SELECT target || ' ' || party AS k, COUNT(*) AS n FROM spool WHERE attempts = 0 GROUP BY target, party`),
    deleteSpool: db.prepare('DELETE FROM spool WHERE id = ?'),
    retrySpool: db.prepare('UPDATE spool SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?'),
    spoolDepth: db.prepare('SELECT target, COUNT(*) AS n, MIN(created_at) AS oldest FROM spool GROUP BY target'),
    rejectMessage: db.prepare("UPDATE messages SET decision = 'quarantine', reason = ?, quarantine_id = ? WHERE id = ?"),
    deleteMessage: db.prepare('DELETE FROM messages WHERE id = ?'),
    purgeMessages: db.prepare('DELETE FROM messages WHERE received_at < ?'),
  }
}


/**
 * A decision's `messages` row as `insertMessage`'s parameters, in its column order: the audit
 * record and the hash its lookup index keys on (migrations.ts, 8 and 11), then the receipt time,
 * hash and ID again for the check that the same record is not written twice.
 */
function messageValues(rec: AcceptedRecord, quarantineId: string | null, obligationId: string | null): unknown[] {
  const r = decisionRecord(rec, quarantineId, obligationId)
  const idHash = hash52(rec.messageId)
  return [
    idHash, r.messageId, r.receivedAt, r.responseTime, r.kind, r.alertCode, r.decision, r.reason,
    r.party, r.toParty, r.mpxn, r.supplyStartDate, r.quarantineId, r.obligationId, r.responseCode, r.dccAlertType,
    r.receivedAt, idHash, r.messageId,
  ]
}

/**
 * The embedded SQLite store: dedupe, spool, quarantine, audit and obligations in one WAL database,
 * written through one group-commit queue (see commit-queue.ts).
 */
export class SqliteStore implements GatewayStore {
  readonly kind = 'sqlite'
  /** the connection: for this folder and for tests; nothing outside src/store gets it */
  readonly db: Db
  readonly queue: CommitQueue
  readonly sql: Statements
  #closed = false
  #checkpointer: Checkpointer
  protected readonly clock: Clock
  /** the page cache of this connection, and of the worker threads' connections to the same file */
  readonly pageCacheMiB: number

  constructor(opts: StoreOptions) {
    this.clock = opts.clock ?? systemClock
    mkdirSync(opts.path, { recursive: true })
    this.db = new Database(join(opts.path, 'gateway.db'))
    this.db.pragma('journal_mode = WAL')
    this.db.pragma(`synchronous = ${opts.synchronous}`)
    // Purged quarantine bytes are overwritten, not left in free pages (privacy).
    this.db.pragma('secure_delete = ON')
    this.db.pragma('busy_timeout = 5000')
    this.pageCacheMiB = opts.pageCacheMiB ?? DEFAULT_PAGE_CACHE_MIB
    setPageCache(this.db, this.pageCacheMiB)
    migrate(this.db)
    this.sql = prepare(this.db)
    this.queue = new CommitQueue(this.db, opts.commitIntervalMs, opts.commitBatch)
    this.#checkpointer = new Checkpointer(this.db, {
      file: join(opts.path, 'gateway.db'), synchronous: opts.synchronous, intervalMs: opts.checkpointIntervalMs ?? 0, clock: this.clock,
      walLimitBytes: opts.walLimitBytes, worker: opts.checkpointWorker, pageCacheMiB: this.pageCacheMiB,
    })
  }

  /** checkpoint workers that died and were replaced (checkpointer.ts) */
  get checkpointWorkersReplaced(): number {
    return this.#checkpointer.replaced
  }

  get open(): boolean {
    return !this.#closed && this.db.open
  }

  get backlog(): number {
    return this.queue.depth
  }

  setHooks(hooks: StoreHooks): void {
    this.queue.onCommit = hooks.onCommit === undefined ? undefined : (size) => hooks.onCommit!(size)
  }

  /** Makes a decision durable (dedupe + spool/quarantine/audit/obligation); settles after COMMIT. */
  commitAccepted(rec: AcceptedRecord): Promise<CommitOutcome> {
    return this.queue.run(() => this.#writeAccepted(rec))
  }

  /** Keeps the raw bytes of a document that could not be parsed (docs/http.md, "Ingress": 422). */
  commitMalformed(rec: MalformedRecord): Promise<string> {
    return this.queue.run(() => {
      const id = newId()
      this.applyMalformed(rec, id)
      return id
    })
  }

  /** A 422's raw bytes as quarantine row `id` (the journaled store's projection applies its `malformed` records through this too). */
  applyMalformed(rec: MalformedRecord, id: string): void {
    this.sql.insertQuarantine.run(
      id, null, rec.receivedAt, 'malformed', `${rec.code}: ${rec.detail}`, 'invalid', null, null,
      rec.contentType, rec.body.byteLength, Buffer.from(rec.body.buffer, rec.body.byteOffset, rec.body.byteLength), 0, null, null,
    )
  }

  #writeAccepted(rec: AcceptedRecord): CommitOutcome {
    const d = rec.decision
    const quarantineId = d.decision === 'quarantine' ? newId() : null
    // a forward's obligation, or a quarantined critical alert's critical-quarantined one (docs/obligations.md)
    const obligationId = d.decision === 'forward' || (d.decision === 'quarantine' && d.critical) ? (rec.obligation?.id ?? null) : null
    // A repeat at any time: this store answers no ingress but tests (the gateway's journaled store
    // asks its dedupe memory first, which knows when), so the search by the hash alone is enough here
    const recorded = this.recordedOutcome(rec.messageId)
    if (recorded !== undefined) return recorded
    this.applyDecision(rec, quarantineId, obligationId, true)
    return {
      messageId: rec.messageId, decision: d.decision, reason: d.reason, duplicate: false,
      ...(quarantineId !== null && { quarantineId }),
      ...(obligationId !== null && { obligationId }),
    }
  }

  /**
   * A decision's messages row and its effects (the journaled store's projection applies each
   * `accepted` record through this too, projection.ts). `spool` false: the delivery is not written as
   * a spool row (the journal holds it and it was already delivered). Returns the spool row id, if one was written.
   */
  applyDecision(rec: AcceptedRecord, quarantineId: string | null, obligationId: string | null, spool: boolean): { duplicate: boolean; row: number | null } {
    const inserted = this.sql.insertMessage.run(messageValues(rec, quarantineId, obligationId))
    if (inserted.changes === 0) return { duplicate: true, row: null }
    return { duplicate: false, row: this.#writeEffects(rec, quarantineId, spool) }
  }

  /** What a decision writes besides its messages row: spool, quarantine, original + obligation. */
  #writeEffects(rec: AcceptedRecord, quarantineId: string | null, spool = true): number | null {
    let row: number | null = null
    const d = rec.decision
    const body = Buffer.from(rec.body.buffer, rec.body.byteOffset, rec.body.byteLength)
    const now = rec.receivedAt
    const headers = JSON.stringify(rec.headers)
    switch (d.decision) {
      case 'deliver':
        if (spool) row = Number(this.sql.insertSpool.run(rec.messageId, 'adapter', d.deliverTo!, d.mpxn ?? null, rec.contentType, body, headers, now, now, null).lastInsertRowid)
        break
      case 'quarantine':
        this.sql.insertQuarantine.run(
          quarantineId, rec.messageId, now, d.reason, rec.detail ?? null, rec.kind, rec.recipientParty ?? null,
          d.mpxn ?? null, rec.contentType, body.byteLength, body, d.critical ? 1 : 0, rec.alertCode ?? null, now,
        )
        // A critical alert in quarantine has a clock (critical-quarantined obligation)
        if (rec.obligation !== undefined && d.critical) openQuarantinedObligation(this.db, rec.obligation, rec.messageId, quarantineId!, now)
        break
      case 'forward': {
        const o = rec.obligation
        if (o === undefined) throw new Error(`forward decision for ${rec.messageId} has no obligation`)
        this.sql.insertOriginal.run(rec.messageId, now, rec.contentType, body)
        insertObligation(this.db, o, rec.messageId, o.notice, null, now, false)
        recordObligationEvent(this.db, o.id, now, { status: 'open', level: 0, dueAt: o.dueAt, detail: d.reason }, 'gateway')
        if (spool) row = Number(this.sql.insertSpool.run(rec.messageId, 'notice', o.toParty, o.mpxn ?? null, 'application/json', noticeBody(o), headers, now, now, o.id).lastInsertRowid)
        break
      }
      case 'drop':
        // Metadata-only audit row; the payload is never written.
        break
    }
    return row
  }

  /**
   * A message's newest audit row: looked for in the receipt-time ranges given (cheap: the index is
   * in time order), then, if not there, by the ID's hash over the whole index (a time not known, or
   * the row received again by a release since).
   */
  protected messageRow(messageId: string, times: readonly (readonly [number, number])[] = []): MessageRow | undefined {
    const h = hash52(messageId)
    for (const [from, to] of times) {
      const row = this.sql.messageBetween.get(from, to, h, messageId) as MessageRow | undefined
      if (row !== undefined) return row
    }
    return this.sql.messageAnyTime.get(h, messageId) as MessageRow | undefined
  }

  /** A message's decision as its audit row holds it now, answered as a duplicate; undefined if none (`times`: messageRow). */
  protected recordedOutcome(messageId: string, times?: readonly (readonly [number, number])[]): CommitOutcome | undefined {
    const row = this.messageRow(messageId, times)
    if (row === undefined) return undefined
    return {
      messageId, decision: row.decision, reason: row.reason, duplicate: true,
      ...(row.quarantineId !== null && { quarantineId: row.quarantineId }),
      ...(row.obligationId !== null && { obligationId: row.obligationId }),
    }
  }

  /**
   * Replaces a quarantined message's decision (operator release, re-evaluated against the current
   * index): the quarantine row and its bytes go, the new decision's effects are written, and the
   * action is audited, all in one transaction.
   */
  releaseQuarantined(quarantineId: string, rec: AcceptedRecord, actor: string): Promise<CommitOutcome> {
    return this.queue.run(() => {
      if (rec.decision.decision === 'quarantine') throw new Error('a release cannot quarantine again')
      const held = this.db.prepare('DELETE FROM quarantine WHERE id = ? RETURNING message_received_at AS at').get(quarantineId) as { at: number | null } | undefined
      if (held === undefined) throw notFound(`no quarantined message ${quarantineId}`)
      closeQuarantinedObligation(this.db, quarantineId, rec.receivedAt, actor, `released: ${rec.decision.decision}/${rec.decision.reason}`)
      // the audit row's receipt time, kept on the quarantine row (migrations.ts, 12); a row from before it: the search by hash
      const old = this.messageRow(rec.messageId, receivedAt(held.at))
      if (old !== undefined) this.sql.deleteMessage.run(old.id)
      const obligationId = rec.decision.decision === 'forward' ? (rec.obligation?.id ?? null) : null
      this.sql.insertMessage.run(messageValues(rec, null, obligationId))
      this.#writeEffects(rec, null)
      this.audit(actor, 'quarantine.release', quarantineId, `${rec.decision.decision}/${rec.decision.reason}`)
      const d = rec.decision
      return { messageId: rec.messageId, decision: d.decision, reason: d.reason, duplicate: false, ...(obligationId !== null && { obligationId }) }
    })
  }

  /**
   * Deletes a quarantined message and its bytes (secure_delete overwrites them). A critical one
   * whose obligation is open needs a reason, which closes the obligation (docs/obligations.md).
   */
  deleteQuarantined(id: string, actor: string, reason?: string): Promise<boolean> {
    return this.queue.run(() => {
      if (openQuarantinedObligationId(this.db, id) !== undefined) {
        if (!reason) throw reasonRequired(id)
        closeQuarantinedObligation(this.db, id, this.clock.now(), actor, `deleted: ${reason}`)
      }
      const gone = this.db.prepare('DELETE FROM quarantine WHERE id = ?').run(id).changes > 0
      if (gone) this.audit(actor, 'quarantine.delete', id, reason ?? null)
      return gone
    })
  }

  /** Purges quarantined messages received before `olderThan`; returns how many. */
  purgeQuarantine(olderThan: number, actor: string): Promise<number> {
    return this.queue.run(() => {
      // never a critical alert whose obligation is still open (docs/obligations.md)
      const n = this.db.prepare(`DELETE FROM quarantine WHERE received_at < ? AND ${NOT_HELD}`).run(olderThan).changes
      if (n > 0) this.audit(actor, 'quarantine.purge', null, `${n} older than ${new Date(olderThan).toISOString()}`)
      return n
    })
  }

  /** Purges the oldest quarantined messages until at most `maxBytes` remain (store.quarantineMaxBytes). */
  purgeQuarantineOverSize(maxBytes: number, actor: string): Promise<number> {
    return this.queue.run(() => {
      const n = this.db.prepare(
        `DELETE FROM quarantine WHERE id IN (
           SELECT id FROM (SELECT id, SUM(size) OVER (ORDER BY received_at DESC, id DESC) AS kept FROM quarantine WHERE ${NOT_HELD})
           WHERE kept > ?)`,
      ).run(maxBytes).changes
      if (n > 0) this.audit(actor, 'quarantine.purge', null, `${n} oldest over ${maxBytes} bytes`)
      return n
    })
  }

  acknowledgeObligation(id: string, actor: string, now: number): Promise<'ok' | 'not-found' | 'already'> {
    return this.queue.run(() => {
      const row = this.db.prepare('SELECT status FROM obligations WHERE id = ?').get(id) as { status: string } | undefined
      if (row === undefined) return 'not-found'
      if (DONE_STATUSES.includes(row.status as never)) return 'already'
      this.db.prepare("UPDATE obligations SET status = 'acknowledged', acked_at = ?, acked_by = ? WHERE id = ?").run(now, actor, id)
      const cur = this.db.prepare('SELECT level, due_at AS dueAt FROM obligations WHERE id = ?').get(id) as { level: number; dueAt: number }
      recordObligationEvent(this.db, id, now, { status: 'acknowledged', level: cur.level, dueAt: cur.dueAt, detail: `was ${row.status}` }, actor)
      this.audit(actor, 'obligation.ack', id, null)
      return 'ok'
    })
  }

  /** "Not the supplier": ends the obligation as redirected, opening the onward one when a party was named. */
  redirectObligation(id: string, actor: string, detail: string, onward: ObligationDraft | undefined, now: number): Promise<'ok' | 'not-found' | 'already'> {
    return this.queue.run(() => {
      const r = redirectObligation(this.db, id, now, actor, detail, onward)
      if (r === 'ok') this.audit(actor, 'obligation.redirect', id, onward?.toParty ?? null)
      return r
    })
  }

  /** Scheduler transitions (overdue, escalated), with their events and notices; returns the ids changed. */
  applyObligationTransitions(list: readonly ObligationTransition[], now: number, actor: string): Promise<string[]> {
    return this.queue.run(() => applyObligationTransitions(this.db, list, now, actor))
  }

  /** Obligations the scheduler must look at now (queries.ts dueObligations). */
  async dueObligations(now: number): Promise<ObligationRow[]> {
    return dueObligations(this.db, now)
  }

  /** Obligations that no message opened (install-code on a registry reload); returns the ids opened. */
  openObligations(drafts: readonly ObligationDraft[], now: number, actor: string): Promise<string[]> {
    return this.queue.run(() => openObligations(this.db, drafts, now, actor))
  }

  // Read side (admin API, CLI): the queries in queries.ts on this connection.

  async listQuarantine(f: QuarantineFilter): Promise<{ items: QuarantineRow[]; nextCursor: string | null }> {
    return listQuarantine(this.db, f)
  }

  async getQuarantine(id: string): Promise<QuarantineRow | undefined> {
    return getQuarantine(this.db, id)
  }

  async getQuarantineBody(id: string): Promise<Buffer | undefined> {
    return getQuarantineBody(this.db, id)
  }

  async quarantineCounts(): Promise<{ reason: string; n: number }[]> {
    return quarantineCounts(this.db)
  }

  async listObligations(status: ObligationListStatus, now: number): Promise<ObligationRow[]> {
    return listObligations(this.db, status, now)
  }

  async getObligation(id: string): Promise<ObligationRow | undefined> {
    return getObligation(this.db, id)
  }

  async obligationEvents(id: string): Promise<ObligationEventRow[]> {
    return obligationEvents(this.db, id)
  }

  async obligationCounts(now: number): Promise<{ type: string; status: ObligationStatus; n: number }[]> {
    return obligationCounts(this.db, now)
  }

  async listAudit(f: AuditFilter): Promise<AuditRow[]> {
    return listAudit(this.db, f)
  }

  async staleCosRows(since?: number): Promise<StaleCosRow[]> {
    return staleCosRows(this.db, since)
  }

  async credentialsUpdatedTimes(mpxns: readonly string[]): Promise<Map<string, number[]>> {
    return credentialsUpdatedTimes(this.db, mpxns)
  }

  // The operator console's reads (console-queries.ts).

  async decisionsPerMinute(from: number, to: number): Promise<DecisionMinute[]> {
    return consoleQueries.decisionsPerMinute(this.db, from, to)
  }

  async quarantineByReason(): Promise<QuarantineReasonCount[]> {
    return consoleQueries.quarantineByReason(this.db)
  }

  async countQuarantineByReason(reason: string): Promise<number> {
    return consoleQueries.countQuarantineByReason(this.db, reason)
  }

  async quarantineIdsByReason(reason: string, limit: number): Promise<string[]> {
    return consoleQueries.quarantineIdsByReason(this.db, reason, limit)
  }

  async auditPage(f: AuditPageFilter): Promise<{ items: AuditEntry[]; nextBefore: number | null }> {
    return consoleQueries.auditPage(this.db, f)
  }

  async auditActions(): Promise<string[]> {
    return consoleQueries.auditActions(this.db)
  }

  /** An admin action the store does not audit itself (registry reload), durable when it resolves. */
  writeAudit(actor: string, action: string, target: string | null, detail: string | null): Promise<void> {
    return this.queue.run(() => this.audit(actor, action, target, detail))
  }

  /** Who did what (admin API, CLI). Call inside a queued operation or on its own. */
  audit(actor: string, action: string, target: string | null, detail: string | null): void {
    this.db.prepare('INSERT INTO admin_audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)').run(this.clock.now(), actor, action, target, detail)
  }

  /** Spool items due now, oldest first. */
  dueSpool(now: number, limit: number, blocked: readonly string[] = []): SpoolItem[] {
    const rows = this.sql.dueSpool.all(now, limit, { blocked: JSON.stringify(blocked) }) as (Omit<SpoolItem, 'headers'> & { headers: string })[]
    return rows.map((r) => ({ ...r, headers: JSON.parse(r.headers) as Record<string, string> }))
  }

  nextDueAt(_now: number, blocked: readonly string[] = []): number | null {
    return (this.sql.nextDue.get({ blocked: JSON.stringify(blocked) }) as { at: number | null }).at
  }

  /** Undelivered deliveries in all: count, bytes and the oldest's creation time (spool bounds). */
  spoolBounds(): { n: number; bytes: number; oldest: number | null } {
    return this.sql.spoolBounds.get() as { n: number; bytes: number; oldest: number | null }
  }

  waitingDeliveries(): Map<string, number> {
    return new Map((this.sql.spoolWaiting.all() as { k: string; n: number }[]).map((r) => [r.k, r.n]))
  }

  spoolDepth(): { target: string; n: number; oldest: number }[] {
    return this.sql.spoolDepth.all() as { target: string; n: number; oldest: number }[]
  }

  /** Delivered: the spool row goes, and a notice marks its obligation notified. */
  completeDelivery(item: SpoolItem, now: number): Promise<void> {
    return this.queue.run(() => this.applyDelivered(item.id, item.obligationId, now))
  }

  /** A delivery reached its target: its spool row (if it has one) goes, its obligation is notified (also the projection's). */
  applyDelivered(row: number | null, obligationId: string | null, now: number): void {
    if (row !== null) this.sql.deleteSpool.run(row)
    if (obligationId !== null) markObligationNotified(this.db, obligationId, now)
  }

  scheduleRetry(item: SpoolItem, at: number, error: string): Promise<void> {
    return this.queue.run(() => void this.sql.retrySpool.run(at, error.slice(0, 500), item.id))
  }

  /**
   * The adapter refused the message (4xx): it moves to quarantine as `adapter-rejected`. The
   * gateway re-reads a critical alert's bytes and passes `critical` with its obligation (docs/obligations.md).
   */
  rejectDelivery(item: SpoolItem, detail: string, now: number, critical?: { obligation?: ObligationDraft }): Promise<string> {
    return this.queue.run(() => {
      const id = newId()
      this.applyRejected(item, id, detail, now, item.id, critical)
      return id
    })
  }

  /** A delivery the target refused: its spool row (if any) goes, its bytes are quarantined as `adapter-rejected` (also the projection's). */
  applyRejected(
    item: Pick<SpoolItem, 'messageId' | 'party' | 'mpxn' | 'contentType' | 'body'> & { createdAt?: number }, id: string, detail: string, now: number, row: number | null,
    critical?: { obligation?: ObligationDraft },
  ): void {
    if (row !== null) this.sql.deleteSpool.run(row)
    // a delivery is created at its message's receipt (a notice written later is found by the hash)
    const message = this.messageRow(item.messageId, receivedAt(item.createdAt))
    this.sql.insertQuarantine.run(
      id, item.messageId, now, 'adapter-rejected', detail.slice(0, 500), null, item.party, item.mpxn,
      item.contentType, item.body.byteLength, item.body, critical ? 1 : 0, message?.alertCode ?? null, message?.receivedAt ?? null,
    )
    // A refused critical alert is quarantined with its clock
    if (critical?.obligation !== undefined) openQuarantinedObligation(this.db, critical.obligation, item.messageId, id, now)
    if (message !== undefined) this.sql.rejectMessage.run('adapter-rejected', id, message.id)
  }

  /** Forget message IDs (and their audit rows) older than the retention. */
  purgeMessages(olderThan: number): Promise<number> {
    return this.queue.run(() => this.sql.purgeMessages.run(olderThan).changes)
  }

  /** Forget the kept originals of forwarded critical alerts received before `olderThan`. */
  purgeOriginals(olderThan: number): Promise<number> {
    return this.queue.run(() => this.db.prepare('DELETE FROM originals WHERE received_at < ?').run(olderThan).changes)
  }

  /**
   * Caps gateway.db at `pages` pages on every connection that writes it (SQLite `max_page_count`):
   * past it a write fails with SQLITE_FULL exactly as on a full disk (tests).
   */
  async limitPages(pages: number): Promise<void> {
    this.db.pragma(`max_page_count = ${pages}`)
  }

  /** lock conflicts the commit queue met and retried (commit-queue.ts, LOCK_RETRIES) */
  lockRetries(): number {
    return this.queue.lockRetries
  }

  /** no journal: the plain store (the CLI, tests) */
  journalStats(): { bytes: number; segments: number; projectionLagRecords: number } | undefined {
    return undefined
  }

  /** Flushes the last group commit and closes; the checkpointer (if any) stops after. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.queue.flush()
    this.#closed = true
    this.db.close()
    return this.#checkpointer.stop()
  }
}

/** The notice a forward decision sends to the acquiring party (metadata, never the GBCS payload). */
export function noticeBody(o: ObligationDraft): Buffer {
  return Buffer.from(JSON.stringify({ ...o.notice, text: o.text }))
}
