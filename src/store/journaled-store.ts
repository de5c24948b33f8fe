import { join } from 'node:path'
import { newId } from '../ids/index.js'
import { Journal } from './journal/index.js'
import type { JournalFs } from './journal/index.js'
import { decodeFact, encodeFact, withoutBody } from './journal-record.js'
import type { DeliveryRef, JournalFact } from './journal-record.js'
import { DedupeMemory } from './dedupe-memory.js'
import type { Seen } from './dedupe-memory.js'
import { MemorySpool } from './memory-spool.js'
import { pageCacheKiB } from './page-cache.js'
import { HANDED_OVER, Projection } from './projection.js'
import type { ProjectionRecord, SpoolRow } from './projection.js'
import { ProjectionThread, startProjector } from './projection-thread.js'
import type { Applied, Projector } from './projection-thread.js'
import type { ObligationEventRow, QuarantineFilter, StaleCosRow } from './queries.js'
import type { AuditEntry, AuditPageFilter, DecisionMinute, QuarantineReasonCount } from './console-queries.js'
import { SqliteStore, noticeBody } from './sqlite-store.js'
import type { StoreOptions } from './sqlite-store.js'
import { storeUnavailable } from './store-error.js'
import { LOCK_RETRY_MS, LockConflicts, isLockConflict } from './commit-queue.js'
import type {
  AcceptedRecord, AuditFilter, AuditRow, CommitOutcome, MalformedRecord, ObligationDraft, ObligationListStatus, ObligationRow, ObligationStatus,
  ObligationTransition, QuarantineRow, SpoolItem, StoreHooks,
} from './types.js'

export interface JournaledStoreOptions extends StoreOptions {
  /** journal segment size (default 64 MiB) and, for tests, the file operations */
  journal?: { segmentBytes?: number; fs?: JournalFs }
  /** under load, at most one projection transaction per this many ms (default 100) */
  projectIntervalMs?: number
  /** a projection transaction starts at once when this many records wait (default 4096) */
  projectBatch?: number
  /**
   * dedupe.window: how long the dedupe memory keeps a message, counted back from the newest
   * receivedAt seen (default 7 days). The audit rows stay for store.auditRetentionDays; memory
   * holds only the window (docs/http.md, "Message identity": duplicates recognised for at least the window).
   */
  dedupeWindowMs?: number
  /** the newest messages the dedupe memory keeps whole (default 65,536); older ones as hashes */
  dedupeRecent?: number
  /**
   * bodies of waiting deliveries kept in memory (default 64 MiB); past it, the bodies of deliveries
   * the projection holds are dropped from memory and read back when their turn comes
   */
  spoolMemoryBytes?: number
  /** the projection worker's module (tests); default the compiled projection-worker.js beside this module */
  projectionWorker?: URL
}

const SIDE_POLL_MS = 250
/** tries of the last projection batch at a clean stop (each may wait busy_timeout for SQLite's lock) */
const CLOSE_ATTEMPTS = 3

/**
 * The embedded store with the durable journal on the hot path (docs/journal.md):
 *
 * - accepting a message is one journal append of one record (decision, reason, ids, and the body
 *   only for deliver, forward and quarantine); the commit settles after the fdatasync covering it;
 * - dedupe is answered from memory (loaded from the projection and the journal tail at open), and
 *   a repeat that arrives while the first copy is still syncing waits for it;
 * - deliveries are queued in memory per target, party and MPxN (memory-spool.ts); a 2xx appends a
 *   `delivered` record without waiting for its sync (a crash repeats the delivery, same key);
 * - SQLite (the SqliteStore this extends) is the projection: batches of journal records applied in
 *   one transaction with the journal position by a worker thread on its own connection
 *   (projection-worker.ts), through the same write code as the plain store (projection.ts). Reads
 *   wait for the worker to apply every record before them, so admin views see every write already
 *   acknowledged. Operator writes (release, delete, acknowledge, purge, obligation timer) stay
 *   SQLite transactions on the main connection, taken between the worker's; a spool row they write
 *   (a notice, a released delivery, a CLI release from another process) is picked up into memory.
 */
export class JournaledStore extends SqliteStore {
  readonly journal: Journal
  readonly #spool = new MemorySpool()
  /** local item id -> where the delivery lives */
  readonly #refs = new Map<number, DeliveryRef>()
  /** accepted seq -> local item id, while the item waits */
  readonly #itemOfSeq = new Map<number, number>()
  /** messageId -> its outcome, in arrival order (so the oldest are at the front for pruning) */
  readonly #dedupe: DedupeMemory
  readonly #dedupeWindowMs: number
  /** durable records not yet handed to the projection, as appended */
  #pending: ProjectionRecord[] = []
  /** the position the projection has committed */
  #projected = 0
  /** the last record handed to the projection */
  #postedThrough = 0
  /** the worker thread (or, from source, the main connection) that applies the records */
  #projector: Projector | undefined
  /** the projection request in flight (one at a time): settles once its answer has been handled */
  #inflight: Promise<void> | undefined
  #projectTimer: NodeJS.Timeout | undefined
  #projectImmediate: NodeJS.Immediate | undefined
  #lastProjectAt = -Infinity
  #projectionError: unknown
  /** the projection's batches that meet a lock conflict (commit-queue.ts, LOCK_RETRIES) */
  readonly #projectionLocks = new LockConflicts()
  /** at close: why the last batch was not applied (undefined: it was) */
  #lastFailure: Error | undefined
  /** the projector is being stopped for good: a dead one is not replaced */
  #projectorStopping = false
  #sidePolledAt = -Infinity
  #retiring = false
  #hooks: StoreHooks = {}
  /** delivered/rejected records appended and not yet synced (reads wait for these, not for later ones) */
  readonly #settling = new Set<Promise<number>>()
  #stopped = false
  readonly #intervalMs: number
  readonly #memoryCap: number
  /** body bytes of waiting deliveries held in memory */
  #resident = 0
  /** items whose body was dropped from memory (read back from their spool row) */
  readonly #released = new Set<number>()
  readonly #batch: number
  readonly #synchronous: 'FULL' | 'NORMAL'
  readonly #path: string
  readonly #worker: URL | undefined

