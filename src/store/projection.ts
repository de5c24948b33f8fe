import { randomUUID } from 'node:crypto'
import type { Statement } from 'better-sqlite3'
import { isIoError } from './commit-queue.js'
import { decodeFact } from './journal-record.js'
import { applyObligationTransitions } from './obligation-writes.js'
import { dueObligations } from './queries.js'
import type { SqliteStore } from './sqlite-store.js'
import type { ObligationRow, ObligationTransition } from './types.js'

/** A durable journal record the projection has not applied yet: its sequence number and its bytes as appended. */
export interface ProjectionRecord {
  seq: number
  bytes: Buffer
}

/** What one applied batch tells the journaled store (docs/journal.md, "The projection"). */
export interface ProjectionResult {
  /** the position stored with the rows: the batch's last sequence number */
  last: number
  /** `[seq, spool row id]` pairs, flat: the deliveries written as spool rows (`#readBack`, the memory cap) */
  rows: number[]
  /** records the tables refused (a bug, not the disk): skipped so the projection goes on */
  refused: { seq: number; message: string }[]
  /** spool rows written beside the journal's (below, `SideRows`), handed to the memory queues */
  side: SpoolRow[]
}

/** A spool row as SQLite holds it. */
export interface SpoolRow {
  id: number
  message_id: string
  target: string
  party: string
  mpxn: string | null
  content_type: string
  body: Buffer
  headers: string
  attempts: number
  next_attempt_at: number
  created_at: number
  obligation_id: string | null
  journal_seq: number | null
}

/**
 * `spool.journal_seq` of a row the projection wrote for no journal record of its own (the notice of
 * a critical-quarantined obligation, an obligation transition's notice) and handed to the main
 * thread in its answer. The main thread's poll takes only untagged rows (NULL: another process's,
 * the CLI's), and tags them 0; rows the projection wrote for an `accepted` record carry its seq.
 */
export const HANDED_OVER = -1

/** The rows a projection transaction wrote outside the journal, tagged as handed over in that same transaction. */
class SideRows {
  readonly #untagged: Statement
  readonly #tag: Statement

  constructor(store: SqliteStore) {
    this.#untagged = store.db.prepare('SELECT * FROM spool WHERE journal_seq IS NULL ORDER BY id')
    this.#tag = store.db.prepare(`UPDATE spool SET journal_seq = ${HANDED_OVER} WHERE journal_seq IS NULL`)
  }

  take(): SpoolRow[] {
    const rows = this.#untagged.all() as SpoolRow[]
    if (rows.length > 0) this.#tag.run()
    return rows
  }
}

/** the space probe's body: larger than a page, so the file must grow to hold it */
const GROW_PROBE = Buffer.alloc(16_384)
const ROLLED_BACK = Symbol('rolled back')

/**
 * Applies journal records to the SQLite tables through the plain store's own write code
 * (`applyDecision`, `applyDelivered`, `applyRejected`), one transaction per batch together with the
 * journal position. The one code path for it: the projection worker runs it on its own connection
 * (projection-worker.ts), the journaled store on the main connection for recovery at open and when
 * the compiled worker is absent (running from source).
 */
export class Projection {
  readonly #store: SqliteStore
  readonly #synchronous: 'FULL' | 'NORMAL'
  /** accepted seq -> the spool row the projection wrote for it, until its delivery is done */
  readonly #rowOfSeq = new Map<number, number>()
  readonly #position: Statement
  readonly #tagRow: Statement
  readonly #side: SideRows
  /** the position committed with the rows */
  #at: number

  constructor(store: SqliteStore, synchronous: 'FULL' | 'NORMAL') {
    this.#store = store
    this.#synchronous = synchronous
    const db = store.db
    this.#position = db.prepare('UPDATE journal_position SET seq = ? WHERE id = 1')
    this.#tagRow = db.prepare('UPDATE spool SET journal_seq = ? WHERE id = ?')
    this.#side = new SideRows(store)
    this.#at = db.prepare('SELECT seq FROM journal_position WHERE id = 1').pluck().get() as number
    // A delivered/rejected record may name its delivery by sequence number only (the 2xx came
    // before its decision was projected, possibly by an earlier process): the rows the projection
    // wrote are known by their record's sequence number.
    for (const [row, seq] of db.prepare('SELECT id, journal_seq FROM spool WHERE journal_seq > 0').raw().iterate() as IterableIterator<[number, number]>) {
      this.#rowOfSeq.set(seq, row)
    }
  }

  /** the position stored with the projection's rows */
  position(): number {
    return this.#at
  }

  /** Stores `seq` as the position in a durable (FULL) transaction of its own. */
  commitPosition(seq: number): void {
    this.#commit(true, () => this.#position.run(seq))
    this.#at = seq
  }

