// The store port's contract (docs/journal.md): the same tests against both backends, the embedded
// SQLite store in a temp folder and the clustered NATS store against one local nats-server
// started here (test/cluster-harness.ts). Every port method the admin API uses is covered, and the
// admin endpoints themselves are driven over HTTP through the real router (src/admin) with each
// store behind it: what a backend cannot do answers its documented status, never 500.
import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '@nats-io/transport-node'
import { jetstreamManager } from '@nats-io/jetstream'
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest'
import { NatsCluster } from '../../test/cluster-harness.js'
import { adminCredentials, handleAdmin } from '../admin/index.js'
import type { Decision } from '../policy/index.js'
import type { GatewayStore } from './gateway-store.js'
import { NatsStore } from './nats/index.js'
import { JournaledStore } from './journaled-store.js'
import { SqliteStore } from './sqlite-store.js'
import { StoreError } from './store-error.js'
import type { AcceptedRecord, ObligationDraft } from './types.js'

interface Opened {
  store: GatewayStore
  /** makes the next writes of a decision's effects fail (a full disk, a refused publish); returns the undo */
  failEffects(): Promise<() => Promise<void>>
  /** a second handle on the same data (another gateway instance, the CLI); closed with this one */
  peer(): Promise<GatewayStore>
  /** until another handle sees what this one acknowledged (the journaled store's projection lag) */
  settle?(): Promise<void>
  close(): Promise<void>
}

interface Backend {
  name: string
  open(): Promise<Opened>
  /** the stale-CoS report and the quarantine count per reason need a queryable history */
  reports: boolean
}

let cluster: NatsCluster | undefined

const SQLITE_OPTIONS = { commitIntervalMs: 0, commitBatch: 64, synchronous: 'NORMAL' } as const

