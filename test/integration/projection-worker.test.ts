// The SQLite projection in its worker thread (docs/journal.md, "The projection"), on the built store
// (dist/: the compiled worker sits beside it; from source the projection runs on the main
// connection). The main connection writes none of the projected rows; reads and flushProjection
// wait for the worker (a worker that dies is replaced and its batch sent again); SQLITE_FULL in the worker answers 503 and clears by itself; close drains it.
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { JournaledStore, isStoreUnavailable } from '../../dist/store/index.js'
import type { AcceptedRecord, ObligationDraft } from '../../dist/store/index.js'
import { diesOnce } from '../support/dies-once.js'
import { budget } from '../support/wait-for.js'
import { tempDir, waitFor } from './harness.js'

let n = 0
function record(kind: 'deliver' | 'quarantine' | 'drop' | 'forward', bodyBytes = 64): AcceptedRecord {
  n++
  const at = Date.now() - 1000 + n
  const mpxn = `17000000000${n % 10}`
  const base = {
    messageId: `pw-${n}-${randomUUID()}`, receivedAt: at, kind: 'device_alert', responseTime: at, alertCode: '8F3D', recipientParty: 'ACME',
    contentType: 'application/xml', body: Buffer.alloc(bodyBytes, 65 + (n % 26)), headers: {},
  } as const
  if (kind === 'forward') {
    const id = randomUUID()
    const obligation: ObligationDraft = {
      id, type: 'critical-forward', fromParty: 'ACME', toParty: 'BRITE', mpxn, alertCode: '8F3D', alertTime: at,
      dueAt: at + 86_400_000, notice: { obligationId: id }, text: `obligation ${id}`,
    }
    return { ...base, obligation, decision: { decision: 'forward', reason: 'stale-cos-critical', critical: true, fromParty: 'ACME', toParty: 'BRITE', supplyStartDate: '2025-03-01', mpxn } }
  }
  if (kind === 'deliver') return { ...base, decision: { decision: 'deliver', reason: 'responsible', deliverTo: 'ACME', critical: false, mpxn } }
  if (kind === 'quarantine') return { ...base, decision: { decision: 'quarantine', reason: 'unknown-device', critical: false, mpxn } }
  return { ...base, decision: { decision: 'drop', reason: 'stale-cos-noncritical', critical: false, mpxn } }
}

function open(dir: string, projectIntervalMs?: number): Promise<JournaledStore> {
  return JournaledStore.open({
    path: dir, commitIntervalMs: 5, commitBatch: 64, synchronous: 'NORMAL', journal: { segmentBytes: 1 << 20 },
    ...(projectIntervalMs !== undefined && { projectIntervalMs }),
  })
}

/** gateway.db as another process (the CLI) reads it */
function projection(dir: string) {
  const db = new Database(join(dir, 'gateway.db'), { readonly: true })
  try {
    const count = (sql: string) => db.prepare(sql).pluck().get() as number
    return {
      messages: count('SELECT COUNT(*) FROM messages'), quarantine: count('SELECT COUNT(*) FROM quarantine'),
      obligations: count('SELECT COUNT(*) FROM obligations'), spool: count('SELECT COUNT(*) FROM spool'),
      position: count('SELECT seq FROM journal_position WHERE id = 1'),
    }
  } finally {
    db.close()
  }
}

/** a time every record() made here is due by */
const LATER = Date.now() + 86_400_000

/** rows written on the store's own (main-thread) connection since it opened */
const mainChanges = (s: JournaledStore) => s.db.prepare('SELECT total_changes()').pluck().get() as number