  /**
   * One transaction: every record of the batch and the new position, or nothing (then it throws,
   * and nothing here changed). Not `durable`: committed with synchronous NORMAL, whatever
   * store.synchronous says. The journal holds every record durably, so a power cut that takes the
   * last projection transactions takes their position with them (same transaction) and the next
   * start applies those records again. The journal may be told the projection passed a record only
   * after a durable (FULL) commit. Records at or before the stored position are skipped (a batch
   * sent again after its answer was lost with a worker that died), so each applies once.
   */
  apply(batch: readonly ProjectionRecord[], durable: boolean): ProjectionResult {
    const records = batch.filter((r) => r.seq > this.#at).map((r) => ({ seq: r.seq, ...decodeFact(r.bytes) }))
    if (records.length === 0) return { last: this.#at, rows: [], refused: [], side: [] }
    // deliveries settled within this batch are never written as spool rows
    const settled = new Set<number>()
    for (const { fact } of records) if ((fact.t === 'delivered' || fact.t === 'rejected') && fact.ref.seq !== null && fact.ref.row === null) settled.add(fact.ref.seq)
    const rows: number[] = []
    const done: number[] = []
    const refused: ProjectionResult['refused'] = []
    let side: SpoolRow[] = []
    const last = records[records.length - 1]!.seq
    const s = this.#store
    this.#commit(durable, () => {
      for (const { seq, fact: f, body } of records) {
        switch (f.t) {
          case 'accepted':
            try {
              const r = s.applyDecision({ ...f.rec, body }, f.quarantineId, f.obligationId, !settled.has(seq))
              if (r.row !== null) {
                this.#tagRow.run(seq, r.row)
                rows.push(seq, r.row)
              }
            } catch (err) {
              // a record the tables refuse (a bug, not the disk) must not stop the projection for good
              if (isIoError(err)) throw err
              refused.push({ seq, message: (err as Error).message })
            }
            break
          case 'delivered':
            s.applyDelivered(this.#rowOf(f.ref), f.obligationId, f.at)
            if (f.ref.seq !== null) done.push(f.ref.seq)
            break
          case 'rejected':
            s.applyRejected(
              { messageId: f.messageId, party: f.party, mpxn: f.mpxn, contentType: f.contentType, body, ...(f.createdAt !== undefined && { createdAt: f.createdAt }) },
              f.quarantineId, f.detail, f.at,
              this.#rowOf(f.ref), f.critical,
            )
            if (f.ref.seq !== null) done.push(f.ref.seq)
            break
          case 'malformed':
            s.applyMalformed({ ...f.rec, body }, f.quarantineId)
            break
        }
      }
      side = this.#side.take()
      this.#position.run(last)
    })
    // committed: only now do the position and the map follow the rows
    this.#at = last
    for (let i = 0; i < rows.length; i += 2) this.#rowOfSeq.set(rows[i]!, rows[i + 1]!)
    for (const seq of done) this.#rowOfSeq.delete(seq)
    return { last, rows, refused, side }
  }

  #rowOf(ref: { seq: number | null; row: number | null }): number | null {
    return ref.row ?? (ref.seq === null ? null : this.#rowOfSeq.get(ref.seq) ?? null)
  }

  /** Whether the SQLite file can grow now: a quarantine-sized insert, always rolled back. */
  canGrow(): boolean {
    const s = this.#store
    try {
      s.db.transaction(() => {
        s.sql.insertQuarantine.run(randomUUID(), null, 0, 'malformed', 'space probe', 'invalid', null, null, 'application/xml', GROW_PROBE.byteLength, GROW_PROBE, 0, null, null)
        throw ROLLED_BACK
      }).immediate()
    } catch (err) {
      if (err === ROLLED_BACK) return true
      if (isIoError(err)) return false
      throw err
    }
    return true
  }

  /**
   * The obligation timer's reads and writes (queries.ts dueObligations, obligation-writes.ts) on
   * the projection's connection: where the projection runs in its worker thread, the timer's
   * SQL and the fsync of its commit stay off the event loop. A late alert's check runs every second
   * under a stream of late alerts, and on the main connection it held the answers arriving
   * meanwhile (docs/performance.md, "Where the slow answers waited"). Committed at the store's
   * configured synchronous, as the main connection would.
   */
  obligationTransitions(list: readonly ObligationTransition[], now: number, actor: string): { ids: string[]; side: SpoolRow[] } {
    let ids: string[] = []
    let side: SpoolRow[] = []
    this.#commit(this.#synchronous === 'FULL', () => {
      ids = applyObligationTransitions(this.#store.db, list, now, actor)
      side = this.#side.take()
    })
    return { ids, side }
  }

  /** Obligations the timer must look at now (queries.ts dueObligations). */
  dueObligations(now: number): ObligationRow[] {
    return dueObligations(this.#store.db, now)
  }

  /** One write transaction (BEGIN IMMEDIATE: another connection may be writing), committed with synchronous FULL (`durable`) or NORMAL. */
  #commit(durable: boolean, fn: () => void): void {
    const db = this.#store.db
    const mode = durable ? 'FULL' : 'NORMAL'
    if (mode !== this.#synchronous) db.pragma(`synchronous = ${mode}`)
    try {
      db.transaction(fn).immediate()
    } finally {
      if (mode !== this.#synchronous) db.pragma(`synchronous = ${this.#synchronous}`)
    }
  }
}
