// Migration 8: the `messages` audit rows move from a random TEXT primary key to a rowid table in
// arrival order, found by a hash of the message ID (docs/journal.md, "Projection").
// Migration 9: the obligation counts of every /metrics scrape read an index alone (docs/operations.md, the soak).
// Migration 10: no index for the stale-CoS report (docs/performance.md, "What grows with the store").
// Migration 11: the audit rows found by receipt time and hash, one index in time order (docs/journal.md, "Projection").
// Migration 12: a quarantine row keeps its message's receipt time (docs/journal.md, "One index in time order").
// Migration 13: the kept originals in arrival order (docs/performance.md, "What fills the WAL").
// Migration 14: the obligations as a rowid table, their 2-3 KB rows in the leaf (the same section).
// Migration 15: an obligation's notice and its text in a table of their own, written once (the same section).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { hash52 } from './message-hash.js'
import { migrate } from './migrations.js'
import { OBLIGATION_COUNTS_SQL, staleCosRows } from './queries.js'
import { SqliteStore } from './sqlite-store.js'
import type { AcceptedRecord } from './types.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function dropped(messageId: string, at: number): AcceptedRecord {
  return {
    messageId, receivedAt: at, kind: 'device_alert', responseTime: at, contentType: 'application/xml', body: Buffer.from('<x/>'), headers: {},
    decision: { decision: 'drop', reason: 'stale-cos-noncritical', critical: false, mpxn: '1000000000001', supplyStartDate: '2025-03-01' },
    recipientParty: 'ACME',
  }
}

/** A store folder whose gateway.db is at schema `version` (migrations up to it), open for old rows. */
function databaseAt(version: number): { dir: string; old: Database.Database } {
  const dir = mkdtempSync(join(tmpdir(), 'dccgw-migrate-'))
  dirs.push(dir)
  const old = new Database(join(dir, 'gateway.db'))
  old.pragma('journal_mode = WAL')
  migrate(old, version)
  return { dir, old }
}

describe('migration 8: messages in arrival order with a hash index', () => {
  it('keeps every row of a version-7 database, orders them by arrival, and the store still knows them as duplicates', async () => {
    const { dir, old } = databaseAt(7)
    const insert = old.prepare(`INSERT INTO messages (message_id, received_at, response_time, kind, decision, reason, party, mpxn, supply_start_date, quarantine_id)
      VALUES (?, ?, ?, 'device_alert', ?, ?, 'ACME', '1000000000001', '2025-03-01', ?)`)
    insert.run('zz-first', 1_000, 1_000, 'drop', 'stale-cos-noncritical', null) // key order is not arrival order
    insert.run('aa-second', 2_000, 2_000, 'quarantine', 'unknown-device', 'q-1')
    insert.run('mm-third', 3_000, 3_000, 'deliver', 'responsible', null)
    old.close()

    const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL' })
    try {
      const rows = store.db.prepare('SELECT id, id_hash AS h, message_id AS m FROM messages ORDER BY id').all() as { id: number; h: number; m: string }[]
      expect(rows.map((r) => r.m)).toEqual(['zz-first', 'aa-second', 'mm-third'])
      for (const r of rows) expect(r.h).toBe(hash52(r.m))
      expect(store.db.pragma('user_version', { simple: true })).toBe(15)
      expect(await store.commitAccepted(dropped('aa-second', 4_000))).toMatchObject({ decision: 'quarantine', reason: 'unknown-device', quarantineId: 'q-1', duplicate: true })
      expect(await store.commitAccepted(dropped('new-one', 5_000))).toMatchObject({ decision: 'drop', duplicate: false })
      expect(await store.commitAccepted(dropped('new-one', 6_000))).toMatchObject({ duplicate: true })
      // the stale-CoS report still finds them
      expect(store.db.prepare('SELECT COUNT(*) FROM messages WHERE supply_start_date IS NOT NULL AND party = ?').pluck().get('ACME')).toBe(4)
    } finally {
      await store.close()
    }
  })

  it('two IDs that share a hash are two messages: the ID decides, the hash only finds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dccgw-migrate-'))
    dirs.push(dir)
    const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL' })
    try {
      // a row whose hash is the one 'second' will have: as if two IDs collided
      store.db.prepare(`INSERT INTO messages (id_hash, message_id, received_at, kind, decision, reason) VALUES (?, 'first', 1, 'device_alert', 'drop', 'stale-cos-noncritical')`)
        .run(hash52('second'))
      expect(await store.commitAccepted(dropped('second', 2))).toMatchObject({ duplicate: false })
      expect(await store.commitAccepted(dropped('second', 3))).toMatchObject({ duplicate: true })
      expect(store.db.prepare('SELECT COUNT(*) FROM messages WHERE id_hash = ?').pluck().get(hash52('second'))).toBe(2)
    } finally {
      await store.close()
    }
  })
})

