import type { Database } from 'better-sqlite3'

type Op = () => unknown
interface Pending {
  op: Op
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
}

/**
 * A lock conflict with another connection to the same file is tried again this many times, every
 * LOCK_RETRY_MS, before it fails like an I/O error (about a second in all). SQLite answers some
 * conflicts with SQLITE_BUSY at once, without its busy handler: the checkpoint worker's TRUNCATE
 * checkpoint made the main and projection connections fail that way a few times a minute under
 * load, and each failure turned ingress to 503 (docs/performance.md, "Lock conflicts").
 */
export const LOCK_RETRIES = 50
export const LOCK_RETRY_MS = 20

/**
 * The lock-conflict rule both SQLite writers follow (the commit queue's batches, the projection's):
 * a conflict is run again, LOCK_RETRY_MS later, up to LOCK_RETRIES times in a row; a write that
 * ends any other way starts the count again.
 */
export class LockConflicts {
  #inARow = 0
  /** writes run again after a lock conflict, in all (dccgw_store_lock_retries_total) */
  retried = 0

  /** true when `err` is a lock conflict still within the retries (counted: the caller runs the write again LOCK_RETRY_MS later) */
  mayRetry(err: unknown): boolean {
    if (!isLockConflict(err) || this.#inARow >= LOCK_RETRIES) return false
    this.#inARow++
    this.retried++
    return true
  }

  /** the write committed, or failed for another reason */
  reset(): void {
    this.#inARow = 0
  }
}

/**
 * Group commit: operations queued within `intervalMs` (or until `maxBatch` are waiting) run in
 * one SQLite transaction, so one fsync covers the whole batch. Each caller's promise settles
 * only after COMMIT returns: that is when a 200 may be sent.
 *
 * An operation that throws a non-SQLite error (a bug or a constraint) fails alone; an I/O error
 * (disk full, read-only) fails the whole batch, and everything in it is rolled back. A lock
 * conflict (SQLITE_BUSY, SQLITE_LOCKED) rolls the batch back and runs it again a little later
 * (LOCK_RETRIES); only a conflict that outlasts them fails it.
 */
export class CommitQueue {
  #db: Database
  #pending: Pending[] = []
  #timer: NodeJS.Timeout | undefined
  #intervalMs: number
  #maxBatch: number
  #flushing = false
  readonly #locks = new LockConflicts()
  /** a batch put back after a lock conflict waits for its retry (LOCK_RETRY_MS) */
  #retrying = false
  readonly #after: (ms: number, fn: () => void) => void
  /** called after every commit with its batch size and duration */
  onCommit: ((size: number, seconds: number) => void) | undefined
  /** called when a batch fails on an I/O error (disk full, read-only): the file cannot be written */
  onIoError: ((err: unknown) => void) | undefined
  /**
   * Another connection of this process writing the same file (the projection worker,
   * projection-thread.ts): a promise while it is in a transaction. A timed flush waits for it
   * instead of blocking the event loop in SQLite's busy handler.
   */
  writerBusy: (() => Promise<void> | undefined) | undefined

  /**
   * `after` runs the retry after a lock conflict (tests: an injected clock). By default a Node
   * timer that keeps the process alive, unlike the gateway's clock: a CLI command waiting for its
   * write must not exit before the retry has committed it.
   */
  constructor(db: Database, intervalMs: number, maxBatch: number, after: (ms: number, fn: () => void) => void = (ms, fn) => void setTimeout(fn, ms)) {
    this.#db = db
    this.#intervalMs = intervalMs
    this.#maxBatch = maxBatch
    this.#after = after
  }

  /** batches run again after a lock conflict, in all */
  get lockRetries(): number {
    return this.#locks.retried
  }

  get depth(): number {
    return this.#pending.length
  }

  run<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ op, resolve: resolve as (v: unknown) => void, reject })
      if (this.#pending.length >= this.#maxBatch) this.#schedule(0)
      else this.#schedule(this.#intervalMs)
    })
  }

  #schedule(ms: number): void {
    if (this.#timer !== undefined) {
      if (ms > 0) return
      clearTimeout(this.#timer)
    }
    this.#timer = ms > 0 ? setTimeout(() => this.#flushWhenFree(), ms) : (setImmediate(() => this.#flushWhenFree()) as unknown as NodeJS.Timeout)
  }

  #flushWhenFree(): void {
    const busy = this.writerBusy?.()
    if (busy === undefined) this.flush()
    else void busy.then(() => this.#flushWhenFree())
  }

  /**
   * Commits everything queued now. Synchronous: better-sqlite3 blocks for the fsync (and, should
   * another connection hold the write lock, in the busy handler: busy_timeout).
   */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      clearImmediate(this.#timer as unknown as NodeJS.Immediate)
      this.#timer = undefined
    }
    if (this.#flushing || this.#retrying) return
    this.#flushing = true
    try {
      while (this.#pending.length > 0 && this.#commitBatch(this.#pending.splice(0, this.#maxBatch)));
    } finally {
      this.#flushing = false
    }
  }

  /** Runs one batch in one transaction; false when it was put back to run again after a lock conflict. */
  #commitBatch(batch: Pending[]): boolean {
    const started = process.hrtime.bigint()
    const results: { ok: boolean; value: unknown }[] = []
    try {
      // IMMEDIATE: the write lock is taken at BEGIN, where SQLite's busy handler waits for another
      // writer; a deferred transaction that read first would fail at once with SQLITE_BUSY
      this.#db.transaction(() => {
        for (const p of batch) {
          // A savepoint per op lets one failing op roll back alone.
          this.#db.exec('SAVEPOINT op')
          try {
            results.push({ ok: true, value: p.op() })
            this.#db.exec('RELEASE op')
          } catch (err) {
            // An I/O error fails the whole batch. Rethrow it first: after SQLITE_FULL SQLite may
            // already have rolled the transaction back, and `ROLLBACK TO op` would then throw "no
            // such savepoint", hiding the I/O error (the ingress answered 500, not 503; docs/operations.md, "Faults").
            if (isIoError(err)) throw err
            this.#db.exec('ROLLBACK TO op; RELEASE op')
            results.push({ ok: false, value: err })
          }
        }
      }).immediate()
    } catch (err) {
      if (this.#locks.mayRetry(err)) {
        // rolled back: the same operations run again, in the same order, before anything newer
        this.#pending.unshift(...batch)
        this.#retrying = true
        this.#after(LOCK_RETRY_MS, () => {
          this.#retrying = false
          this.#flushWhenFree()
        })
        return false
      }
      this.#locks.reset()
      if (isIoError(err)) this.onIoError?.(err)
      for (const p of batch) p.reject(err)
      return true
    }
    this.#locks.reset()
    this.onCommit?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9)
    batch.forEach((p, i) => {
      const r = results[i]!
      if (r.ok) p.resolve(r.value)
      else p.reject(r.value)
    })
    return true
  }
}

/** Another connection holds the lock (SQLITE_BUSY*, SQLITE_LOCKED*): nothing is wrong with the file. */
export function isLockConflict(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code)
}

/** SQLITE_FULL, SQLITE_IOERR*, SQLITE_READONLY*, SQLITE_CANTOPEN, SQLITE_CORRUPT… */
export function isIoError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' && /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|BUSY|LOCKED|PROTOCOL)/.test(code)
}