  private constructor(opts: JournaledStoreOptions) {
    super(opts)
    this.journal = new Journal({ dir: join(opts.path, 'journal'), ...opts.journal })
    this.#intervalMs = opts.projectIntervalMs ?? 100
    this.#batch = opts.projectBatch ?? 4096
    this.#synchronous = opts.synchronous
    this.#memoryCap = opts.spoolMemoryBytes ?? 64 * 2 ** 20
    this.#dedupeWindowMs = opts.dedupeWindowMs ?? 7 * 86_400_000
    this.#dedupe = new DedupeMemory(this.#dedupeWindowMs, opts.dedupeRecent)
    this.#path = opts.path
    this.#worker = opts.projectionWorker
    // A write through the group-commit queue (a 422's raw bytes, operator actions) that fails for
    // space means the projection cannot write either: ingress answers 503 from then on.
    this.queue.onIoError = (err) => this.#cannotWrite(err, 'SQLite write failed; ingress answers 503 until it can write again')
    // two writers of gateway.db: the queue's transactions go between the projection worker's
    this.queue.writerBusy = () => this.#inflight
  }

  /**
   * Opens the journal (recovery), applies its tail to the projection, and loads the dedupe memory
   * and the waiting deliveries. The gateway listens (and /readyz turns 200) only after this.
   */
  static async open(opts: JournaledStoreOptions): Promise<JournaledStore> {
    const store = new JournaledStore(opts)
    try {
      await store.#start()
    } catch (err) {
      await store.journal.close().catch(() => undefined)
      await store.#projector?.stop()
      await SqliteStore.prototype.close.call(store)
      throw err
    }
    return store
  }