/** A SQLite-backed store in a temp folder (plain or journaled); its peers are plain SqliteStores, like the CLI. */
async function sqliteFamily(prefix: string, make: (dir: string) => SqliteStore | Promise<SqliteStore>): Promise<Opened> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const store = await make(dir)
  const peers: SqliteStore[] = []
  return {
    store,
    async failEffects() {
      // every spool write fails inside the transaction, as a full disk would fail it
      store.db.exec("CREATE TEMP TRIGGER inject_failure BEFORE INSERT ON spool BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
      return async () => void store.db.exec('DROP TRIGGER inject_failure')
    },
    async peer() {
      peers.push(new SqliteStore({ path: dir, ...SQLITE_OPTIONS }))
      return peers.at(-1)!
    },
    ...(store instanceof JournaledStore && { settle: () => store.flushProjection() }),
    async close() {
      for (const p of peers) await p.close()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    reports: true,
    open: () => sqliteFamily('dccgw-port-', (dir) => new SqliteStore({ path: dir, ...SQLITE_OPTIONS })),
  },
  {
    // the gateway's embedded store: the journal on the hot path, SQLite as the projection; its
    // peer is the CLI, a plain SqliteStore on the same folder
    name: 'sqlite+journal',
    reports: true,
    open: () => sqliteFamily('dccgw-port-j-', (dir) => JournaledStore.open({ path: dir, ...SQLITE_OPTIONS, journal: { segmentBytes: 1 << 20 } })),
  },
  {
    name: 'nats',
    reports: false,
    async open() {
      cluster ??= await NatsCluster.start(1)
      const prefix = `PORT${randomUUID().slice(0, 8).toUpperCase()}`
      const urls = cluster.urls
      const open = () => NatsStore.open({
        servers: urls, prefix, replicas: 1, dedupeWindowMs: 86_400_000, quarantineRetentionMs: 30 * 86_400_000,
        ackWaitMs: 30_000, maxAckPending: 1000, publishTimeoutMs: 5000, concurrency: 4, name: 'store-port contract',
      }, { lease: false })
      const store = await open()
      const peers: NatsStore[] = []
      const nc = await connect({ servers: cluster.urls })
      const jsm = await jetstreamManager(nc)
      return {
        store,
        async failEffects() {
          // the spool stream refuses every message: a publish fails as it does without quorum
          await jsm.streams.update(`${prefix}_SPOOL`, { max_msg_size: 1 })
          return async () => void (await jsm.streams.update(`${prefix}_SPOOL`, { max_msg_size: -1 }))
        },
        async peer() {
          peers.push(await open())
          return peers.at(-1)!
        },
        async close() {
          for (const p of peers) await p.close()
          await store.close()
          await nc.close()
        },
      }
    },
  },
]

afterAll(async () => {
  await cluster?.stop()
})

const DAY = 86_400_000

describe.each(backends)('store port contract: $name', (backend) => {
  let o: Opened
  let store: GatewayStore
  let n = 0
  /** an MPxN no other test of this run uses, so filters isolate each test's rows */
  let mpxn: string

  beforeEach(async () => {
    o = await backend.open()
    store = o.store
    mpxn = String(1_000_000_000_000 + Math.floor(Math.random() * 8_999_999_999_999))
  }, 30_000)
  afterEach(async () => {
    await o.close()
  })

  function record(decision: Partial<Decision> & Pick<Decision, 'decision' | 'reason'>, extra: Partial<AcceptedRecord> = {}): AcceptedRecord {
    n++
    const at = Date.now() + n // strictly increasing: "oldest" and "newest" are well defined in every store
    return {
      messageId: `contract-${randomUUID()}`, receivedAt: at, kind: 'device_alert', responseTime: at, alertCode: '8F3D', recipientParty: 'ACME',
      decision: { critical: false, mpxn, ...decision }, contentType: 'application/xml',
      body: Buffer.from(`<Response n="${n}">${'x'.repeat(90)}</Response>`), headers: {}, ...extra,
    }
  }

  const quarantined = (extra: Partial<Decision> = {}) => record({ decision: 'quarantine', reason: 'unknown-device', ...extra })

  function forward(): AcceptedRecord {
    const id = randomUUID()
    const obligation: ObligationDraft = {
      id, type: 'critical-forward', fromParty: 'ACME', toParty: 'BRITE', mpxn, alertCode: '8F3D', alertTime: Date.now(), dueAt: Date.now() + DAY,
      notice: { obligationId: id, mpxn }, text: `obligation ${id}`,
    }
    return record({ decision: 'forward', reason: 'stale-cos-critical', critical: true, fromParty: 'ACME', toParty: 'BRITE', supplyStartDate: '2025-03-01' }, { obligation })
  }

  async function quarantine(extra: Partial<Decision> = {}): Promise<{ id: string; rec: AcceptedRecord }> {
    const rec = quarantined(extra)
    const out = await store.commitAccepted(rec)
    expect(out).toMatchObject({ decision: 'quarantine', duplicate: false, quarantineId: expect.any(String) })
    return { id: out.quarantineId!, rec }
  }

  const releaseAs = (rec: AcceptedRecord): AcceptedRecord => ({ ...rec, decision: { decision: 'deliver', reason: 'operator-released', deliverTo: 'ACME', critical: false, mpxn } })

  it('recognises a repeat and answers the first decision', async () => {
    const rec = record({ decision: 'drop', reason: 'stale-cos-noncritical' })
    expect(await store.commitAccepted(rec)).toMatchObject({ decision: 'drop', duplicate: false })
    expect(await store.commitAccepted({ ...rec, decision: { ...rec.decision, decision: 'deliver', reason: 'responsible', deliverTo: 'ACME' } }))
      .toMatchObject({ messageId: rec.messageId, decision: 'drop', reason: 'stale-cos-noncritical', duplicate: true })
  })

  it('lists quarantined messages newest first with filters and a cursor, and serves each row and its bytes', async () => {
    const held = [await quarantine(), await quarantine(), await quarantine()]
    const page1 = await store.listQuarantine({ mpxn, limit: 2 })
    expect(page1.items.map((q) => q.id)).toEqual([held[2]!.id, held[1]!.id])
    expect(page1.nextCursor).toEqual(expect.any(String))
    const page2 = await store.listQuarantine({ mpxn, limit: 2, cursor: page1.nextCursor! })
    expect(page2.items.map((q) => q.id)).toEqual([held[0]!.id])
    expect(page2.nextCursor).toBeNull()
    expect((await store.listQuarantine({ mpxn, reason: 'adapter-rejected', limit: 10 })).items).toEqual([])
    const row = await store.getQuarantine(held[0]!.id)
    expect(row).toMatchObject({
      id: held[0]!.id, messageId: held[0]!.rec.messageId, reason: 'unknown-device', mpxn, contentType: 'application/xml',
      size: held[0]!.rec.body.byteLength, critical: false, alertCode: '8F3D',
    })
    expect(await store.getQuarantineBody(held[0]!.id)).toEqual(Buffer.from(held[0]!.rec.body))
    expect(await store.getQuarantine(randomUUID())).toBeUndefined()
    expect(await store.getQuarantineBody(randomUUID())).toBeUndefined()
    await expect(store.listQuarantine({ limit: 1, cursor: 'bm90LW91cnM' })).rejects.toMatchObject({ code: 'DCCGW_ERR_BAD_REQUEST', status: 400 })
  })

  it('filters by critical and alert code, and keeps the raw bytes of a malformed document', async () => {
    const critical = await quarantine({ critical: true })
    await quarantine()
    expect((await store.listQuarantine({ mpxn, critical: true, limit: 10 })).items.map((q) => q.id)).toEqual([critical.id])
    expect((await store.listQuarantine({ mpxn, alertCode: '8f3d', limit: 10 })).items).toHaveLength(2)
    const id = await store.commitMalformed({ receivedAt: Date.now(), contentType: 'text/xml', body: Buffer.from('<not-duis'), code: 'XML', detail: 'unclosed' })
    expect(await store.getQuarantine(id)).toMatchObject({ id, reason: 'malformed', critical: false, messageId: null, size: 9 })
    expect((await store.getQuarantineBody(id))!.toString()).toBe('<not-duis')
  })

  it('releases a quarantined message once: the new decision replaces it, and the release is audited', async () => {
    const { id, rec } = await quarantine()
    const out = await store.releaseQuarantined(id, releaseAs(rec), 'operator-1')
    expect(out).toMatchObject({ messageId: rec.messageId, decision: 'deliver', reason: 'operator-released', duplicate: false })
    expect(await store.getQuarantine(id)).toBeUndefined()
    expect((await store.commitAccepted(rec))).toMatchObject({ decision: 'deliver', reason: 'operator-released', duplicate: true })
    const err = await store.releaseQuarantined(id, releaseAs(rec), 'operator-1').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect(err).toMatchObject({ code: 'DCCGW_ERR_NOT_FOUND', status: 404 })
    const audit = await store.listAudit({ action: 'quarantine.release', limit: 10 })
    expect(audit.filter((a) => a.target === id)).toEqual([expect.objectContaining({ actor: 'operator-1', detail: 'deliver/operator-released' })])
  })

  it('keeps the message quarantined when the released decision cannot be written, and releases it once that works again', async () => {
    const { id, rec } = await quarantine()
    const undo = await o.failEffects()
    await expect(store.releaseQuarantined(id, releaseAs(rec), 'operator-1')).rejects.toThrow()
    await undo()
    expect(await store.getQuarantine(id)).toMatchObject({ id, reason: 'unknown-device' })
    expect(await store.getQuarantineBody(id)).toEqual(Buffer.from(rec.body))
    expect((await store.listAudit({ action: 'quarantine.release', limit: 10 })).filter((a) => a.target === id)).toEqual([])
    expect(await store.releaseQuarantined(id, releaseAs(rec), 'operator-1')).toMatchObject({ decision: 'deliver' })
    expect(await store.getQuarantine(id)).toBeUndefined()
  })

  it('deletes a quarantined message (audited) and says when there was none', async () => {
    const { id } = await quarantine()
    expect(await store.deleteQuarantined(id, 'operator-2')).toBe(true)
    expect(await store.getQuarantine(id)).toBeUndefined()
    expect(await store.deleteQuarantined(id, 'operator-2')).toBe(false)
    expect((await store.listAudit({ action: 'quarantine.delete', limit: 10 })).map((a) => [a.target, a.actor, a.detail])).toEqual([[id, 'operator-2', null]])
    // the operator's reason, when given, is the audit row's detail in either store
    const second = await quarantine()
    expect(await store.deleteQuarantined(second.id, 'operator-3', 'test device, never installed')).toBe(true)
    expect((await store.listAudit({ action: 'quarantine.delete', limit: 1 })).map((a) => [a.target, a.detail])).toEqual([[second.id, 'test device, never installed']])
  })

  it('applies the retention rules: quarantine by age and by size, kept originals by age', async () => {
    const held = [await quarantine(), await quarantine(), await quarantine()]
    const size = held[0]!.rec.body.byteLength
    expect(await store.purgeQuarantine(Date.now() - DAY, 'retention')).toBe(0)
    // room for two: the oldest goes
    expect(await store.purgeQuarantineOverSize(2 * size + 10, 'retention')).toBe(1)
    expect(await store.getQuarantine(held[0]!.id)).toBeUndefined()
    expect(await store.getQuarantine(held[2]!.id)).toBeDefined()
    expect(await store.purgeQuarantineOverSize(10 * size, 'retention')).toBe(0)
    expect(await store.purgeQuarantine(Date.now() + 1000, 'retention')).toBe(2)
    expect((await store.listQuarantine({ mpxn, limit: 10 })).items).toEqual([])
    expect((await store.listAudit({ action: 'quarantine.purge', limit: 10 })).map((a) => a.actor)).toEqual(['retention', 'retention'])

    await store.commitAccepted(forward())
    expect(await store.purgeOriginals(Date.now() - DAY)).toBe(0)
    expect(await store.purgeOriginals(Date.now() + 1000)).toBe(1)
    // message IDs are kept at least for the dedupe window
    expect(await store.purgeMessages(Date.now() - DAY)).toBe(0)
  })

  it('opens an obligation with a forward and reads it back at once: list, one, history, counts, due', async () => {
    const rec = forward()
    const out = await store.commitAccepted(rec)
    const id = out.obligationId!
    expect(id).toEqual(expect.any(String))
    expect((await store.listObligations('open', Date.now())).map((x) => x.id)).toContain(id)
    expect(await store.getObligation(id)).toMatchObject({ id, type: 'critical-forward', status: 'open', level: 0, toParty: 'BRITE', mpxn, messageId: rec.messageId })
    expect(await store.obligationEvents(id)).toEqual([expect.objectContaining({ status: 'open', level: 0 })])
    expect(await store.obligationCounts(Date.now())).toContainEqual({ type: 'critical-forward', status: 'open', n: 1 })
    expect(await store.obligationCounts(Date.now() + 2 * DAY)).toContainEqual({ type: 'critical-forward', status: 'overdue', n: 1 })
    expect((await store.dueObligations(Date.now())).map((x) => x.id)).not.toContain(id)
    expect((await store.dueObligations(Date.now() + 2 * DAY)).map((x) => x.id)).toContain(id)
    expect((await store.listObligations('overdue', Date.now() + 2 * DAY)).map((x) => x.id)).toContain(id)
    expect(await store.getObligation(randomUUID())).toBeUndefined()
  })

  it('escalates by compare-and-set, then acknowledges once; each step is in the history and the audit', async () => {
    const id = (await store.commitAccepted(forward())).obligationId!
    const now = Date.now() + 2 * DAY
    const step = {
      id, expect: { status: 'open' as const, level: 0 },
      events: [{ status: 'overdue' as const, level: 0, dueAt: now - DAY }, { status: 'escalated' as const, level: 1, dueAt: now + DAY }],
    }
    expect(await store.applyObligationTransitions([step], now, 'scheduler')).toEqual([id])
    // planned from a state that is gone: nothing changes
    expect(await store.applyObligationTransitions([step], now, 'scheduler')).toEqual([])
    expect(await store.getObligation(id)).toMatchObject({ status: 'escalated', level: 1, dueAt: now + DAY })
    expect((await store.obligationEvents(id)).map((e) => e.status)).toEqual(['open', 'overdue', 'escalated'])
    expect(await store.acknowledgeObligation(id, 'operator-3', now)).toBe('ok')
    expect(await store.acknowledgeObligation(id, 'operator-3', now)).toBe('already')
    expect(await store.acknowledgeObligation(randomUUID(), 'operator-3', now)).toBe('not-found')
    expect(await store.getObligation(id)).toMatchObject({ status: 'acknowledged', ackedBy: 'operator-3', ackedAt: now })
    expect((await store.listObligations('done', now)).map((x) => x.id)).toContain(id)
    expect((await store.listObligations('open', now)).map((x) => x.id)).not.toContain(id)
    expect((await store.dueObligations(now + 10 * DAY)).map((x) => x.id)).not.toContain(id)
    expect((await store.obligationEvents(id)).at(-1)).toMatchObject({ status: 'acknowledged', actor: 'operator-3' })
    expect((await store.listAudit({ action: 'obligation.ack', limit: 10 })).map((a) => a.target)).toEqual([id])
  })

  it('reads at once what another handle on the same data wrote (another instance, the CLI)', async () => {
    const peer = await o.peer()
    for (let i = 0; i < 20; i++) {
      const id = (await store.commitAccepted(forward())).obligationId!
      await o.settle?.()
      expect(await peer.getObligation(id)).toMatchObject({ id, status: 'open' })
      // the notice reached the acquiring supplier, delivered by the other instance
      const notice = {
        id: -1, messageId: `notice-${id}`, target: 'notice' as const, party: 'BRITE', mpxn, contentType: 'application/json', body: Buffer.from('{}'),
        headers: {}, attempts: 0, nextAttemptAt: Date.now(), createdAt: Date.now(), obligationId: id,
      }
      await peer.completeDelivery(notice, Date.now())
      expect(await store.getObligation(id)).toMatchObject({ id, status: 'notified' })
      expect((await store.dueObligations(Date.now() + 10 * DAY)).find((x) => x.id === id)).toMatchObject({ status: 'notified' })
      expect(await peer.acknowledgeObligation(id, 'peer', Date.now())).toBe('ok')
      expect(await store.getObligation(id)).toMatchObject({ id, status: 'acknowledged', ackedBy: 'peer' })
      expect((await store.dueObligations(Date.now() + 10 * DAY)).map((x) => x.id)).not.toContain(id)
      expect((await peer.listObligations('done', Date.now())).map((x) => x.id)).toContain(id)
    }
    const { id } = await quarantine()
    await o.settle?.()
    expect(await peer.getQuarantine(id)).toMatchObject({ id })
    expect(await peer.deleteQuarantined(id, 'peer')).toBe(true)
    expect(await store.getQuarantine(id)).toBeUndefined()
  })

  it('opens install-code obligations from drafts once', async () => {
    const draft: ObligationDraft = {
      id: randomUUID(), type: 'install-code', toParty: 'BRITE', mpxn, dueAt: Date.now() + 5 * DAY, notice: { mpxn }, text: 'install code',
      subject: `install-code:00-11-22-33-44-55-66-77:${mpxn}:BRITE`,
    }
    const opened = await store.openObligations([draft], Date.now(), 'registry-reload')
    expect(opened).toHaveLength(1)
    expect(await store.openObligations([draft], Date.now(), 'registry-reload')).toEqual([])
    expect(await store.getObligation(opened[0]!)).toMatchObject({ type: 'install-code', status: 'open', toParty: 'BRITE', mpxn })
    expect(await store.obligationEvents(opened[0]!)).toEqual([expect.objectContaining({ status: 'open', actor: 'registry-reload' })])
  })

  it('writes and lists the audit trail newest first, by action and since', async () => {
    const t0 = Date.now()
    await store.writeAudit('admin-api:1.2.3.4', 'registry.reload', null, 'ok')
    await store.writeAudit('admin-api:1.2.3.4', 'registry.reload', null, 'failed: x')
    await store.writeAudit('cli', 'other.action', 'target-1', null)
    const all = await store.listAudit({ limit: 10 })
    expect(all.map((a) => a.detail)).toEqual([null, 'failed: x', 'ok'])
    expect(all[0]).toMatchObject({ actor: 'cli', action: 'other.action', target: 'target-1', atIso: new Date(all[0]!.at).toISOString() })
    expect(all[0]!.id).toBeGreaterThan(all[1]!.id)
    expect((await store.listAudit({ action: 'registry.reload', limit: 1 })).map((a) => a.detail)).toEqual(['failed: x'])
    expect(await store.listAudit({ since: t0 + 60_000, limit: 10 })).toEqual([])
    expect(await store.listAudit({ since: t0 - 1000, limit: 10 })).toHaveLength(3)
  })

  it('reports stale-CoS traffic and counts quarantine per reason, or says it cannot (404, not available)', async () => {
    await store.commitAccepted(forward())
    await quarantine()
    const reports = [store.staleCosRows(0), store.quarantineCounts()] as const
    if (backend.reports) {
      expect(await reports[0]).toContainEqual(expect.objectContaining({ mpxn, party: 'ACME', acquirer: 'BRITE', criticalForwarded: 1, supplyStartDate: '2025-03-01' }))
      expect(await reports[1]).toContainEqual({ reason: 'unknown-device', n: 1 })
    } else {
      for (const r of reports) await expect(r).rejects.toMatchObject({ name: 'StoreError', code: 'DCCGW_ERR_NOT_AVAILABLE', status: 404 })
    }
  })

  it("answers the console's summaries (decisions per minute, quarantine by reason, a reason's ids, audit pages), or says it cannot", async () => {
    const critical = await quarantine({ critical: true })
    const older = await quarantine()
    await quarantine()
    await store.commitAccepted(record({ decision: 'drop', reason: 'stale-cos-noncritical' }))
    await store.writeAudit('console:alice@127.0.0.1', 'console.sign-in', null, 'operator')
    await store.writeAudit('admin-api:1.2.3.4', 'registry.reload', null, 'ok')
    const t = Date.now()
    const reads = {
      perMinute: () => store.decisionsPerMinute(t - 3_600_000, t + 60_000),
      byReason: () => store.quarantineByReason(),
      count: () => store.countQuarantineByReason('unknown-device'),
      ids: () => store.quarantineIdsByReason('unknown-device', 2),
      page: () => store.auditPage({ actor: 'alice', limit: 10 }),
      actions: () => store.auditActions(),
    }
    if (!backend.reports) {
      for (const read of Object.values(reads)) await expect(read()).rejects.toMatchObject({ name: 'StoreError', code: 'DCCGW_ERR_NOT_AVAILABLE', status: 404 })
      return
    }
    const perMinute = await reads.perMinute()
    const total = (decision: string) => perMinute.filter((r) => r.decision === decision).reduce((n, r) => n + r.n, 0)
    expect([total('quarantine'), total('drop')]).toEqual([3, 1])
    expect(perMinute.every((r) => r.minute % 60_000 === 0)).toBe(true)
    expect(await reads.byReason()).toEqual([
      { reason: 'unknown-device', critical: true, n: 1, oldest: critical.rec.receivedAt },
      { reason: 'unknown-device', critical: false, n: 2, oldest: older.rec.receivedAt },
    ])
    expect(await reads.count()).toBe(3)
    expect(await store.countQuarantineByReason('adapter-rejected')).toBe(0)
    expect(await reads.ids()).toEqual([critical.id, older.id])
    expect(await reads.page()).toEqual({ items: [expect.objectContaining({ actor: 'console:alice@127.0.0.1', action: 'console.sign-in' })], nextBefore: null })
    const first = await store.auditPage({ limit: 1 })
    expect(first.items.map((a) => a.action)).toEqual(['registry.reload'])
    expect((await store.auditPage({ limit: 1, before: first.nextBefore! })).items.map((a) => a.action)).toEqual(['console.sign-in'])
    expect(await reads.actions()).toEqual(['console.sign-in', 'registry.reload'])
  })

  describe('through the admin API', () => {
    let server: Server
    let url: string
    const auth = { authorization: 'Bearer contract-token' }
    const get = (path: string) => fetch(`${url}${path}`, { headers: auth })
    const send = (method: string, path: string) => fetch(`${url}${path}`, { method, headers: auth })

    beforeEach(async () => {
      server = createServer((req, res) => {
        const u = new URL(req.url ?? '/', 'http://x')
        handleAdmin(req, res, u, {
          credentials: adminCredentials({ token: 'contract-token' }), store,
          reloadRegistry: async () => ({ loaded: true }),
          releaseQuarantined: async (id, actor) => {
            const row = await store.getQuarantine(id)
            const rec = row && quarantined({})
            return store.releaseQuarantined(id, releaseAs({ ...rec!, messageId: row?.messageId ?? 'none' }), actor)
          },
          now: Date.now,
          purgeQuarantine: async (actor) => ({ byAge: await store.purgeQuarantine(Date.now() + 1000, actor), bySize: 0 }),
        }).catch((err: unknown) => {
          res.writeHead(500).end(String(err))
        })
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
    afterEach(async () => {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    })

    it('quarantine: list, one, raw, release, delete, purge; 404 for what is not there', async () => {
      const a = await quarantine()
      const b = await quarantine()
      const c = await quarantine()
      const list = (await (await get(`/admin/quarantine?mpxn=${mpxn}&limit=2`)).json()) as { items: { id: string }[]; nextCursor: string }
      expect(list.items.map((q) => q.id)).toEqual([c.id, b.id])
      expect((await get(`/admin/quarantine?cursor=!!`)).status).toBe(400)
      expect(await (await get(`/admin/quarantine/${a.id}`)).json()).toMatchObject({ id: a.id, reason: 'unknown-device' })
      expect(Buffer.from(await (await get(`/admin/quarantine/${a.id}?raw=1`)).arrayBuffer())).toEqual(Buffer.from(a.rec.body))
      expect((await get(`/admin/quarantine/${randomUUID()}`)).status).toBe(404)
      const released = await send('POST', `/admin/quarantine/${a.id}/release`)
      expect([released.status, await released.json()]).toEqual([200, expect.objectContaining({ decision: 'deliver' })])
      expect((await send('POST', `/admin/quarantine/${a.id}/release`)).status).toBe(404)
      expect((await send('DELETE', `/admin/quarantine/${b.id}`)).status).toBe(200)
      expect((await send('DELETE', `/admin/quarantine/${b.id}`)).status).toBe(404)
      expect(await (await send('POST', '/admin/quarantine/purge')).json()).toEqual({ byAge: 1, bySize: 0 })
      const audit = (await (await get('/admin/audit?limit=10')).json()) as { items: { action: string }[] }
      expect(audit.items.map((x) => x.action)).toEqual(['quarantine.purge', 'quarantine.delete', 'quarantine.release'])
      expect(await (await get('/admin/audit?action=quarantine.delete')).json()).toMatchObject({ items: [{ target: b.id }] })
    })

    it('obligations: list, one with its history, acknowledge; reload is audited; stale-CoS answers or is 404', async () => {
      const id = (await store.commitAccepted(forward())).obligationId!
      const open = (await (await get('/admin/obligations?status=open')).json()) as { items: { id: string }[] }
      expect(open.items.map((x) => x.id)).toContain(id)
      expect(await (await get(`/admin/obligations/${id}`)).json()).toMatchObject({ id, status: 'open', events: [{ status: 'open' }] })
      expect((await get(`/admin/obligations/${randomUUID()}`)).status).toBe(404)
      const ack = await send('POST', `/admin/obligations/${id}/ack`)
      expect([ack.status, await ack.json()]).toEqual([200, expect.objectContaining({ id, status: 'acknowledged', alreadyAcknowledged: false })])
      expect(await (await send('POST', `/admin/obligations/${id}/ack`)).json()).toMatchObject({ alreadyAcknowledged: true })
      expect((await send('POST', `/admin/obligations/${randomUUID()}/ack`)).status).toBe(404)
      expect(await (await get(`/admin/obligations/${id}`)).json()).toMatchObject({ status: 'acknowledged', events: [{ status: 'open' }, { status: 'acknowledged' }] })
      expect((await send('POST', '/admin/registry/reload')).status).toBe(200)
      expect(await (await get('/admin/audit?action=registry.reload')).json()).toMatchObject({ items: [{ detail: 'ok' }] })

      const report = await get('/admin/reports/stale-cos?format=csv')
      if (backend.reports) {
        expect(report.status).toBe(200)
        expect(await report.text()).toContain(mpxn)
      } else {
        expect(report.status).toBe(404)
        expect(report.headers.get('content-type')).toBe('application/problem+json')
        expect(await report.json()).toMatchObject({ code: 'DCCGW_ERR_NOT_AVAILABLE', status: 404, detail: expect.stringContaining('store.kind nats') })
      }
    })
  })
})

describe('nats: JetStream not answering', () => {
  it('the admin API answers 503 DCCGW_ERR_STORE_UNAVAILABLE, not 500', async () => {
    cluster ??= await NatsCluster.start(1)
    const store = await NatsStore.open({
      servers: cluster.urls, prefix: 'DOWN', replicas: 1, dedupeWindowMs: 86_400_000, quarantineRetentionMs: 30 * 86_400_000,
      ackWaitMs: 30_000, maxAckPending: 1000, publishTimeoutMs: 1000, concurrency: 4, name: 'store-port contract',
    }, { lease: false })
    const server = createServer((req, res) => {
      void handleAdmin(req, res, new URL(req.url ?? '/', 'http://x'), {
        credentials: adminCredentials({ token: 't' }), store, reloadRegistry: async () => ({}), releaseQuarantined: async () => ({}), now: Date.now,
      }).catch(() => res.writeHead(500).end())
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      await cluster.killNode(0)
      for (const path of ['/admin/quarantine', `/admin/quarantine/${randomUUID()}`, '/admin/audit']) {
        const r = await fetch(`${url}${path}`, { headers: { authorization: 'Bearer t' } })
        expect([path, r.status, ((await r.json()) as { code: string }).code]).toEqual([path, 503, 'DCCGW_ERR_STORE_UNAVAILABLE'])
      }
    } finally {
      cluster.startNode(0)
      await cluster.waitReady(1)
      server.closeAllConnections()
      server.close()
      await store.close()
    }
  }, 60_000)
})