describe('projection worker', () => {
  it('its connection has the page cache store.pageCacheMiB gives (not better-sqlite3\'s 16 MB)', async () => {
    for (const [pageCacheMiB, kib] of [[undefined, 4096], [3, 3072]] as const) {
      const s = await JournaledStore.open({
        path: tempDir('dccgw-pw-cache-'), commitIntervalMs: 5, commitBatch: 64, synchronous: 'NORMAL', ...(pageCacheMiB !== undefined && { pageCacheMiB }),
      })
      try {
        expect(s.projectionThreaded).toBe(true)
        expect(await s.projectionPageCacheKiB()).toBe(kib)
      } finally {
        await s.close()
      }
    }
  })

  it('applies the batches on its own connection; reads and flushProjection wait for it', async () => {
    const dir = tempDir('dccgw-projw-')
    const s = await open(dir, 1e9) // projects only when a read or a flush asks
    try {
      expect(s.projectionThreaded).toBe(true)
      const before = mainChanges(s)
      const fwd = record('forward')
      await s.commitAccepted(fwd)
      // a read right after the acknowledgement sees it: it waited for the worker's answer
      expect(await s.getObligation(fwd.obligation!.id)).toMatchObject({ status: 'open' })
      const recs = [record('deliver'), record('quarantine'), record('drop'), record('deliver'), record('quarantine')]
      for (const r of recs) await s.commitAccepted(r)
      await s.flushProjection() // settles once the worker has committed
      expect(projection(dir)).toEqual({ messages: 6, quarantine: 2, obligations: 1, spool: 3, position: 6 })
      expect(s.journalStats().projectionLagRecords).toBe(0)
      // the deliveries' spool rows are known to the memory queues (their bodies read back from there)
      const due = s.dueSpool(Date.now(), 10)
      expect(due).toHaveLength(3)
      for (const i of due) await s.completeDelivery(i, Date.now())
      expect((await s.listQuarantine({ limit: 10 })).items).toHaveLength(2)
      expect(projection(dir).spool).toBe(0)
      expect(mainChanges(s)).toBe(before) // not one projected row was written by the main thread
    } finally {
      await s.close()
    }
  })

  it('a quarantined critical alert\'s notice and a 422\'s bytes are written by the worker and handed over: no write on the main connection', async () => {
    const dir = tempDir('dccgw-projw-')
    const s = await open(dir, 1e9)
    try {
      const before = mainChanges(s)
      const q = record('quarantine')
      const id = randomUUID()
      const critical: AcceptedRecord = {
        ...q, decision: { ...q.decision, critical: true },
        obligation: { id, type: 'critical-quarantined', toParty: 'ACME', mpxn: q.decision.mpxn!, alertCode: '8F3D', alertTime: q.receivedAt, dueAt: LATER, notice: { obligationId: id }, text: `obligation ${id}` },
      }
      expect(await s.commitAccepted(critical)).toMatchObject({ decision: 'quarantine', obligationId: id })
      const malformed = await s.commitMalformed({ receivedAt: Date.now(), contentType: 'text/xml', body: Buffer.from('<not-duis'), code: 'XML', detail: 'unclosed' })
      await s.flushProjection()
      // the notice of the critical-quarantined obligation waits in memory, its bytes as written
      const notice = s.dueSpool(LATER, 10).find((i) => i.target === 'notice')
      expect(notice).toMatchObject({ party: 'ACME', obligationId: id })
      expect(Buffer.isBuffer(notice!.body) && JSON.parse(notice!.body.toString()).obligationId).toBe(id)
      expect((await s.getQuarantineBody(malformed))!.toString()).toBe('<not-duis')
      expect(projection(dir)).toMatchObject({ quarantine: 2, obligations: 1, spool: 1 })
      expect(mainChanges(s)).toBe(before) // neither the 422 (the commit queue) nor the notice's tag (the poll)
    } finally {
      await s.close()
    }
  })

  it('operator writes on the main connection go between the worker\'s transactions', async () => {
    const dir = tempDir('dccgw-projw-')
    const s = await open(dir, 1)
    const errors: string[] = []
    s.setHooks({ onError: (err, what) => errors.push(`${what}: ${(err as Error).message}`) })
    // traffic all along, so the worker is often in a transaction when an acknowledgement commits
    let stop = false
    const traffic = (async () => {
      while (!stop) await Promise.all(Array.from({ length: 16 }, () => s.commitAccepted(record('quarantine', 4096))))
    })()
    try {
      const acks: string[] = []
      // 20 acknowledgements: each waits for the projection of the records before it (at most about
      // two batches, by the store's backpressure; without it the backlog grew and the 10th
      // acknowledgement waited 20 s)
      for (let k = 0; k < 20; k++) {
        const fwd = record('forward')
        await s.commitAccepted(fwd)
        acks.push(await s.acknowledgeObligation(fwd.obligation!.id, 'test', Date.now()))
      }
      stop = true
      await traffic
      expect(acks).toEqual(Array(20).fill('ok'))
      expect(errors).toEqual([])
      expect(await s.obligationCounts(Date.now())).toEqual([{ type: 'critical-forward', status: 'acknowledged', n: 20 }])
    } finally {
      stop = true
      await traffic.catch(() => undefined)
      await s.close()
    }
  }, 90_000) // traffic saturates the projection on purpose: on a busy 2-core machine each acknowledgement waits longer

  it('the obligation timer queries and writes on the worker\'s connection: nothing on the main one, the notice spooled with its bytes', async () => {
    const s = await open(tempDir('dccgw-projw-'))
    try {
      const fwd = record('forward')
      const id = (await s.commitAccepted(fwd)).obligationId!
      // every write on the main connection goes through its commit queue: count them
      const run = s.queue.run.bind(s.queue)
      let mainWrites = 0
      s.queue.run = ((op: () => unknown) => (mainWrites++, run(op))) as typeof s.queue.run
      const now = Date.now() + 2 * 86_400_000
      await s.flushProjection()
      const before = mainChanges(s)
      expect((await s.dueObligations(now)).map((r) => r.id)).toContain(id)
      const notice = Buffer.from('{"notice":"escalated"}')
      const step = {
        id, expect: { status: 'open' as const, level: 0 },
        events: [{ status: 'overdue' as const, level: 0, dueAt: now - 1 }, { status: 'escalated' as const, level: 1, dueAt: now + 86_400_000 }],
        notice: { key: `${id}:1`, toParty: 'BRITE', mpxn: null, body: notice }, // no MPxN: not queued behind the forward's own items
      }
      expect(await s.applyObligationTransitions([step], now, 'scheduler')).toEqual([id])
      expect(await s.applyObligationTransitions([step], now, 'scheduler')).toEqual([]) // planned from a state that is gone
      expect(mainWrites).toBe(0)
      // the notice row came with the worker's answer: not even a tag written on the main connection
      expect(mainChanges(s)).toBe(before)
      expect(await s.getObligation(id)).toMatchObject({ status: 'escalated', level: 1 })
      expect((await s.obligationEvents(id)).map((e) => e.status)).toEqual(['open', 'overdue', 'escalated'])
      const spooled = s.dueSpool(now, 100).find((i) => i.messageId === `${id}:1`)
      expect(spooled).toMatchObject({ party: 'BRITE', obligationId: id })
      expect(Buffer.isBuffer(spooled!.body) && spooled!.body.equals(notice)).toBe(true)
    } finally {
      await s.close()
    }
  })

  it('SQLITE_FULL in the worker: ingress answers 503 (nothing kept) until the file can grow again, then accepts', async () => {
    const dir = tempDir('dccgw-projw-')
    const s = await open(dir, 5)
    const errors: string[] = []
    s.setHooks({ onError: (_err, what) => errors.push(what) })
    try {
      await s.commitAccepted(record('quarantine'))
      await s.flushProjection()
      const pages = s.db.pragma('page_count', { simple: true }) as number
      await s.limitPages(pages) // the disk is full: gateway.db may not grow by a page
      const acked: string[] = []
      const refused: string[] = []
      await waitFor('503 from the store', async () => {
        const r = record('quarantine', 16_384)
        try {
          acked.push((await s.commitAccepted(r)).messageId)
          return false
        } catch (err) {
          if (!isStoreUnavailable(err)) throw err
          refused.push(r.messageId)
          return true
        }
      }, 30_000, 1)
      expect(errors).toContain('projection failed; ingress answers 503 until it can write again')
      // every request meanwhile is refused: the worker is asked again and cannot write
      for (let k = 0; k < 5; k++) {
        const r = record('deliver')
        await expect(s.commitAccepted(r)).rejects.toSatisfy(isStoreUnavailable)
        refused.push(r.messageId)
      }
      await expect(s.flushProjection()).rejects.toSatisfy(isStoreUnavailable)

      await s.limitPages(1073741823) // space returns
      const after = await waitFor('accepted again', async () => {
        try {
          return await s.commitAccepted(record('deliver'))
        } catch (err) {
          if (!isStoreUnavailable(err)) throw err
          return false
        }
      })
      await s.flushProjection()
      const db = new Database(join(dir, 'gateway.db'), { readonly: true })
      try {
        const ids = new Set(db.prepare('SELECT message_id FROM messages').pluck().all() as string[])
        for (const id of acked) expect(ids.has(id)).toBe(true) // every acknowledged decision was projected
        for (const id of refused) expect(ids.has(id)).toBe(false) // nothing answered 503 was kept
        expect(ids.has(after.messageId)).toBe(true)
      } finally {
        db.close()
      }
    } finally {
      await s.close()
    }
  }, 60_000)

  it('close drains the worker: every durable record projected, the position stored with them', async () => {
    const dir = tempDir('dccgw-projw-')
    const s = await open(dir, 1e9) // nothing projected before close
    const recs = Array.from({ length: 40 }, (_, k) => record(k % 2 === 0 ? 'deliver' : 'quarantine'))
    await Promise.all(recs.map((r) => s.commitAccepted(r)))
    expect(projection(dir).messages).toBe(0)
    await s.close()
    expect(projection(dir)).toMatchObject({ messages: 40, quarantine: 20, spool: 20, position: 40 })
    const s2 = await open(dir) // nothing left to replay, nothing applied twice
    try {
      expect(s2.journalStats().projectionLagRecords).toBe(0)
      expect(s2.spoolBounds().n).toBe(20)
    } finally {
      await s2.close()
    }
    expect(projection(dir)).toMatchObject({ messages: 40, quarantine: 20, spool: 20, position: 40 })
  })

  /** A store whose first projection worker dies at its first batch without answering (an uncaught error, out of memory). */
  async function openDying(dir: string, projectIntervalMs = 1) {
    const projectionWorker = diesOnce(new URL('../../dist/store/projection-worker.js', import.meta.url), join(dir, 'projection-worker-died'))
    const s = await JournaledStore.open({ path: dir, commitIntervalMs: 5, commitBatch: 64, synchronous: 'NORMAL', projectIntervalMs, projectionWorker })
    const errors: string[] = []
    s.setHooks({ onError: (_err, what) => errors.push(what) })
    return { s, errors }
  }

  /** the messages SQLite holds, as another process reads them */
  function projectedIds(dir: string): string[] {
    const db = new Database(join(dir, 'gateway.db'), { readonly: true })
    try {
      return (db.prepare('SELECT message_id FROM messages').pluck().all() as string[]).sort()
    } finally {
      db.close()
    }
  }

  it('a projection worker that dies is replaced: 503 meanwhile, then every acknowledged decision is projected', async () => {
    const dir = tempDir('dccgw-projw-')
    const { s, errors } = await openDying(dir)
    // one budget for every step, inside the test's timeout: a step that runs out says which it was
    const time = budget(25_000)
    try {
      const acked: string[] = []
      for (let k = 1; k <= 5; k++) {
        const r = record('quarantine')
        // the DCC repeats a 503 until it gets its answer (a timeout names the last refusal)
        const what = `the acknowledgement of record ${k} of 5`
        const out = await time.within(what, waitFor(what, () => s.commitAccepted(r), time.left()))
        acked.push(out.messageId)
      }
      await time.within('the projection of the 5 acknowledged records', s.flushProjection())
      // the first batch went to the worker that died: refused, then applied by its replacement
      expect(errors).toEqual(expect.arrayContaining(['projection failed; ingress answers 503 until it can write again', 'projection worker restarted']))
      expect(projectedIds(dir)).toEqual([...acked].sort())
      const db = new Database(join(dir, 'gateway.db'), { readonly: true })
      try {
        expect(db.prepare('SELECT COUNT(*) FROM quarantine').pluck().get()).toBe(5)
      } finally {
        db.close()
      }
    } finally {
      await s.close()
    }
  })

  it('a worker that died after committing a notice row, before its answer: the replacement\'s start reclaims the row', async () => {
    const dir = tempDir('dccgw-projw-')
    const { s, errors } = await openDying(dir)
    const time = budget(25_000)
    try {
      // the row the dead worker wrote and tagged as handed over, its answer lost
      const other = new Database(join(dir, 'gateway.db'))
      try {
        other.prepare(
          `INSERT INTO spool (message_id, target, party, mpxn, content_type, body, headers, next_attempt_at, created_at, obligation_id, journal_seq)
           VALUES ('critical-quarantined:lost', 'notice', 'ACME', NULL, 'application/json', ?, '{}', 0, 0, 'lost', -1)`,
        ).run(Buffer.from('{"obligationId":"lost"}'))
      } finally {
        other.close()
      }
      const r = record('drop')
      await time.within('the acknowledgement', waitFor('the acknowledgement', () => s.commitAccepted(r), time.left()))
      await time.within('the projection', s.flushProjection())
      expect(errors).toContain('projection worker restarted')
      expect(s.dueSpool(LATER, 10).map((i) => i.messageId)).toEqual(['critical-quarantined:lost'])
    } finally {
      await s.close()
    }
  })

  it('flushProjection while the worker that holds the batch dies: the batch goes to its replacement, nothing blocks', async () => {
    // Before, flushProjection blocked the event loop (Atomics.wait) for the worker's answer; the
    // worker's death is an 'exit' event on that loop, so it waited 120 s for an answer that could
    // not come (the test above timed out when the first worker died after the last acknowledgement).
    const dir = tempDir('dccgw-projw-')
    const { s, errors } = await openDying(dir)
    const time = budget(25_000)
    try {
      const r = record('deliver')
      await s.commitAccepted(r) // durable; its batch is not sent yet (the projection starts on the next turn)
      await time.within('the projection of record 1, its batch held by the worker that dies', s.flushProjection())
      expect(errors).toContain('projection worker restarted')
      expect(projectedIds(dir)).toEqual([r.messageId])
    } finally {
      await s.close()
    }
  })

  // A clean stop projects the last batch, so SQLite shows every delivery made: a spool row left
  // behind is a delivery the CLI and the console still list (the journal would remove it at the
  // next start). Seen in the SIGKILL crash loop under a loaded disk: rows left after the clean stop.
  it('a clean stop waits out SQLite\'s write lock held by another connection: every delivered mark projected, no spool row left', async () => {
    const dir = tempDir('dccgw-projw-')
    const s = await open(dir, 1e9) // projects only when asked, and at close
    const recs = [record('deliver'), record('deliver'), record('deliver')]
    for (const r of recs) await s.commitAccepted(r)
    await s.flushProjection()
    expect(projection(dir).spool).toBe(3)
    const due = s.dueSpool(LATER, 10) // (record() times run ahead of the clock after many records)
    expect(due).toHaveLength(3)
    for (const item of due) await s.completeDelivery(item, Date.now()) // the 2xx: marks appended, not projected
    expect(s.spoolBounds().n).toBe(0)
    // another connection holds the write lock as the store stops (a TRUNCATE checkpoint on a
    // loaded disk), past busy_timeout; it lets go once the store reports the failed try
    const holder = new Database(join(dir, 'gateway.db'))
    holder.exec('BEGIN IMMEDIATE')
    const errors: string[] = []
    s.setHooks({
      onError: (err, what) => {
        errors.push(`${what}: ${(err as Error).message}`)
        if (holder.inTransaction) holder.exec('ROLLBACK')
      },
    })
    try {
      await s.close()
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK')
      holder.close()
    }
    expect(errors).toEqual(['last projection failed; trying again: database is locked'])
    expect(projection(dir)).toMatchObject({ messages: 3, spool: 0, position: 6 })
  })

  it('a clean stop replaces a worker that dies holding the last batch: every durable record projected', async () => {
    const dir = tempDir('dccgw-projw-')
    const { s, errors } = await openDying(dir, 1e9) // nothing projected before close: the last batch is the dying worker's first
    // one journal group; the projection would start on the next turn of the event loop, and close
    // comes first (it cancels that start): the last batch is the first the worker gets
    const recs = Array.from({ length: 6 }, (_, k) => record(k % 2 === 0 ? 'deliver' : 'quarantine'))
    await Promise.all(recs.map((r) => s.commitAccepted(r)))
    const due = s.dueSpool(LATER, 10)
    expect(due).toHaveLength(3)
    for (const item of due) await s.completeDelivery(item, Date.now())
    await s.close()
    expect(errors).toEqual(['last projection failed; trying again', 'projection worker restarted'])
    expect(projection(dir)).toMatchObject({ messages: 6, quarantine: 3, spool: 0, position: 9 })
  })
})