describe('migration 9: the obligation counts from an index', () => {
  it('counts per type and status with one walk of obligations_counts (no table row read, no sort), pending past due as overdue', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dccgw-migrate-'))
    dirs.push(dir)
    const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL' })
    try {
      const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${OBLIGATION_COUNTS_SQL}`).all(0) as { detail: string }[]).map((r) => r.detail)
      expect(plan).toEqual(['SCAN obligations USING COVERING INDEX obligations_counts'])
      const insert = store.db.prepare(`INSERT INTO obligations (id, type, status, to_party, created_at, due_at) VALUES (?, ?, ?, 'BRITE', 0, ?)`)
      insert.run('a', 'critical-forward', 'open', 100) // past due at 500: overdue
      insert.run('b', 'critical-forward', 'notified', 200) // past due: overdue
      insert.run('c', 'critical-forward', 'open', 900) // not yet due
      insert.run('d', 'critical-forward', 'overdue', 50) // overdue already
      insert.run('e', 'critical-forward', 'acknowledged', 100) // done: never overdue
      insert.run('f', 'install-code', 'escalated', 1000)
      const counts = await store.obligationCounts(500)
      expect(counts).toHaveLength(4)
      expect(counts).toEqual(expect.arrayContaining([
        { type: 'critical-forward', status: 'open', n: 1 },
        { type: 'critical-forward', status: 'overdue', n: 3 },
        { type: 'critical-forward', status: 'acknowledged', n: 1 },
        { type: 'install-code', status: 'escalated', n: 1 },
      ]))
      // read at every scrape and every timer check: prepared once per connection, not at each read
      await store.dueObligations(500)
      const prepare = vi.spyOn(store.db, 'prepare')
      expect(await store.obligationCounts(600)).toHaveLength(4)
      expect((await store.dueObligations(600)).map((o) => o.id).sort()).toEqual(['a', 'b'])
      expect(prepare).not.toHaveBeenCalled()
    } finally {
      await store.close()
    }
  })
})

describe('migration 10: no index for the stale-CoS report', () => {
  it('drops messages_stale from a version-9 database; the report gives the same rows, read in arrival order', async () => {
    const { dir, old } = databaseAt(9)
    const insert = old.prepare(`INSERT INTO messages (id_hash, message_id, received_at, response_time, kind, decision, reason, party, to_party, mpxn, supply_start_date)
      VALUES (?, ?, ?, ?, 'device_alert', ?, ?, ?, 'BRITE', ?, ?)`)
    for (let k = 0; k < 60; k++) {
      const id = `m-${k}`
      insert.run(hash52(id), id, k * 1_000, k * 1_000, k % 3 === 0 ? 'forward' : 'drop', k % 3 === 0 ? 'stale-cos-critical' : 'stale-cos-noncritical',
        k % 2 === 0 ? 'ACME' : 'SOLAR', `10000000000${k % 7}`, k % 5 === 0 ? null : `2025-03-0${1 + (k % 4)}`)
    }
    // the report's rows before: the old index in place
    const expected = staleCosRows(old, 0)
    const since = staleCosRows(old, 30_000)
    old.close()
    expect(expected.length).toBeGreaterThan(10)

    const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL' })
    try {
      expect(store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'messages_stale'").get()).toBeUndefined()
      expect(await store.staleCosRows(0)).toEqual(expected)
      expect(await store.staleCosRows(30_000)).toEqual(since)
      const plan = (store.db.prepare(`EXPLAIN QUERY PLAN SELECT party FROM messages WHERE supply_start_date IS NOT NULL AND party IS NOT NULL AND received_at >= ?`).all(0) as { detail: string }[]).map((r) => r.detail)
      expect(plan).toEqual(['SEARCH messages USING INDEX messages_received (received_at>?)'])
    } finally {
      await store.close()
    }
  })
})

describe('migration 11: the audit rows by receipt time and hash, one index in time order', () => {
  it('replaces the hash index and the time index of a version-10 database with one on (received_at, id_hash); rows are still found', async () => {
    const { dir, old } = databaseAt(10)
    const insert = old.prepare(`INSERT INTO messages (id_hash, message_id, received_at, kind, decision, reason, quarantine_id) VALUES (?, ?, ?, 'device_alert', ?, ?, ?)`)
    for (let k = 0; k < 50; k++) insert.run(hash52(`m-${k}`), `m-${k}`, k * 1_000, k === 7 ? 'quarantine' : 'drop', k === 7 ? 'unknown-device' : 'stale-cos-noncritical', k === 7 ? 'q-7' : null)
    old.close()

    const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL' })
    try {
      const indexes = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' ORDER BY name").pluck().all()
      expect(indexes).toEqual(['messages_credentials', 'messages_received'])
      expect(store.db.prepare("SELECT name FROM pragma_index_info('messages_received') ORDER BY seqno").pluck().all()).toEqual(['received_at', 'id_hash'])
      const plan = (sql: string, ...args: unknown[]) => (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail)
      // by time and hash: a range of the index; by hash alone: the whole index, never the table
      expect(plan('SELECT id FROM messages WHERE received_at >= ? AND received_at < ? AND id_hash = ? AND message_id = ?', 0, 1, 1, 'x'))
        .toEqual(['SEARCH messages USING INDEX messages_received (received_at>? AND received_at<?)'])
      expect(plan('SELECT id FROM messages INDEXED BY messages_received WHERE id_hash = ? AND message_id = ?', 1, 'x')).toEqual(['SCAN messages USING INDEX messages_received'])
      // the dedupe memory's start reads the index alone
      expect(plan('SELECT id_hash, received_at FROM messages WHERE received_at >= ? ORDER BY received_at LIMIT ?', 0, 10))
        .toEqual(['SEARCH messages USING COVERING INDEX messages_received (received_at>?)'])
      expect(await store.commitAccepted(dropped('m-7', 90_000))).toMatchObject({ decision: 'quarantine', quarantineId: 'q-7', duplicate: true })
      expect(await store.commitAccepted(dropped('m-8', 90_000))).toMatchObject({ decision: 'drop', duplicate: true })
      expect(await store.commitAccepted(dropped('m-50', 90_000))).toMatchObject({ duplicate: false })
    } finally {
      await store.close()
    }
  })
})

describe('migration 12: a quarantine row keeps its message\'s receipt time', () => {
  it('adds the column; a version-11 row without it is still released, its audit row found by the hash alone', async () => {
    const { dir, old } = databaseAt(11)
    old.prepare(`INSERT INTO messages (id_hash, message_id, received_at, kind, decision, reason, quarantine_id) VALUES (?, 'm-1', 1000, 'device_alert', 'quarantine', 'adapter-rejected', 'q-1')`)
      .run(hash52('m-1'))
    old.prepare(`INSERT INTO quarantine (id, message_id, received_at, reason, kind, content_type, size, body, critical) VALUES ('q-1', 'm-1', 61000, 'adapter-rejected', 'device_alert', 'application/xml', 4, x'3c782f3e', 0)`).run()
    old.close()
    const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL' })
    try {
      expect(store.db.prepare("SELECT COUNT(*) FROM pragma_table_info('quarantine') WHERE name = 'message_received_at'").pluck().get()).toBe(1)
      expect(await store.releaseQuarantined('q-1', { ...dropped('m-1', 90_000), decision: { decision: 'deliver', reason: 'operator-released', deliverTo: 'ACME', critical: false, mpxn: '1000000000001' } }, 'operator-1'))
        .toMatchObject({ decision: 'deliver', duplicate: false })
      expect(store.db.prepare("SELECT decision, received_at AS at FROM messages WHERE message_id = 'm-1'").all()).toEqual([{ decision: 'deliver', at: 90_000 }])
    } finally {
      await store.close()
    }
  })
})

describe('migration 13: the kept originals in arrival order', () => {
  it('keeps every original of a version-12 database in arrival order; the same record twice is one row; the purge reads a range of the index', async () => {
    const { dir, old } = databaseAt(12)
    const insert = old.prepare('INSERT INTO originals (message_id, received_at, content_type, body) VALUES (?, ?, ?, ?)')
    insert.run('zz-first', 1_000, 'application/xml', Buffer.from('<a/>')) // key order is not arrival order
    insert.run('aa-second', 2_000, 'application/xml', Buffer.from('<b/>'))
    insert.run('mm-third', 3_000, 'text/xml', Buffer.from('<c/>'))
    old.close()

    const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL' })
    try {
      const db = store.db
      expect(db.prepare('SELECT message_id AS m, received_at AS at, content_type AS t, CAST(body AS TEXT) AS b FROM originals ORDER BY rowid').all()).toEqual([
        { m: 'zz-first', at: 1_000, t: 'application/xml', b: '<a/>' },
        { m: 'aa-second', at: 2_000, t: 'application/xml', b: '<b/>' },
        { m: 'mm-third', at: 3_000, t: 'text/xml', b: '<c/>' },
      ])
      // a rowid table now: new rows append in arrival order
      expect(db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'originals'").pluck().get()).not.toMatch(/WITHOUT ROWID/)
      // the projection applying one record twice (INSERT OR IGNORE) leaves one row
      const again = db.prepare('INSERT OR IGNORE INTO originals (message_id, received_at, content_type, body) VALUES (?, ?, ?, ?)')
      expect(again.run('aa-second', 2_000, 'application/xml', Buffer.from('<b/>')).changes).toBe(0)
      expect(again.run('new-one', 4_000, 'application/xml', Buffer.from('<d/>')).changes).toBe(1)
      const plan = (db.prepare('EXPLAIN QUERY PLAN DELETE FROM originals WHERE received_at < ?').all(2_500) as { detail: string }[]).map((r) => r.detail).join('; ')
      expect(plan).toMatch(/USING (COVERING )?INDEX originals_received \(received_at<\?\)/)
      expect(await store.purgeOriginals(2_500)).toBe(2)
      expect(db.prepare('SELECT message_id FROM originals ORDER BY rowid').pluck().all()).toEqual(['mm-third', 'new-one'])
    } finally {
      await store.close()
    }
  })
})

describe('migration 14: the obligations as a rowid table', () => {
  it('keeps every obligation of a version-13 database with its notice; the ID and the subject stay unique keys', async () => {
    const { dir, old } = databaseAt(13)
    const insert = old.prepare(`INSERT INTO obligations (id, type, status, message_id, from_party, to_party, mpxn, alert_code, alert_time, created_at, due_at,
        level, notified_at, notice, text, subject) VALUES (?, ?, ?, ?, 'SUP00', 'SUP05', '1000000000001', '8F35', ?, ?, ?, 0, ?, ?, ?, ?)`)
    const text = 'A critical alert for a meter you now supply.\n'.repeat(60) // ~2.7 KB: more than a WITHOUT ROWID leaf keeps
    insert.run('ob-2', 'critical-forward', 'notified', 'm-2', 2_000, 2_000, 90_000, 2_500, JSON.stringify({ messageId: 'm-2' }), text, null)
    insert.run('ob-1', 'critical-quarantined', 'open', 'm-1', 1_000, 1_000, 80_000, null, JSON.stringify({ messageId: 'm-1', quarantineId: 'q-1' }), text, 'critical-quarantined:q-1')
    old.close()

    const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL' })
    try {
      const db = store.db
      expect(db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'obligations'").pluck().get()).not.toMatch(/WITHOUT ROWID/)
      // in creation order now, every column kept (the notice and its text moved on in migration 15)
      expect(db.prepare('SELECT id, status, due_at AS dueAt, notified_at AS n, subject FROM obligations ORDER BY rowid').all()).toEqual([
        { id: 'ob-1', status: 'open', dueAt: 80_000, n: null, subject: 'critical-quarantined:q-1' },
        { id: 'ob-2', status: 'notified', dueAt: 90_000, n: 2_500, subject: null },
      ])
      expect(await store.getObligation('ob-1')).toMatchObject({ id: 'ob-1', status: 'open', notice: { messageId: 'm-1', quarantineId: 'q-1' }, text })
      const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('x') as { detail: string }[]).map((r) => r.detail).join('; ')
      expect(plan('SELECT status FROM obligations WHERE id = ?')).toMatch(/USING INDEX sqlite_autoindex_obligations_1 \(id=\?\)/)
      expect(plan('SELECT id FROM obligations WHERE subject = ?')).toMatch(/USING (COVERING )?INDEX obligations_subject \(subject=\?\)/)
      expect(db.prepare("SELECT name FROM sqlite_schema WHERE tbl_name = 'obligations' AND type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all())
        .toEqual(['obligations_counts', 'obligations_status', 'obligations_subject'])
      expect(() => db.prepare("INSERT INTO obligations (id, type, status, to_party, created_at, due_at) VALUES ('ob-1', 'install-code', 'open', 'SUP05', 3, 3)").run())
        .toThrow(/UNIQUE constraint failed: obligations.id/)
      expect(() => db.prepare("INSERT INTO obligations (id, type, status, to_party, created_at, due_at, subject) VALUES ('ob-3', 'critical-quarantined', 'open', 'SUP05', 3, 3, 'critical-quarantined:q-1')").run())
        .toThrow(/UNIQUE constraint failed: obligations.subject/)
      // a status change of the migrated row, through the store
      expect(await store.acknowledgeObligation('ob-2', 'SUP05', 95_000)).toBe('ok')
      expect(await store.getObligation('ob-2')).toMatchObject({ status: 'acknowledged', ackedAt: 95_000, ackedBy: 'SUP05', text })
    } finally {
      await store.close()
    }
  })
})

describe('migration 15: the notices in a table of their own', () => {
  it('moves every notice and its text out of the obligation rows; the store reads them as before and writes both for a new obligation', async () => {
    const { dir, old } = databaseAt(14)
    const insert = old.prepare(`INSERT INTO obligations (id, type, status, message_id, to_party, created_at, due_at, notice, text, subject)
      VALUES (?, 'critical-forward', ?, ?, 'SUP05', ?, ?, ?, ?, ?)`)
    insert.run('ob-1', 'notified', 'm-1', 1_000, 80_000, JSON.stringify({ messageId: 'm-1' }), 'first notice', null)
    insert.run('ob-2', 'open', 'm-2', 2_000, 90_000, JSON.stringify({ messageId: 'm-2', quarantineId: 'q-2' }), 'second notice', 'critical-quarantined:q-2')
    old.close()

    const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 16, synchronous: 'NORMAL' })
    try {
      const db = store.db
      const columns = db.prepare("SELECT name FROM pragma_table_info('obligations')").pluck().all()
      expect(columns).not.toContain('notice')
      expect(columns).not.toContain('text')
      expect(db.prepare('SELECT obligation_id AS id, notice, text FROM obligation_notices ORDER BY rowid').all()).toEqual([
        { id: 'ob-1', notice: '{"messageId":"m-1"}', text: 'first notice' },
        { id: 'ob-2', notice: '{"messageId":"m-2","quarantineId":"q-2"}', text: 'second notice' },
      ])
      expect(await store.getObligation('ob-2')).toMatchObject({ id: 'ob-2', status: 'open', notice: { messageId: 'm-2', quarantineId: 'q-2' }, text: 'second notice' })
      expect((await store.listObligations('open', 0)).map((o) => [o.id, o.text])).toEqual([['ob-1', 'first notice'], ['ob-2', 'second notice']])
      expect((await store.listObligations('all', 0)).map((o) => [o.id, o.notice])).toEqual([['ob-1', { messageId: 'm-1' }], ['ob-2', { messageId: 'm-2', quarantineId: 'q-2' }]])
      // the notice is found by its obligation's ID through its own index
      const plan = (db.prepare(`EXPLAIN QUERY PLAN SELECT notice FROM obligation_notices WHERE obligation_id = ?`).all('x') as { detail: string }[]).map((r) => r.detail).join('; ')
      expect(plan).toMatch(/USING INDEX obligation_notices_obligation \(obligation_id=\?\)/)
      // a status change touches the row alone; the notice stays as written
      expect(await store.acknowledgeObligation('ob-2', 'SUP05', 95_000)).toBe('ok')
      expect(await store.getObligation('ob-2')).toMatchObject({ status: 'acknowledged', notice: { messageId: 'm-2', quarantineId: 'q-2' }, text: 'second notice' })
      // a new obligation is written with its notice; one opened twice (same subject) keeps its first
      const draft = { id: 'ob-4', type: 'install-code' as const, toParty: 'SUP05', dueAt: 200_000, notice: { device: 'd-1' }, text: 'install code', subject: 'install-code:d-1:m:SUP05' }
      expect(await store.openObligations([draft], 150_000, 'gateway')).toEqual(['ob-4'])
      expect(await store.openObligations([{ ...draft, id: 'ob-5', text: 'again' }], 160_000, 'gateway')).toEqual([])
      expect(await store.getObligation('ob-4')).toMatchObject({ status: 'open', notice: { device: 'd-1' }, text: 'install code' })
      expect(db.prepare("SELECT COUNT(*) FROM obligation_notices WHERE obligation_id IN ('ob-4', 'ob-5')").pluck().get()).toBe(1)
      // an obligation without a notice row (none is written so) is still listed, with an empty notice
      db.prepare("INSERT INTO obligations (id, type, status, to_party, created_at, due_at) VALUES ('ob-3', 'install-code', 'open', 'SUP05', 3, 100_000)").run()
      expect(await store.getObligation('ob-3')).toMatchObject({ id: 'ob-3', notice: {}, text: '' })
    } finally {
      await store.close()
    }
  })
})
