import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { waitFor } from '../../test/support/wait-for.js'
import { TestClock } from '../../test/support/clock.js'
import { CommitQueue, LOCK_RETRIES, LOCK_RETRY_MS } from './commit-queue.js'

function setup() {
  const db = new Database(':memory:')
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)')
  const insert = db.prepare('INSERT INTO t (k) VALUES (?)')
  const keys = () => (db.prepare('SELECT k FROM t ORDER BY k').all() as { k: string }[]).map((r) => r.k)
  // a long interval: the batch is committed by the explicit flush below, all in one transaction
  const q = new CommitQueue(db, 10_000, 64)
  return { db, insert, keys, q }
}

describe('CommitQueue group commit', () => {
  it('commits a batch in one transaction and settles each operation with its own result', async () => {
    const { insert, keys, q } = setup()
    let batches = 0
    q.onCommit = () => batches++
    const all = Promise.all(['a', 'b', 'c'].map((k) => q.run(() => insert.run(k).changes)))
    q.flush()
    expect(await all).toEqual([1, 1, 1])
    expect(keys()).toEqual(['a', 'b', 'c'])
    expect(batches).toBe(1)
  })

  it('lets one failing operation fail alone: the others in its batch are committed', async () => {
    const { insert, keys, q } = setup()
    const a = q.run(() => insert.run('a'))
    const bad = q.run(() => {
      insert.run('b') // written, then rolled back with its operation
      throw new TypeError('a bug in one operation')
    })
    const c = q.run(() => insert.run('c'))
    q.flush()
    await expect(bad).rejects.toThrow('a bug in one operation')
    await a
    await c
    expect(keys()).toEqual(['a', 'c'])
  })

  it('fails the whole batch, and keeps nothing of it, on an I/O error', async () => {
    const { insert, keys, q } = setup()
    const ops = [
      q.run(() => insert.run('a')),
      q.run(() => {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
      }),
      q.run(() => insert.run('c')),
    ]
    q.flush()
    for (const p of ops) await expect(p).rejects.toThrow('database or disk is full')
    expect(keys()).toEqual([])
  })

  it('a timed flush waits while another writer of the file is in a transaction, then commits', async () => {
    const db = new Database(':memory:')
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)')
    const q = new CommitQueue(db, 1, 64)
    let release!: () => void
    let busy: Promise<void> | undefined = new Promise<void>((r) => (release = r))
    let asked = 0
    q.writerBusy = () => (asked++, busy)
    let ran = false
    const op = q.run(() => (ran = true))
    await waitFor('the timed flush to look for the other writer', () => asked > 0)
    expect(ran).toBe(false) // it waits for the writer
    await new Promise((r) => setImmediate(r))
    expect(ran).toBe(false)
    busy = undefined
    release()
    await op
    expect(ran).toBe(true)
  })

  it('runs a batch again when another connection holds the lock, instead of failing it (SQLITE_BUSY)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dccgw-lock-'))
    try {
      const db = new Database(join(dir, 'db'))
      db.pragma('journal_mode = WAL')
      db.pragma('busy_timeout = 0') // SQLite answers SQLITE_BUSY at once, as it does for some conflicts whatever the timeout
      db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)')
      const other = new Database(join(dir, 'db'))
      other.exec('BEGIN IMMEDIATE') // another connection (the projection worker, the checkpointer) holds the lock
      const clock = new TestClock()
      const q = new CommitQueue(db, 10_000, 64, (ms, fn) => clock.setTimeout(fn, ms))
      let ioErrors = 0
      q.onIoError = () => ioErrors++
      const insert = db.prepare('INSERT INTO t (k) VALUES (?)')
      const a = q.run(() => insert.run('a').changes)
      const b = q.run(() => insert.run('b').changes)
      q.flush()
      expect(q.lockRetries).toBe(1) // met the lock, put back
      await clock.advance(LOCK_RETRY_MS)
      expect(q.lockRetries).toBe(2)
      other.exec('COMMIT')
      await clock.advance(LOCK_RETRY_MS)
      expect(await Promise.all([a, b])).toEqual([1, 1])
      expect(db.prepare('SELECT k FROM t ORDER BY k').pluck().all()).toEqual(['a', 'b'])
      expect(ioErrors).toBe(0)
      // a lock that outlasts the retries fails the batch as before
      other.exec('BEGIN IMMEDIATE')
      const c = q.run(() => insert.run('c'))
      q.flush()
      for (let k = 0; k < LOCK_RETRIES; k++) await clock.advance(LOCK_RETRY_MS)
      await expect(c).rejects.toMatchObject({ code: 'SQLITE_BUSY' })
      expect(q.lockRetries).toBe(2 + LOCK_RETRIES)
      expect(ioErrors).toBe(1)
      other.exec('ROLLBACK')
      other.close()
      db.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