  async #start(): Promise<void> {
    await this.journal.open()
    const projection = new Projection(this, this.#synchronous)
    this.#projected = projection.position()
    const durable = this.journal.durableSeq
    if (this.#projected > durable) {
      // The journal directory was removed or replaced: everything up to the old position is in
      // SQLite; the new journal numbers from where it stands.
      this.#hooks.onError?.(new Error(`projection at ${this.#projected}, journal ends at ${durable}`), 'journal restarted')
      this.#projected = durable
      projection.commitPosition(durable)
    }
    // Recovery before readiness, on this thread: the records the projection had not committed when
    // the last process stopped (a kill between journal and projection) are applied now, once each.
    // A delivered/rejected record among them may name its delivery by sequence number only (the 2xx
    // came before the last process projected the decision): the projection knows the rows it wrote
    // by their record's sequence number (projection.ts), so the record finds its row.
    let batch: ProjectionRecord[] = []
    const recover = () => {
      const r = projection.apply(batch, true)
      this.#projected = r.last
      for (const x of r.refused) this.#hooks.onError?.(new Error(x.message), `journal record ${x.seq} not projected`)
      batch = []
    }
    for await (const r of this.journal.records(this.#projected + 1)) {
      batch.push({ seq: r.seq, bytes: r.body })
      if (batch.length >= this.#batch) recover()
    }
    if (batch.length > 0) recover()
    this.#postedThrough = this.#projected
    if (this.#projected > 0) {
      // The position read may come from a NORMAL commit of the last process, still only in the
      // page cache after a kill: one durable commit covers it (the WAL fsync flushes the whole
      // file) before the journal may retire anything on its account.
      projection.commitPosition(this.#projected)
      this.journal.projectedThrough(this.#projected)
    }
    // dedupe memory: the messages of the last dedupe window the projection knows (all of them now),
    // as the 52-bit hashes their audit rows keep: no ID is read or hashed, no outcome object made.
    // A repeat of one of them is answered from its audit row ('maybe', then the row: the decision
    // as it stands now), as a repeat past the recent part always is. Loading the newest 65,536 whole
    // took ~250 ms of a restart's ~2.3 s on a soak's store (docs/operations.md, "Restarts"); after a
    // kill only the few messages whose answer the kill cut off come again.
    const newest = (this.db.prepare('SELECT MAX(received_at) FROM messages').pluck().get() as number | null) ?? -Infinity
    this.#dedupe.load(
      this.db.prepare('SELECT id_hash, received_at FROM messages WHERE received_at >= ? ORDER BY received_at').raw().iterate(newest - this.#dedupeWindowMs) as IterableIterator<[number, number]>,
    )
    // waiting deliveries: every spool row, in arrival order
    this.#loadSpoolRows(true)
    this.#shedBodies()
    // from here on the projection runs in its worker thread (from source: on this connection)
    this.#projector = startProjector(this, this.#path, this.#synchronous, () => projection, this.#worker)
    await this.#retire()
  }

  override get open(): boolean {
    return !this.#stopped && super.open
  }

  /** appends waiting for their group's fdatasync (ingress backpressure, store.maxQueueDepth) */
  override get backlog(): number {
    return this.journal.stats().queued
  }

  override setHooks(hooks: StoreHooks): void {
    super.setHooks(hooks)
    this.#hooks = hooks
  }

  override journalStats(): { bytes: number; segments: number; projectionLagRecords: number } {
    const s = this.journal.stats()
    return { bytes: s.bytes, segments: s.segments, projectionLagRecords: s.durableSeq - this.#projected }
  }

  /** the main connection's retried lock conflicts and the projection's */
  override lockRetries(): number {
    return super.lockRetries() + this.#projectionLocks.retried
  }

  /** whether the projection runs in its worker thread (tests) */
  get projectionThreaded(): boolean {
    return this.#projector?.threaded ?? false
  }

  /** the page cache of the projection's connection in KiB: the worker's, or this one's from source (tests) */
  projectionPageCacheKiB(): Promise<number> {
    if (this.#projector instanceof ProjectionThread) return this.#projector.pageCacheKiB()
    return Promise.resolve(pageCacheKiB(this.db))
  }

  /** messages the dedupe memory holds (tests) */
  dedupeEntries(): number {
    return this.#dedupe.size
  }

  /** of those, the ones kept whole (tests: a start loads none whole) */
  dedupeWholeEntries(): number {
    return this.#dedupe.wholeCount
  }

  /** body bytes of waiting deliveries in memory, and how many were dropped over the cap (tests) */
  spoolMemory(): { resident: number; released: number } {
    return { resident: this.#resident, released: this.#released.size }
  }

  // ---- the hot path -------------------------------------------------------------------------

  override commitAccepted(rec: AcceptedRecord): Promise<CommitOutcome> {
    // Backpressure from the projection: past a full batch of records not yet in SQLite, a new
    // accept waits until the records before it are projected, then is admitted afresh (the
    // projection may have failed meanwhile; a copy may have come). Without it, traffic faster than
    // SQLite grew the backlog (and the bodies it holds in memory) without bound, and every read
    // waited for all of it.
    return this.#admit(() => this.#answer(rec))
  }

  /**
   * A 422's raw bytes: one `malformed` record, quarantined by the projection. Its quarantine ID is
   * answered once the record is durable; the event loop never waits for SQLite (the commit queue's
   * synchronous transaction and fsync did, a few ms each and longer behind the projection's lock).
   */
  override commitMalformed(rec: MalformedRecord): Promise<string> {
    return this.#admit(async () => {
      const quarantineId = newId()
      const { body, ...meta } = rec
      await this.#append({ t: 'malformed', rec: meta, quarantineId }, body)
      return quarantineId
    })
  }

  /** A write is admitted once the projection keeps up and SQLite can be written (each request tries again meanwhile, sharing the attempt in flight). */
  #admit<T>(write: () => Promise<T>): Promise<T> {
    if (this.#pending.length > this.#batch) return this.#caughtUp().then(() => this.#admitNow(write))
    return this.#admitNow(write)
  }

  #admitNow<T>(write: () => Promise<T>): Promise<T> {
    if (this.#projectionError !== undefined) {
      return this.#tryWrite().then((ok) =>
        ok ? write() : Promise.reject(storeUnavailable('the projection (SQLite) cannot be written; nothing was kept', this.#projectionError)),
      )
    }
    return write()
  }

  /** A repeat is answered from the dedupe memory; anything else is appended. */
  #answer(rec: AcceptedRecord): Promise<CommitOutcome> {
    const seen = this.#dedupe.get(rec.messageId)
    if (seen === 'maybe') return this.#maybeRepeat(rec)
    if (seen !== undefined) {
      return seen instanceof Promise ? seen.then((o) => ({ ...o, duplicate: true })) : Promise.resolve(outcomeOf(rec.messageId, seen, true))
    }
    return this.#accept(rec)
  }

  /**
   * Only the hashed part of the dedupe memory knows the ID: the audit row (the projection caught
   * up first) says whether it is a repeat and what its decision is now; a hash that two IDs share
   * finds no row, and the message is accepted as new (checked again: a copy may have come meanwhile).
   */
  async #maybeRepeat(rec: AcceptedRecord): Promise<CommitOutcome> {
    await this.#caughtUp()
    const recorded = this.recordedOutcome(rec.messageId, this.#dedupe.times(rec.messageId))
    if (recorded !== undefined) return recorded
    const seen = this.#dedupe.get(rec.messageId)
    if (seen !== undefined && seen !== 'maybe') return seen instanceof Promise ? seen.then((o) => ({ ...o, duplicate: true })) : outcomeOf(rec.messageId, seen, true)
    return this.#accept(rec)
  }

  #accept(rec: AcceptedRecord): Promise<CommitOutcome> {
    const d = rec.decision
    if (d.decision === 'forward' && rec.obligation === undefined) return Promise.reject(new Error(`forward decision for ${rec.messageId} has no obligation`))
    const quarantineId = d.decision === 'quarantine' ? newId() : null
    // a forward's obligation, or a quarantined critical alert's critical-quarantined one (docs/obligations.md)
    const obligationId = d.decision === 'forward' || (d.decision === 'quarantine' && d.critical) ? (rec.obligation?.id ?? null) : null
    const keep = d.decision !== 'drop'
    const fact: JournalFact = { t: 'accepted', rec: withoutBody(rec), quarantineId, obligationId }
    const bytes = encodeFact(fact, keep ? rec.body : undefined)
    const seenNow: Seen = { decision: d.decision, reason: d.reason, quarantineId, obligationId, receivedAt: rec.receivedAt }
    if (rec.receivedAt > this.#dedupe.newestAt) this.#dedupe.newestAt = rec.receivedAt
    this.#dedupe.forgetOld()
    const p = this.journal.append(bytes, { open: false, payload: keep }).then(
      (seq) => {
        this.#dedupe.set(rec.messageId, seenNow)
        this.#pending.push({ seq, bytes })
        const item = deliveryOf(rec, this.#spool.nextId())
        if (item !== undefined) {
          this.#spool.add(item)
          this.#resident += item.body.byteLength
          this.#refs.set(item.id, { seq, row: null })
          this.#itemOfSeq.set(seq, item.id)
        }
        this.#scheduleProjection()
        return outcomeOf(rec.messageId, seenNow, false)
      },
      (err: unknown) => {
        this.#dedupe.delete(rec.messageId)
        throw err
      },
    )
    this.#dedupe.set(rec.messageId, p)
    return p
  }

  // ---- delivery from memory -----------------------------------------------------------------

  override dueSpool(now: number, limit: number, blocked: readonly string[] = []): SpoolItem[] {
    this.#pollSide(false)
    const due = this.#spool.due(now, limit, blocked)
    for (const item of due) if (this.#released.has(item.id)) this.#readBack(item)
    return due
  }

  /** A body dropped over the memory cap comes back from its spool row when its turn comes. */
  #readBack(item: SpoolItem): void {
    const row = this.#refs.get(item.id)?.row
    const body = row == null ? undefined : (this.db.prepare('SELECT body FROM spool WHERE id = ?').pluck().get(row) as Buffer | undefined)
    if (body === undefined) return
    item.body = body
    this.#released.delete(item.id)
    this.#resident += body.byteLength
  }

  /** Over the cap, drop the bodies of deliveries the projection holds (oldest first) until under it. */
  #shedBodies(): void {
    if (this.#resident <= this.#memoryCap) return
    for (const item of this.#spool.values()) {
      if (this.#resident <= this.#memoryCap * 0.75) break
      if (this.#released.has(item.id) || this.#refs.get(item.id)?.row == null) continue
      this.#resident -= item.body.byteLength
      item.body = EMPTY
      this.#released.add(item.id)
    }
  }

  override nextDueAt(now: number, blocked: readonly string[] = []): number | null {
    return this.#spool.nextDueAt(now, blocked)
  }

  override spoolDepth(): { target: string; n: number; oldest: number }[] {
    return this.#spool.depth()
  }

  override spoolBounds(): { n: number; bytes: number; oldest: number | null } {
    return this.#spool.bounds()
  }

  override waitingDeliveries(): Map<string, number> {
    return this.#spool.waiting()
  }

  /** The slot is free at once; the `delivered` record rides the next group, not awaited. */
  override completeDelivery(item: SpoolItem, now: number): Promise<void> {
    const ref = this.#take(item)
    if (ref === undefined) return Promise.resolve()
    this.#append({ t: 'delivered', ref, obligationId: item.obligationId, at: now }).catch((err: unknown) =>
      this.#hooks.onError?.(err, 'delivered record not written; the delivery is repeated after a restart'),
    )
    return Promise.resolve()
  }

  /** Kept in memory: a restart retries at once (the target's Idempotency-Key absorbs it). */
  override scheduleRetry(item: SpoolItem, at: number, _error: string): Promise<void> {
    this.#spool.retryLater(item, at)
    return Promise.resolve()
  }

  /** Durable before it settles: the bytes move to quarantine with the `rejected` record. */
  override async rejectDelivery(item: SpoolItem, detail: string, now: number, critical?: { obligation?: ObligationDraft }): Promise<string> {
    const ref = this.#refs.get(item.id)
    if (ref === undefined) throw new Error(`delivery ${item.id} is not waiting`)
    if (this.#released.has(item.id)) this.#readBack(item)
    const quarantineId = newId()
    await this.#append(
      {
        t: 'rejected', ref: { ...ref }, quarantineId, detail: detail.slice(0, 500), at: now, messageId: item.messageId, createdAt: item.createdAt, party: item.party, mpxn: item.mpxn, contentType: item.contentType,
        ...(critical !== undefined && { critical }),
      },
      item.body,
    )
    this.#take(item)
    const seen = this.#dedupe.recent(item.messageId) // an older one is answered from its audit row
    if (seen !== undefined) Object.assign(seen, { decision: 'quarantine', reason: 'adapter-rejected', quarantineId })
    return quarantineId
  }

  #take(item: SpoolItem): DeliveryRef | undefined {
    const ref = this.#refs.get(item.id)
    if (ref === undefined) return undefined
    this.#spool.remove(item.id)
    if (!this.#released.delete(item.id)) this.#resident -= item.body.byteLength
    this.#refs.delete(item.id)
    if (ref.seq !== null) this.#itemOfSeq.delete(ref.seq)
    return ref
  }

  #append(fact: JournalFact, body?: Uint8Array): Promise<number> {
    const bytes = encodeFact(fact, body)
    const p = this.journal.append(bytes, { open: false, payload: body !== undefined }).then((seq) => {
      this.#pending.push({ seq, bytes })
      this.#scheduleProjection()
      return seq
    })
    this.#settling.add(p)
    const done = () => void this.#settling.delete(p)
    p.then(done, done)
    return p
  }

  /**
   * Spool rows written outside the journal on the main connection (operator releases, opened
   * obligations) or by another process (a CLI release) join the memory queues; loading one tags it
   * (journal_seq 0) so it is loaded once. Rows the projection wrote carry their record's sequence
   * number, or `HANDED_OVER` when they came with its answer (notices it wrote beside a record or
   * for an obligation transition): those never cost the event loop a write.
   */
  #pollSide(force: boolean): void {
    const now = this.clock.now()
    if (!force && now - this.#sidePolledAt < SIDE_POLL_MS) return
    this.#sidePolledAt = now
    if (!super.open) return
    if (this.#loadSpoolRows(false) > 0) this.#hooks.onSpoolReady?.()
  }

  /**
   * all: every spool row (at open); otherwise the untagged ones, read and tagged in one write
   * transaction (the projection tags the rows it hands over in its own, so a row is taken by one
   * of them only). Only a poll that finds such a row writes: the check before is a read.
   */
  #loadSpoolRows(all: boolean): number {
    if (!all && this.db.prepare('SELECT 1 FROM spool WHERE journal_seq IS NULL LIMIT 1').get() === undefined) return 0
    const select = this.db.prepare(`SELECT * FROM spool ${all ? '' : 'WHERE journal_seq IS NULL'} ORDER BY id`)
    // taken into memory only once the tags are committed: a tag that fails (a lock conflict)
    // leaves the rows for the next poll instead of loading them twice
    const tag = this.db.prepare('UPDATE spool SET journal_seq = 0 WHERE id = ? AND journal_seq IS NULL')
    let rows: SpoolRow[] = []
    try {
      this.db.transaction(() => {
        rows = select.all() as SpoolRow[]
        for (const r of rows) tag.run(r.id)
      }).immediate()
    } catch (err) {
      if (!all && isLockConflict(err)) return 0
      throw err
    }
    this.#addRows(rows)
    return rows.length
  }

  /** The rows a projection answer handed over (`HANDED_OVER`): into the memory queues, no write. */
  #takeRows(rows: readonly SpoolRow[]): void {
    if (rows.length === 0) return
    this.#addRows(rows)
    this.#hooks.onSpoolReady?.()
  }

  /**
   * After the projection worker died: the rows it tagged as handed over whose answer never came
   * (the worker died between its commit and its answer). Read only; a row whose delivery is done
   * and whose `delivered` record is not projected yet is delivered once more (the same
   * Idempotency-Key), as after a kill.
   */
  #reclaimHanded(): void {
    const known = new Set<number>()
    for (const ref of this.#refs.values()) if (ref.row !== null) known.add(ref.row)
    const rows = (this.db.prepare(`SELECT * FROM spool WHERE journal_seq = ${HANDED_OVER} ORDER BY id`).all() as SpoolRow[]).filter((r) => !known.has(r.id))
    this.#takeRows(rows)
  }

  #addRows(rows: readonly SpoolRow[]): void {
    for (const r of rows) {
      const item: SpoolItem = {
        id: this.#spool.nextId(), messageId: r.message_id, target: r.target as SpoolItem['target'], party: r.party, mpxn: r.mpxn,
        contentType: r.content_type, body: r.body, headers: JSON.parse(r.headers) as Record<string, string>, attempts: r.attempts,
        nextAttemptAt: r.next_attempt_at, createdAt: r.created_at, obligationId: r.obligation_id,
      }
      const seq = r.journal_seq !== null && r.journal_seq > 0 ? r.journal_seq : null
      this.#spool.add(item)
      this.#resident += item.body.byteLength
      this.#refs.set(item.id, { seq, row: r.id })
    }
  }

  // ---- the projection -----------------------------------------------------------------------

  #scheduleProjection(): void {
    if (this.#projectTimer !== undefined || this.#projectImmediate !== undefined || this.#stopped) return
    const wait = this.#pending.length >= this.#batch ? 0 : this.#lastProjectAt + this.#intervalMs - performance.now()
    if (wait <= 0) {
      this.#projectImmediate = setImmediate(() => {
        this.#projectImmediate = undefined
        this.#projectNow()
      })
    } else {
      this.#projectTimer = setTimeout(() => {
        this.#projectTimer = undefined
        this.#projectNow()
      }, wait)
    }
  }

  /**
   * Hands everything durable and not yet projected to the projection, in one batch; with nothing
   * waiting while SQLite cannot be written, asks whether the file can grow again. One request at a
   * time: what arrives meanwhile waits for the answer. `durable` (synchronous FULL) only when a
   * segment could retire, or asked for: the journal may delete records only once the projection
   * has durably passed them.
   */
  #projectNow(durable?: boolean): void {
    if (this.#inflight !== undefined || !super.open) return
    const projector = this.#liveProjector()
    if (projector === undefined) return
    if (this.#pending.length === 0) {
      if (this.#projectionError !== undefined) this.#request((settle) => projector.probe((grow) => (this.#probed(grow), settle())))
      return
    }
    const batch = this.#pending
    this.#pending = []
    this.#postedThrough = batch[batch.length - 1]!.seq
    const commitFull = durable ?? this.journal.stats().segments > 1
    this.#request((settle) => projector.apply(batch, commitFull, (a) => (this.#applied(batch, commitFull, a), settle())))
  }

  /** The projector, a dead worker replaced first (not while stopping); undefined before the start. */
  #liveProjector(): Projector | undefined {
    if (this.#projector?.dead === true && !this.#projectorStopping) {
      this.#hooks.onError?.(new Error('the projection worker died'), 'projection worker restarted')
      this.#projector = startProjector(this, this.#path, this.#synchronous, () => new Projection(this, this.#synchronous), this.#worker)
      this.#reclaimHanded()
    }
    return this.#projector
  }

  /** Starts one projection request; `#inflight` settles when `send`'s callback has run. */
  #request(send: (settle: () => void) => void): void {
    let resolve!: () => void
    const p = new Promise<void>((r) => (resolve = r))
    this.#inflight = p
    send(() => {
      if (this.#inflight === p) this.#inflight = undefined
      resolve()
    })
  }

  /** The projection's answer for a batch: the rows it wrote, or why nothing of it was applied. */
  #applied(batch: ProjectionRecord[], durable: boolean, a: Applied): void {
    this.#lastProjectAt = performance.now()
    if ('error' in a) {
      this.#pending = batch.concat(this.#pending)
      if (this.#stopped) this.#lastFailure = a.error
      else if (this.#projectionError === undefined && this.#projectionLocks.mayRetry(a.error)) {
        // another connection held the lock: the batch is in the journal, so it is simply applied
        // again shortly; ingress goes on answering meanwhile
        this.#projectTimer ??= setTimeout(() => {
          this.#projectTimer = undefined
          this.#projectNow()
        }, LOCK_RETRY_MS)
      } else this.#cannotWrite(a.error, 'projection failed; ingress answers 503 until it can write again')
      return
    }
    this.#projectionLocks.reset()
    const r = a.result
    this.#projectionError = undefined
    this.#projected = r.last
    for (const x of r.refused) this.#hooks.onError?.(new Error(x.message), `journal record ${x.seq} not projected`)
    for (let i = 0; i < r.rows.length; i += 2) {
      const id = this.#itemOfSeq.get(r.rows[i]!)
      const ref = id === undefined ? undefined : this.#refs.get(id)
      if (ref !== undefined) ref.row = r.rows[i + 1]!
    }
    if (r.rows.length > 0) this.#shedBodies()
    this.#takeRows(r.side)
    this.#hooks.onCommit?.(batch.length)
    if (durable && !this.#stopped) {
      this.journal.projectedThrough(r.last)
      void this.#retire()
    }
    if (this.#pending.length > 0) this.#scheduleProjection()
  }

  /** The space probe's answer: writable again only once the file can grow. */
  #probed(grow: boolean | Error): void {
    if (grow === true) {
      this.#projectionError = undefined
      if (this.#pending.length > 0) this.#scheduleProjection()
      return
    }
    if (grow instanceof Error) this.#hooks.onError?.(grow, 'space probe failed')
    this.#retryProjection()
  }

  /** While SQLite cannot be written: one more attempt (or the one in flight); true once it can. */
  async #tryWrite(): Promise<boolean> {
    this.#projectNow()
    await this.#inflight
    return this.#projectionError === undefined
  }

  /** SQLite cannot be written (SQLITE_FULL, an I/O error): ingress answers 503 until it can again. */
  #cannotWrite(err: unknown, what: string): void {
    if (this.#projectionError === undefined) this.#hooks.onError?.(err, what)
    this.#projectionError = err
    this.#retryProjection()
  }

  #retryProjection(): void {
    if (this.#stopped) return
    this.#projectTimer ??= setTimeout(() => {
      this.#projectTimer = undefined
      this.#projectNow()
    }, 200)
  }

  async #retire(): Promise<void> {
    if (this.#retiring) return
    this.#retiring = true
    try {
      await this.journal.retire()
    } catch (err) {
      this.#hooks.onError?.(err, 'journal retirement failed')
    } finally {
      this.#retiring = false
    }
  }

  /**
   * Applies every durable record to SQLite now (tests; another process reading the projection).
   * Awaits the worker's answers rather than blocking for them: a worker that dies holding a batch
   * is seen only by its 'exit' event, on the event loop. The batch it held is sent again at once to
   * its replacement; a 503 only when SQLite itself cannot be written.
   */
  async flushProjection(): Promise<void> {
    await this.#through(this.#pending.at(-1)?.seq ?? this.#postedThrough)
    if (this.#projectionError !== undefined && !(await this.#tryWrite())) throw storeUnavailable('the projection (SQLite) cannot be written', this.#projectionError)
  }

  /**
   * Reads see the projection with every write this store made before them applied (the worker's
   * answer for the batch holding the last of them is awaited): delivered and rejected records
   * still syncing are waited for too (a notice's `notified` shows once it was sent). While SQLite
   * cannot be written, reads answer from what it holds.
   */
  async #caughtUp(): Promise<void> {
    if (this.#settling.size > 0) await Promise.allSettled([...this.#settling])
    await this.#through(this.#pending.at(-1)?.seq ?? this.#postedThrough)
  }

  /** Projects every record up to `target`, the answers awaited; returns early while SQLite cannot be written. */
  async #through(target: number): Promise<void> {
    while (this.#projected < target) {
      this.#projectNow()
      const inflight = this.#inflight
      if (inflight === undefined) return
      await inflight
      if (this.#projectionError !== undefined) return
    }
  }

  /** max_page_count on the main connection and the projection worker's (tests: a full disk) */
  override async limitPages(pages: number): Promise<void> {
    await super.limitPages(pages)
    await this.#projector?.limitPages(pages)
  }

  // ---- operator writes: SQLite transactions, then the memory queues learn of new spool rows ----

  override async releaseQuarantined(quarantineId: string, rec: AcceptedRecord, actor: string): Promise<CommitOutcome> {
    await this.#caughtUp()
    const out = await super.releaseQuarantined(quarantineId, rec, actor)
    this.#dedupe.set(rec.messageId, { decision: out.decision, reason: out.reason, quarantineId: null, obligationId: out.obligationId ?? null, receivedAt: rec.receivedAt })
    this.#pollSide(true)
    return out
  }

  /**
   * The obligation timer's writes go to the projection's connection (in its worker thread once
   * compiled), after the records before them: their SQL and their commit's fsync stay off the
   * event loop that answers the DCC.
   */
  override async applyObligationTransitions(list: readonly ObligationTransition[], now: number, actor: string): Promise<string[]> {
    await this.#caughtUp()
    const projector = this.#liveProjector()
    if (projector === undefined) {
      const ids = await super.applyObligationTransitions(list, now, actor)
      this.#pollSide(true)
      return ids
    }
    const t = await projector.obligationTransitions(list, now, actor)
    this.#takeRows(t.side)
    return t.ids
  }

  override async openObligations(drafts: readonly ObligationDraft[], now: number, actor: string): Promise<string[]> {
    await this.#caughtUp()
    const ids = await super.openObligations(drafts, now, actor)
    this.#pollSide(true)
    return ids
  }

  override async acknowledgeObligation(id: string, actor: string, now: number): Promise<'ok' | 'not-found' | 'already'> {
    await this.#caughtUp()
    return super.acknowledgeObligation(id, actor, now)
  }

  override async deleteQuarantined(id: string, actor: string, reason?: string): Promise<boolean> {
    await this.#caughtUp()
    return super.deleteQuarantined(id, actor, reason)
  }

  override async redirectObligation(id: string, actor: string, detail: string, onward: ObligationDraft | undefined, now: number): Promise<'ok' | 'not-found' | 'already'> {
    await this.#caughtUp()
    const r = await super.redirectObligation(id, actor, detail, onward, now)
    this.#pollSide(true) // the onward obligation's notice is a spool row written outside the journal
    return r
  }

  override async purgeMessages(olderThan: number): Promise<number> {
    await this.#caughtUp()
    const n = await super.purgeMessages(olderThan)
    this.#dedupe.forgetBefore(olderThan)
    return n
  }

  override async purgeQuarantine(olderThan: number, actor: string): Promise<number> {
    await this.#caughtUp()
    return super.purgeQuarantine(olderThan, actor)
  }

  override async purgeQuarantineOverSize(maxBytes: number, actor: string): Promise<number> {
    await this.#caughtUp()
    return super.purgeQuarantineOverSize(maxBytes, actor)
  }

  override async purgeOriginals(olderThan: number): Promise<number> {
    await this.#caughtUp()
    return super.purgeOriginals(olderThan)
  }

  // ---- reads: the projection, caught up first ------------------------------------------------

  override async listQuarantine(f: QuarantineFilter): Promise<{ items: QuarantineRow[]; nextCursor: string | null }> {
    await this.#caughtUp()
    return super.listQuarantine(f)
  }

  override async getQuarantine(id: string): Promise<QuarantineRow | undefined> {
    await this.#caughtUp()
    return super.getQuarantine(id)
  }

  override async getQuarantineBody(id: string): Promise<Buffer | undefined> {
    await this.#caughtUp()
    return super.getQuarantineBody(id)
  }

  override async quarantineCounts(): Promise<{ reason: string; n: number }[]> {
    await this.#caughtUp()
    return super.quarantineCounts()
  }

  override async listObligations(status: ObligationListStatus, now: number): Promise<ObligationRow[]> {
    await this.#caughtUp()
    return super.listObligations(status, now)
  }

  override async getObligation(id: string): Promise<ObligationRow | undefined> {
    await this.#caughtUp()
    return super.getObligation(id)
  }

  override async obligationEvents(id: string): Promise<ObligationEventRow[]> {
    await this.#caughtUp()
    return super.obligationEvents(id)
  }

  override async obligationCounts(now: number): Promise<{ type: string; status: ObligationStatus; n: number }[]> {
    await this.#caughtUp()
    return super.obligationCounts(now)
  }

  /** The timer's query, on the projection's connection as its writes are. */
  override async dueObligations(now: number): Promise<ObligationRow[]> {
    await this.#caughtUp()
    const projector = this.#liveProjector()
    return projector === undefined ? super.dueObligations(now) : projector.dueObligations(now)
  }

  override async listAudit(f: AuditFilter): Promise<AuditRow[]> {
    await this.#caughtUp()
    return super.listAudit(f)
  }

  override async staleCosRows(since?: number): Promise<StaleCosRow[]> {
    await this.#caughtUp()
    return super.staleCosRows(since)
  }

  override async credentialsUpdatedTimes(mpxns: readonly string[]): Promise<Map<string, number[]>> {
    await this.#caughtUp()
    return super.credentialsUpdatedTimes(mpxns)
  }

  // the console's reads (src/console)

  override async decisionsPerMinute(from: number, to: number): Promise<DecisionMinute[]> {
    await this.#caughtUp()
    return super.decisionsPerMinute(from, to)
  }

  override async quarantineByReason(): Promise<QuarantineReasonCount[]> {
    await this.#caughtUp()
    return super.quarantineByReason()
  }

  override async countQuarantineByReason(reason: string): Promise<number> {
    await this.#caughtUp()
    return super.countQuarantineByReason(reason)
  }

  override async quarantineIdsByReason(reason: string, limit: number): Promise<string[]> {
    await this.#caughtUp()
    return super.quarantineIdsByReason(reason, limit)
  }

  override async auditPage(f: AuditPageFilter): Promise<{ items: AuditEntry[]; nextBefore: number | null }> {
    await this.#caughtUp()
    return super.auditPage(f)
  }

  override async auditActions(): Promise<string[]> {
    await this.#caughtUp()
    return super.auditActions()
  }

  /**
   * The last batch at a clean stop, so that SQLite shows every delivery made (a spool row left
   * behind is a delivery the CLI and the console still list). Tried up to CLOSE_ATTEMPTS times: a
   * worker that died is replaced, and SQLite's write lock held by another connection past its
   * busy_timeout (a TRUNCATE checkpoint on a loaded disk) is waited for again. What still cannot
   * be applied stays in the journal, applied at the next start before anything is delivered.
   */
  async #projectLast(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.#lastFailure = undefined
      this.#projectNow(true)
      while (this.#inflight !== undefined) await this.#inflight
      const failure = this.#lastFailure
      if (failure === undefined) return
      if (attempt >= CLOSE_ATTEMPTS) {
        this.#hooks.onError?.(failure, 'last projection failed; it is applied from the journal at the next start')
        return
      }
      this.#hooks.onError?.(failure, 'last projection failed; trying again')
    }
  }

  /** Waits for queued appends (and their records), projects them, stops the projection worker, then closes journal and database. */
  override async close(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    clearTimeout(this.#projectTimer)
    if (this.#projectImmediate !== undefined) clearImmediate(this.#projectImmediate)
    await this.journal.close()
    await new Promise((r) => setImmediate(r))
    // drain the projection: every durable record applied (durably), then the worker ends
    while (this.#inflight !== undefined) await this.#inflight
    clearTimeout(this.#projectTimer)
    await this.#projectLast()
    this.#projectorStopping = true
    await this.#projector?.stop()
    await super.close()
  }
}

const EMPTY = Buffer.alloc(0)

function outcomeOf(messageId: string, s: Seen, duplicate: boolean): CommitOutcome {
  return {
    messageId, decision: s.decision, reason: s.reason, duplicate,
    ...(s.quarantineId !== null && { quarantineId: s.quarantineId }),
    ...(s.obligationId !== null && { obligationId: s.obligationId }),
  }
}

/** The delivery a decision spools, as the plain store's spool row has it (sqlite-store.ts writeEffects). */
function deliveryOf(rec: AcceptedRecord, id: number): SpoolItem | undefined {
  const d = rec.decision
  const base = { id, messageId: rec.messageId, headers: rec.headers, attempts: 0, nextAttemptAt: rec.receivedAt, createdAt: rec.receivedAt }
  if (d.decision === 'deliver') {
    const body = Buffer.from(rec.body.buffer, rec.body.byteOffset, rec.body.byteLength)
    return { ...base, target: 'adapter', party: d.deliverTo!, mpxn: d.mpxn ?? null, contentType: rec.contentType, body, obligationId: null }
  }
  if (d.decision === 'forward') {
    const o = rec.obligation!
    return { ...base, target: 'notice', party: o.toParty, mpxn: o.mpxn ?? null, contentType: 'application/json', body: noticeBody(o), obligationId: o.id }
  }
  return undefined
}
