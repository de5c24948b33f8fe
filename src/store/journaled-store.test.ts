// The journaled store (docs/journal.md): crash windows between the journal, the target's 2xx
// and the projection, and a failing fdatasync, on a real folder with an injectable journal fs.
// A "kill" freezes the journal's disk (no write or sync returns any more) and abandons the store
// without closing it: what was not synced by then is gone, as after a SIGKILL.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TestClock } from '../../test/support/clock.js'
import type { Decision } from '../policy/index.js'
import { nodeJournalFs, type JournalFs } from './journal/index.js'
import { JournaledStore } from './journaled-store.js'
import { SqliteStore } from './sqlite-store.js'
import { separateSync } from '../../test/support/journal-fs.js'
import { waitFor } from '../../test/support/wait-for.js'
import { isStoreUnavailable } from './store-error.js'
import type { AcceptedRecord, ObligationDraft } from './types.js'

const DAY = 86_400_000
let dir: string
let n = 0

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dccgw-jstore-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/**
 * node fs whose fdatasync can fail (EIO) and whose writes and syncs can freeze (the process is
 * killed); a group is its writev, then its fdatasync (test/support/journal-fs.ts)
 */
function disk() {
  const state = { failSync: false, frozen: false }
  const hang = () => new Promise<never>(() => undefined)
  const fs = separateSync({
    ...nodeJournalFs,
    writev: (fd, b, pos) => (state.frozen ? hang() : nodeJournalFs.writev(fd, b, pos)),
    write: (fd, b, o, l, pos) => (state.frozen ? hang() : nodeJournalFs.write(fd, b, o, l, pos)),
    fdatasync: (fd) => {
      if (state.frozen) return hang()
      if (state.failSync) return Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
      return nodeJournalFs.fdatasync(fd)
    },
  })
  return { state, fs }
}

function open(fs?: JournalFs, projectIntervalMs?: number, clock?: TestClock): Promise<JournaledStore> {
  return JournaledStore.open({
    path: dir, commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL', journal: { segmentBytes: 1 << 20, ...(fs && { fs }) },
    ...(projectIntervalMs !== undefined && { projectIntervalMs }),
    ...(clock !== undefined && { clock }),
  })
}

function record(decision: Partial<Decision> & Pick<Decision, 'decision' | 'reason'>, extra: Partial<AcceptedRecord> = {}): AcceptedRecord {
  n++
  const at = Date.now() - 1000 + n
  return {
    messageId: `jstore-${n}-${randomUUID()}`, receivedAt: at, kind: 'device_alert', responseTime: at, alertCode: '8F3D', recipientParty: 'ACME',
    decision: { critical: false, mpxn: `10000000000${n % 10}`, ...decision }, contentType: 'application/xml',
    body: Buffer.from(`<Response n="${n}">payload</Response>`), headers: {}, ...extra,
  }
}
const deliver = (mpxn: string) => record({ decision: 'deliver', reason: 'responsible', deliverTo: 'ACME', mpxn })
const quarantined = () => record({ decision: 'quarantine', reason: 'unknown-device', mpxn: '1999999999999' })
const dropped = () => record({ decision: 'drop', reason: 'stale-cos-noncritical' })
function forward(): AcceptedRecord {
  const id = randomUUID()
  const obligation: ObligationDraft = {
    id, type: 'critical-forward', fromParty: 'ACME', toParty: 'BRITE', mpxn: '1888888888888', alertCode: '8F3D', alertTime: Date.now(),
    dueAt: Date.now() + DAY, notice: { obligationId: id }, text: `obligation ${id}`,
  }
  return record({ decision: 'forward', reason: 'stale-cos-critical', critical: true, fromParty: 'ACME', toParty: 'BRITE', supplyStartDate: '2025-03-01', mpxn: '1888888888888' }, { obligation })
}

