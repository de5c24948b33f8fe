// WAL checkpoints run on a worker thread (src/store/checkpointer.ts), not inside the commits that
// answer requests. Without it, the main connection keeps SQLite's automatic checkpoint (1000 pages)
// and the first expectation fails; if the worker never checkpointed, the WAL would grow past the
// bound below (it is never checkpointed by the main connection). The checkpoints run on the store's
// clock: the test moves it a checkpoint interval per round and waits for that checkpoint.
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { SqliteStore } from '../../dist/store/index.js'
import { TestClock } from '../support/clock.js'
import { diesOnce } from '../support/dies-once.js'
import { tempDir } from './harness.js'

it('checkpoints the WAL on a worker thread and keeps it bounded', async () => {
  const dir = tempDir('dccgw-ckpt-')
  const clock = new TestClock()
  const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL', checkpointIntervalMs: 20, clock })
  try {
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0)
    const blob = Buffer.alloc(4096, 7)
    const insert = store.db.prepare('INSERT INTO originals (message_id, received_at, content_type, body) VALUES (?, ?, ?, ?)')
    let n = 0
    for (let round = 0; round < 20; round++) {
      await store.queue.run(() => {
        for (let i = 0; i < 100; i++, n++) insert.run(`m${n}`, Date.now(), 'application/xml', blob)
      })
      await clock.advance(20) // one checkpoint interval: the worker checkpoints, and this settles when it has
    }
    // 2000 rows x 4 KiB = ~8 MiB written; a WAL nobody checkpoints would hold all of it.
    expect(statSync(join(dir, 'gateway.db-wal')).size).toBeLessThan(4 * 1024 * 1024)
  } finally {
    await store.close()
  }
})

it('empties a WAL past walLimitBytes (TRUNCATE): a PASSIVE checkpoint copies the frames but never shrinks the file', async () => {
  // The soak at 3,200 msg/s grew the WAL without end (15 GB in 8 minutes) once the projection
  // worker wrote while the main thread read: PASSIVE never found the moment to start the file over.
  const dir = tempDir('dccgw-ckpt-')
  const clock = new TestClock()
  const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL', checkpointIntervalMs: 20, walLimitBytes: 1024 * 1024, clock })
  try {
    const blob = Buffer.alloc(4096, 7)
    const insert = store.db.prepare('INSERT INTO originals (message_id, received_at, content_type, body) VALUES (?, ?, ?, ?)')
    await store.queue.run(() => {
      for (let i = 0; i < 1000; i++) insert.run(`m${i}`, Date.now(), 'application/xml', blob)
    })
    const wal = join(dir, 'gateway.db-wal')
    expect(statSync(wal).size).toBeGreaterThan(4 * 1024 * 1024) // ~4 MiB written between two checkpoints
    await clock.advance(20) // one round: over the limit, so TRUNCATE
    expect(statSync(wal).size).toBe(0)
    expect(store.db.prepare('SELECT COUNT(*) FROM originals').pluck().get()).toBe(1000)
  } finally {
    await store.close()
  }
})

it('replaces a checkpoint worker that died: the next round runs on a new one and the WAL stays bounded', async () => {
  // Every writing connection keeps SQLite's automatic checkpoint off while the worker runs (the
  // projection worker's too), so without a replacement nothing would checkpoint again and the WAL
  // would grow until a restart.
  const dir = tempDir('dccgw-ckpt-')
  const clock = new TestClock()
  const checkpointWorker = diesOnce(new URL('../../dist/store/checkpoint-worker.js', import.meta.url), join(dir, 'checkpoint-worker-died'))
  const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL', checkpointIntervalMs: 20, walLimitBytes: 1024 * 1024, checkpointWorker, clock })
  try {
    await clock.advance(20) // the first round: the worker dies
    expect(store.checkpointWorkersReplaced).toBe(1)
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0)
    const blob = Buffer.alloc(4096, 7)
    const insert = store.db.prepare('INSERT INTO originals (message_id, received_at, content_type, body) VALUES (?, ?, ?, ?)')
    await store.queue.run(() => {
      for (let i = 0; i < 1000; i++) insert.run(`m${i}`, Date.now(), 'application/xml', blob)
    })
    const wal = join(dir, 'gateway.db-wal')
    expect(statSync(wal).size).toBeGreaterThan(4 * 1024 * 1024)
    await clock.advance(20) // the next round, on a new worker: over the limit, so TRUNCATE
    expect(statSync(wal).size).toBe(0)
    expect(store.checkpointWorkersReplaced).toBe(1)
  } finally {
    await store.close()
  }
})