/** the SQLite projection as another process (the CLI) reads it */
function projection() {
  const db = new Database(join(dir, 'gateway.db'), { readonly: true })
  try {
    const count = (sql: string) => (db.prepare(sql).pluck().get() as number)
    return {
      messages: count('SELECT COUNT(*) FROM messages'),
      quarantine: count('SELECT COUNT(*) FROM quarantine'),
      obligations: count('SELECT COUNT(*) FROM obligations'),
      events: count('SELECT COUNT(*) FROM obligation_events'),
      originals: count('SELECT COUNT(*) FROM originals'),
      spool: count('SELECT COUNT(*) FROM spool'),
    }
  } finally {
    db.close()
  }
}

describe('journaled store', () => {
  it('kill between the adapter\'s 2xx and the delivered mark: one redelivery with the same Idempotency-Key, nothing lost', async () => {
    const d = disk()
    const s1 = await open(d.fs)
    const recs = ['1000000000001', '1000000000002', '1000000000003'].map(deliver)
    for (const r of recs) await s1.commitAccepted(r)
    await s1.flushProjection()
    const items = s1.dueSpool(Date.now(), 10)
    expect(items.map((i) => i.messageId)).toEqual(recs.map((r) => r.messageId))
    // the adapter answered 2xx to all three; only the first mark reaches the disk
    await s1.completeDelivery(items[0]!, Date.now())
    await s1.journal.flush()
    d.state.frozen = true // SIGKILL: nothing written from here on
    await s1.completeDelivery(items[1]!, Date.now()) // its slot is free at once; the mark never lands
    expect(s1.dueSpool(Date.now(), 10).map((i) => i.messageId)).toEqual([recs[2]!.messageId])

    const s2 = await open()
    const again = s2.dueSpool(Date.now(), 10)
    // each unmarked delivery once more, under the same key (messageId = Idempotency-Key); nothing lost
    expect(again.map((i) => i.messageId)).toEqual([recs[1]!.messageId, recs[2]!.messageId])
    expect(again.map((i) => i.body.toString())).toEqual([Buffer.from(recs[1]!.body).toString(), Buffer.from(recs[2]!.body).toString()])
    for (const i of again) await s2.completeDelivery(i, Date.now())
    await s2.close()

    const s3 = await open()
    expect(s3.dueSpool(Date.now(), 10)).toEqual([])
    expect(s3.spoolBounds()).toEqual({ n: 0, bytes: 0, oldest: null })
    await s3.close()
    expect(projection()).toMatchObject({ messages: 3, spool: 0 })
  })

  it('kill between journal and projection: the admin views catch up at the next start, nothing counted twice', async () => {
    const d = disk()
    const s1 = await open(d.fs, 1e9) // no projection on its own after the first
    const first = [quarantined(), forward(), dropped(), deliver('1000000000004')]
    for (const r of first) await s1.commitAccepted(r)
    await s1.flushProjection()
    const later = [quarantined(), quarantined(), forward(), forward(), dropped(), deliver('1000000000005'), deliver('1000000000006')]
    for (const r of later) await s1.commitAccepted(r)
    d.state.frozen = true // SIGKILL: 7 acknowledged decisions are in the journal only
    // the CLI, reading the projection meanwhile, sees the first four
    expect(projection()).toMatchObject({ messages: 4, quarantine: 1, obligations: 1, originals: 1, spool: 2 })
    const cli = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL' })
    expect((await cli.listQuarantine({ limit: 50 })).items).toHaveLength(1)
    await cli.close()

    for (let restart = 0; restart < 2; restart++) {
      const s = await open()
      expect(projection()).toMatchObject({ messages: 11, quarantine: 3, obligations: 3, events: 3, originals: 3 })
      expect((await s.listQuarantine({ limit: 50 })).items).toHaveLength(3)
      expect(await s.quarantineCounts()).toEqual([{ reason: 'unknown-device', n: 3 }])
      expect(await s.obligationCounts(Date.now())).toEqual([{ type: 'critical-forward', status: 'open', n: 3 }])
      expect((await s.staleCosRows(0)).reduce((a, r) => a + r.criticalForwarded, 0)).toBe(3)
      // every acknowledged delivery and notice waits exactly once
      expect(s.spoolDepth().map((x) => [x.target, x.n]).sort()).toEqual([['adapter', 3], ['notice', 3]])
      // the notices are for one MPxN: one at a time, in arrival order
      expect(s.dueSpool(Date.now(), 50).filter((i) => i.target === 'notice')).toHaveLength(1)
      expect(s.spoolBounds().n).toBe(6)
      expect(await s.commitAccepted(later[0]!)).toMatchObject({ duplicate: true, decision: 'quarantine' })
      await s.close()
    }
  })

  it('a 422\'s raw bytes are one journal record: kept through a kill before the projection, not kept when the sync fails', async () => {
    const d = disk()
    const s1 = await open(d.fs, 1e9) // no projection on its own after the first
    const malformed = (text: string) => ({ receivedAt: Date.now(), contentType: 'text/xml', body: Buffer.from(text), code: 'XML', detail: 'unclosed' })
    const id = await s1.commitMalformed(malformed('<not-duis'))
    // answered once durable in the journal; SQLite (the commit queue, on the event loop) not written
    expect(s1.journalStats().projectionLagRecords).toBe(1)
    expect(projection()).toMatchObject({ quarantine: 0 })
    d.state.failSync = true
    await expect(s1.commitMalformed(malformed('<lost'))).rejects.toSatisfy(isStoreUnavailable)
    d.state.failSync = false
    const id2 = await s1.commitMalformed(malformed('<kept'))
    d.state.frozen = true // SIGKILL
    const s2 = await open()
    expect(await s2.getQuarantine(id)).toMatchObject({ id, reason: 'malformed', detail: 'XML: unclosed', messageId: null, size: 9 })
    expect((await s2.getQuarantineBody(id))!.toString()).toBe('<not-duis')
    expect((await s2.getQuarantineBody(id2))!.toString()).toBe('<kept')
    expect(await s2.quarantineCounts()).toEqual([{ reason: 'malformed', n: 2 }])
    await s2.close()
  })

  it('fdatasync failing: 503 for the whole group, nothing acknowledged or kept, then recovers without a restart', async () => {
    const d = disk()
    const s1 = await open(d.fs)
    const ok1 = deliver('1000000000007')
    await s1.commitAccepted(ok1)
    d.state.failSync = true
    const failing = [deliver('1000000000008'), quarantined(), dropped()]
    const results = await Promise.allSettled(failing.map((r) => s1.commitAccepted(r)))
    for (const r of results) {
      expect(r.status).toBe('rejected')
      expect(isStoreUnavailable((r as PromiseRejectedResult).reason)).toBe(true)
    }
    expect(s1.dueSpool(Date.now(), 10).map((i) => i.messageId)).toEqual([ok1.messageId])
    d.state.failSync = false
    // the DCC retries: each is new (nothing of the failed group was kept), and is accepted now
    for (const r of failing) expect(await s1.commitAccepted(r)).toMatchObject({ duplicate: false })
    expect(s1.dueSpool(Date.now(), 10).map((i) => i.messageId)).toEqual([ok1.messageId, failing[0]!.messageId])
    await s1.close()

    const s2 = await open()
    expect(projection()).toMatchObject({ messages: 4, quarantine: 1, spool: 2 })
    expect(s2.dueSpool(Date.now(), 10).map((i) => i.messageId)).toEqual([ok1.messageId, failing[0]!.messageId])
    await s2.close()
  })

  it('a repeat that arrives while the first copy is still syncing waits for it and is a duplicate', async () => {
    const s = await open()
    const rec = deliver('1000000000009')
    const [a, b] = await Promise.all([s.commitAccepted(rec), s.commitAccepted({ ...rec, decision: { ...rec.decision, decision: 'drop', reason: 'stale-cos-noncritical' } })])
    expect(a).toMatchObject({ decision: 'deliver', duplicate: false })
    expect(b).toMatchObject({ decision: 'deliver', duplicate: true })
    expect(s.dueSpool(Date.now(), 10)).toHaveLength(1)
    await s.close()
    const s2 = await open()
    expect(await s2.commitAccepted(rec)).toMatchObject({ decision: 'deliver', duplicate: true })
    await s2.close()
    expect(projection()).toMatchObject({ messages: 1, spool: 1 })
  })

  it('the dedupe memory holds the dedupe window, not every audit row: older messages are forgotten, and not loaded at the next start', async () => {
    // soak finding (bench/results/soak.md): the memory held every message of auditRetentionDays (90 d), ~300 B each
    const windowMs = 60_000
    const openWindowed = () => JournaledStore.open({ path: dir, commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL', journal: { segmentBytes: 1 << 20 }, dedupeWindowMs: windowMs })
    const s = await openWindowed()
    const t0 = 1_700_000_000_000
    const old = [dropped(), dropped(), dropped()].map((r, k) => ({ ...r, receivedAt: t0 + k }))
    for (const r of old) await s.commitAccepted(r)
    expect(s.dedupeEntries()).toBe(3)
    const recent = { ...dropped(), receivedAt: t0 + windowMs + 10 }
    await s.commitAccepted(recent)
    expect(s.dedupeEntries()).toBe(1) // the three older than the window before `recent` are gone
    expect(await s.commitAccepted(recent)).toMatchObject({ duplicate: true })
    await s.close()
    const s2 = await openWindowed()
    expect(s2.dedupeEntries()).toBe(1)
    expect(await s2.commitAccepted(recent)).toMatchObject({ duplicate: true })
    // within the window a repeat after a restart is still a duplicate; the audit rows are all kept
    await s2.close()
    expect(projection()).toMatchObject({ messages: 4 })
  })

  it('past the dedupe memory\'s recent part, a repeat is answered from the audit row: the decision as it stands now, also after a restart', async () => {
    const openSmall = () => JournaledStore.open({ path: dir, commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL', journal: { segmentBytes: 1 << 20 }, dedupeRecent: 2 })
    const s = await openSmall()
    // each row is found by its receipt time (the dedupe memory's, the delivery's), never by the hash over the whole index
    const anyTime = vi.spyOn(s.sql.messageAnyTime, 'get')
    const first = [deliver('1000000000001'), dropped(), quarantined(), deliver('1000000000002')]
    const outcomes = []
    for (const r of first) outcomes.push(await s.commitAccepted(r))
    for (let i = 0; i < 6; i++) await s.commitAccepted(dropped()) // the first four are hashes now
    expect(s.dedupeEntries()).toBe(10)
    // the adapter refuses the second delivery after its entry left the recent part
    const item = s.dueSpool(Date.now(), 10).find((i) => i.messageId === first[3]!.messageId)!
    await s.rejectDelivery(item, 'HTTP 400', Date.now())
    const repeats = await Promise.all([...first, first[0]!].map((r) => s.commitAccepted(r)))
    expect(repeats.map((o) => [o.decision, o.reason, o.duplicate])).toEqual([
      ['deliver', 'responsible', true], ['drop', 'stale-cos-noncritical', true], ['quarantine', 'unknown-device', true],
      ['quarantine', 'adapter-rejected', true], ['deliver', 'responsible', true],
    ])
    expect(repeats[2]!.quarantineId).toBe(outcomes[2]!.quarantineId)
    const fresh = dropped()
    expect(await s.commitAccepted(fresh)).toMatchObject({ duplicate: false })
    expect(anyTime).not.toHaveBeenCalled()
    await s.close()
    const s2 = await openSmall()
    const anyTime2 = vi.spyOn(s2.sql.messageAnyTime, 'get')
    expect(s2.dedupeEntries()).toBe(11)
    expect(s2.dedupeWholeEntries()).toBe(0) // a start loads the window as hashes only
    expect(await s2.commitAccepted(first[1]!)).toMatchObject({ decision: 'drop', duplicate: true })
    expect(await s2.commitAccepted(fresh)).toMatchObject({ decision: 'drop', duplicate: true })
    expect(await s2.commitAccepted(dropped())).toMatchObject({ duplicate: false })
    expect(anyTime2).not.toHaveBeenCalled()
    await s2.close()
    expect(projection()).toMatchObject({ messages: 12 })
  })

  it('releasing a message the adapter refused replaces its one audit row, found by the receipt time the quarantine row keeps', async () => {
    const s = await open()
    const anyTime = vi.spyOn(s.sql.messageAnyTime, 'get')
    const rec = deliver('1000000000003')
    await s.commitAccepted(rec)
    await s.flushProjection()
    const item = s.dueSpool(Date.now(), 10).find((i) => i.messageId === rec.messageId)!
    const quarantineId = await s.rejectDelivery(item, 'HTTP 400', rec.receivedAt + 60_000) // refused a minute after receipt
    await s.flushProjection()
    const released = await s.releaseQuarantined(quarantineId, { ...rec, receivedAt: rec.receivedAt + 120_000, decision: { ...rec.decision, reason: 'operator-released' } }, 'operator-1')
    expect(released).toMatchObject({ decision: 'deliver', reason: 'operator-released', duplicate: false })
    const rows = s.db.prepare('SELECT decision, reason, received_at AS at FROM messages WHERE message_id = ?').all(rec.messageId)
    expect(rows).toEqual([{ decision: 'deliver', reason: 'operator-released', at: rec.receivedAt + 120_000 }])
    expect(anyTime).not.toHaveBeenCalled()
    expect(await s.commitAccepted(rec)).toMatchObject({ decision: 'deliver', reason: 'operator-released', duplicate: true })
    await s.close()
  })

  it('writes no spool row for a delivery done before the projection, and marks a forward\'s obligation notified', async () => {
    const s = await open(undefined, 1e9)
    await s.commitAccepted(dropped())
    await s.flushProjection()
    const fwd = forward()
    await s.commitAccepted(fwd)
    await s.commitAccepted(deliver('1000000000010'))
    for (const i of s.dueSpool(Date.now(), 10)) await s.completeDelivery(i, Date.now())
    await s.journal.flush()
    await s.flushProjection()
    expect(projection()).toMatchObject({ messages: 3, spool: 0 })
    expect(await s.getObligation(fwd.obligation!.id)).toMatchObject({ status: 'notified' })
    await s.close()
  })

  it('a delivered record replayed at the next start removes the spool row the last process projected: no redelivery, no row left', async () => {
    const d = disk()
    const s1 = await open(d.fs, 1e9) // projects only when told
    const rec = deliver('1000000000011')
    await s1.commitAccepted(rec)
    const [item] = s1.dueSpool(Date.now(), 10)
    await s1.completeDelivery(item!, Date.now()) // 2xx before the projection: the record names no row yet
    await s1.flushProjection() // the accepted record is projected (a spool row); its delivered record still syncing
    expect(projection()).toMatchObject({ messages: 1, spool: 1 })
    await s1.journal.flush() // the delivered record is durable, not projected
    d.state.frozen = true // SIGKILL

    const s2 = await open()
    expect(projection()).toMatchObject({ messages: 1, spool: 0 })
    expect(s2.dueSpool(Date.now(), 10)).toEqual([]) // the mark was durable: no repeat
    expect(s2.spoolBounds().n).toBe(0)
    await s2.close()
  })

  it.each(['journaled', 'plain SQLite'])('%s: counts the deliveries not attempted yet per target and party; a failed attempt or a delivery takes one out', async (kind) => {
    const s: SqliteStore = kind === 'journaled' ? await open() : new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL' })
    for (const r of [deliver('1000000000021'), deliver('1000000000022'), deliver('1000000000023'), dropped(), quarantined()]) await s.commitAccepted(r)
    const waiting = () => Object.fromEntries(s.waitingDeliveries())
    expect(waiting()).toEqual({ 'adapter ACME': 3 }) // the drop and the quarantine wait for nothing
    const [a, b] = s.dueSpool(Date.now(), 10)
    await s.scheduleRetry(a!, Date.now() + 60_000, 'HTTP 503')
    expect(waiting()).toEqual({ 'adapter ACME': 2 })
    await s.completeDelivery(b!, Date.now())
    expect(waiting()).toEqual({ 'adapter ACME': 1 })
    await s.close()
  })

  /** A store holding a quarantined message, and a spool row for it written by another process (a CLI release). */
  async function withCliRelease(clock: TestClock): Promise<{ s: JournaledStore; q: AcceptedRecord }> {
    const s = await open(undefined, undefined, clock)
    const q = quarantined()
    const { quarantineId } = await s.commitAccepted(q)
    await s.flushProjection()
    expect(s.dueSpool(clock.now(), 10)).toEqual([]) // looks for rows written outside the journal: none yet
    const cli = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL' })
    await cli.releaseQuarantined(quarantineId!, { ...q, decision: { decision: 'deliver', reason: 'operator-released', deliverTo: 'ACME', critical: false, mpxn: '1999999999999' } }, 'cli')
    await cli.close()
    return { s, q }
  }

  it('picks up a spool row another process wrote (a CLI release) and delivers it once', async () => {
    const clock = new TestClock()
    const { s, q } = await withCliRelease(clock)
    await clock.advance(60_000) // the side poll looks again (at most every 250 ms on the store's clock)
    const due = s.dueSpool(clock.now(), 10)
    expect(due.map((i) => i.messageId)).toEqual([q.messageId])
    await s.completeDelivery(due[0]!, clock.now())
    expect(s.dueSpool(clock.now() + 1000, 10)).toEqual([])
    await s.close()
    const s2 = await open()
    expect(s2.dueSpool(Date.now(), 10)).toEqual([])
    await s2.close()
    expect(projection()).toMatchObject({ spool: 0, quarantine: 0 })
  })

  // SQLite answers some lock conflicts with SQLITE_BUSY at once, whatever busy_timeout says (the
  // checkpoint worker's TRUNCATE checkpoint did, under load); busy_timeout 0 makes every one do so
  it('a projection batch that meets another connection\'s lock is applied again, and ingress goes on answering (no 503)', async () => {
    const s = await open()
    s.db.pragma('busy_timeout = 0')
    const other = new Database(join(dir, 'gateway.db'))
    other.exec('BEGIN IMMEDIATE')
    const tx = vi.spyOn(s.db, 'transaction') // from source the projection runs on this connection
    expect(await s.commitAccepted(deliver('1300000000001'))).toMatchObject({ duplicate: false })
    await waitFor('the projection to meet the lock', () => tx.mock.calls.length > 0)
    await new Promise((r) => setImmediate(r))
    expect(await s.commitAccepted(deliver('1300000000002'))).toMatchObject({ duplicate: false })
    expect(s.lockRetries()).toBeGreaterThan(0)
    other.exec('COMMIT')
    other.close()
    await s.flushProjection()
    expect(projection()).toMatchObject({ messages: 2, spool: 2 })
    await s.close()
  })

  it('a spool row written by another process waits for the next poll when its tag meets a lock: loaded once, not twice', async () => {
    const clock = new TestClock()
    const { s, q } = await withCliRelease(clock)
    s.db.pragma('busy_timeout = 0')
    const other = new Database(join(dir, 'gateway.db'))
    other.exec('BEGIN IMMEDIATE')
    await clock.advance(60_000)
    expect(s.dueSpool(clock.now(), 10)).toEqual([]) // its tag met the lock: not taken yet
    other.exec('COMMIT')
    other.close()
    await clock.advance(60_000)
    expect(s.dueSpool(clock.now(), 10).map((i) => i.messageId)).toEqual([q.messageId])
    await clock.advance(60_000)
    expect(s.dueSpool(clock.now(), 10).map((i) => i.messageId)).toEqual([q.messageId]) // once
    await s.close()
  })

  it('over its memory cap keeps the bodies of projected deliveries on disk and reads them back when their turn comes', async () => {
    const s = await JournaledStore.open({ path: dir, commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL', spoolMemoryBytes: 200 })
    const recs = Array.from({ length: 10 }, (_, k) => deliver(`12000000000${k}`))
    for (const r of recs) await s.commitAccepted(r)
    await s.flushProjection()
    expect(s.spoolMemory().resident).toBeLessThanOrEqual(200)
    expect(s.spoolMemory().released).toBeGreaterThan(0)
    expect(s.spoolBounds().bytes).toBe(recs.reduce((a, r) => a + r.body.byteLength, 0)) // the bound counts every byte
    const due = s.dueSpool(Date.now(), 20)
    expect(due.map((i) => i.body.toString())).toEqual(recs.map((r) => Buffer.from(r.body).toString()))
    for (const i of due) await s.completeDelivery(i, Date.now())
    expect(s.spoolMemory()).toEqual({ resident: 0, released: 0 })
    await s.close()
  })

  it('a read after a delivery waits for its delivered record: the obligation shows notified', async () => {
    let gate: (() => void) | undefined
    let entered: (() => void) | undefined
    const fs = separateSync({
      ...nodeJournalFs,
      fdatasync: async (fd) => {
        if (gate !== undefined) await new Promise<void>((r) => ((gate = r), entered?.()))
        return nodeJournalFs.fdatasync(fd)
      },
    })
    const s = await open(fs)
    const fwd = forward()
    await s.commitAccepted(fwd)
    const [notice] = s.dueSpool(Date.now(), 10)
    expect(notice).toMatchObject({ target: 'notice', obligationId: fwd.obligation!.id })
    const syncing = new Promise<void>((r) => (entered = r))
    gate = () => undefined // the next sync waits until released
    await s.completeDelivery(notice!, Date.now()) // settles at once: the record is still syncing
    const read = s.getObligation(fwd.obligation!.id)
    await syncing // the delivered record's fdatasync is held while the read waits
    gate()
    gate = undefined
    expect(await read).toMatchObject({ status: 'notified' })
    await s.close()
  })

  it('tells the journal the projection passed a record only after a durable commit, and retires a passed segment', async () => {
    const s = await JournaledStore.open({ path: dir, commitIntervalMs: 0, commitBatch: 64, synchronous: 'FULL', journal: { segmentBytes: 1 << 20 } })
    for (let k = 0; k < 5; k++) await s.commitAccepted(deliver(`13000000000${k}`))
    await s.flushProjection()
    expect(projection().messages).toBe(5) // applied (synchronous NORMAL: no fsync on the event loop)...
    expect(s.journal.stats().projectedSeq).toBe(0) // ...so nothing may retire on its account yet
    const big = (k: number) => deliver(`14000000000${k % 10}`)
    for (let k = 0; s.journal.stats().segments < 2; k++) {
      const r = big(k)
      r.body = Buffer.alloc(16_000, 120)
      await s.commitAccepted(r)
    }
    for (const i of s.dueSpool(Date.now(), 1000)) await s.completeDelivery(i, Date.now())
    await s.commitAccepted(dropped()) // the delivered records' group has synced once this resolves
    await s.flushProjection() // a segment could retire: this commit is durable, and the journal hears of it
    // a durable commit was reported (earlier ones were not). Not necessarily through the last record:
    // a batch sent while the marks were appended may already have let the first segment retire, and
    // with one segment left the later batches commit without the fsync, as they should
    expect(s.journal.stats().projectedSeq).toBeGreaterThan(5)
    await waitFor('the passed segment to retire', () => s.journal.stats().segments === 1)
    await s.close()
  })

  it('at open, makes the projection position it read durable before the journal may retire on its account', async () => {
    const s1 = await open() // store.synchronous NORMAL: a durable commit switches to FULL for itself
    for (let k = 0; k < 3; k++) await s1.commitAccepted(deliver(`15000000000${k}`))
    await s1.close() // applies the tail: the next open has nothing to replay
    const pragma = vi.spyOn(Database.prototype, 'pragma')
    try {
      const s2 = await open()
      expect(pragma.mock.calls.map((c) => c[0])).toContain('synchronous = FULL')
      expect(s2.journal.stats().projectedSeq).toBe(3)
      await s2.close()
    } finally {
      pragma.mockRestore()
    }
  })
})
