import type { NatsConnection } from '@nats-io/transport-node'
import type { GatewayStore } from '../gateway-store.js'
import { storeUnavailable } from '../gateway-store.js'
import type { AcceptedRecord, CommitOutcome, MalformedRecord, ObligationDraft, ObligationRow, ObligationTransition, QuarantineRow, SpoolItem } from '../types.js'
import { derivedUuid, messageKey } from './ids.js'
import { commitAccepted, commitMalformed, readDecision, withDerivedId, writeEffect } from './ingest.js'
import type { NatsStoreOptions } from './options.js'
import { DONE_STATUSES, quarantineSubject } from '../types.js'
import { fromJson, quarantineHeaders, readQuarantineRow, toJson } from './records.js'
import { ObligationMirror, applyTransitions, openDrafts } from './obligations.js'
import { listQuarantineStream } from './quarantine-list.js'
import type { QuarantineFilter } from '../queries.js'
import { SpoolConsumer } from './spool-consumer.js'
import { connectNats, ensureTopology } from './topology.js'
import type { Topology } from './topology.js'

/**
 * The clustered store (store.kind nats): the same GatewayStore surface as SqliteStore, kept in
 * NATS JetStream streams and KV buckets replicated across the cluster (docs/cluster.md). Every
 * gateway instance is equal: each ingests, and each leases deliveries from the shared consumer.
 */
export class NatsStore implements GatewayStore {
  #t: Topology
  #spool: SpoolConsumer
  #closed = false
  #depth: { target: string; n: number; oldest: number }[] = []
  #bounds: { n: number; bytes: number; oldest: number | null } = { n: 0, bytes: 0, oldest: null }
  #depthTimer: NodeJS.Timeout
  readonly #obligations = new ObligationMirror()
  /** logs what the background loops could not do (set by the gateway) */
  onError: ((err: unknown, what: string) => void) | undefined

  private constructor(t: Topology, spool: SpoolConsumer) {
    this.#t = t
    this.#spool = spool
    spool.onError = (err) => this.onError?.(err, 'spool fetch failed')
    this.#depthTimer = setInterval(() => void this.#refreshDepth(), 5000)
    this.#depthTimer.unref()
  }

  /** Connects, creates or checks the streams, buckets and consumer, and starts leasing deliveries. */
  static async open(o: NatsStoreOptions): Promise<NatsStore> {
    const nc = await connectNats(o)
    try {
      const t = await ensureTopology(nc, o)
      const consumer = await t.js.consumers.get(t.names.spoolStream, t.names.deliveryConsumer)
      const spool = new SpoolConsumer(consumer, o.concurrency, o.ackWaitMs)
      const store = new NatsStore(t, spool)
      await store.#obligations.start(t)
      spool.start()
      void store.#refreshDepth()
      return store
    } catch (err) {
      await nc.close()
      throw err
    }
  }

  get open(): boolean {
    return !this.#closed && !this.#t.nc.isClosed()
  }

  get connection(): NatsConnection {
    return this.#t.nc
  }

  /** fetched deliveries are waiting: the gateway points this at dispatcher.wake() */
  set onSpoolReady(fn: (() => void) | undefined) {
    this.#spool.onReady = fn
  }

  commitAccepted(rec: AcceptedRecord): Promise<CommitOutcome> {
    return guard(commitAccepted(this.#t, rec), 'decision')
  }

  commitMalformed(rec: MalformedRecord): Promise<string> {
    return guard(commitMalformed(this.#t, rec), 'quarantine')
  }

  dueSpool(_now: number, limit: number, blocked?: readonly string[]): SpoolItem[] {
    return this.#closed ? [] : this.#spool.due(limit, blocked)
  }

  /** Deliveries are due the moment they are fetched; JetStream itself holds back nak'd retries. */
  nextDueAt(): number | null {
    return this.#spool.waiting ? Date.now() : null
  }

  async completeDelivery(item: SpoolItem, now: number): Promise<void> {
    if (item.obligationId !== null) await this.#markNotified(item.obligationId, now)
    await this.#spool.ack(item.id)
  }

  /** nak with a delay: JetStream redelivers it then, to whichever instance pulls first. */
  async scheduleRetry(item: SpoolItem, at: number, _error: string): Promise<void> {
    this.#spool.release(item.id, 'nak', Math.max(0, at - Date.now()))
  }

  /** The adapter refused it (4xx): quarantine the bytes, re-record the decision, term the delivery. */
  async rejectDelivery(item: SpoolItem, detail: string, now: number, critical?: { obligation?: ObligationDraft }): Promise<string> {
    const seq = this.#spool.msgOf(item.id)?.seq ?? 0
    const id = derivedUuid(`adapter-rejected:${seq}`, item.messageId)
    const t = this.#t
    const key = messageKey(item.messageId)
    const seen = await readDecision(t, key)
    const row: QuarantineRow = {
      id, messageId: item.messageId, receivedAt: now, reason: 'adapter-rejected', detail: detail.slice(0, 500), kind: null,
      party: item.party, mpxn: item.mpxn, contentType: item.contentType, size: item.body.byteLength, releasedAt: null, releasedBy: null,
      critical: critical !== undefined, alertCode: seen?.alertCode ?? null,
    }
    // issue 15: a refused critical alert opens its critical-quarantined obligation (id derived from the subject)
    if (critical?.obligation !== undefined) await this.openObligations([{ ...critical.obligation, subject: quarantineSubject(id), notice: { ...critical.obligation.notice, quarantineId: id } }], now, 'gateway')
    await t.js.publish(t.names.quarantineSubject(id), item.body, { headers: quarantineHeaders(row), msgID: `rejected:${seq}:${item.messageId}` })
    if (seen !== undefined) await t.decisions.put(key, toJson({ ...seen, decision: 'quarantine', reason: 'adapter-rejected', quarantineId: id }))
    this.#spool.release(item.id, 'term')
    return id
  }

  spoolDepth(): { target: string; n: number; oldest: number }[] {
    return this.#depth
  }

  /** Whole-cluster spool size for the spool bounds (ingress/limits-spool.ts); refreshed every 5 s. */
  spoolBounds(): { n: number; bytes: number; oldest: number | null } {
    return this.#bounds
  }

  /** A quarantined message's row and raw bytes (admin release), or undefined. */
  async quarantined(id: string): Promise<{ row: QuarantineRow; body: Buffer } | undefined> {
    const t = this.#t
    const m = await t.jsm.streams.getMessage(t.names.quarantineStream, { last_by_subj: t.names.quarantineSubject(id) }).catch(() => null)
    const row = m === null ? undefined : readQuarantineRow(m.header)
    if (m === null || row === undefined) return undefined
    return { row, body: Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength) }
  }

  /** GET /admin/quarantine in clustered mode: newest first, metadata only. */
  listQuarantined(f: QuarantineFilter): Promise<{ items: QuarantineRow[]; nextCursor: string | null }> {
    return listQuarantineStream(this.#t, f)
  }

  /** Who did what (admin API): one JSON message on <P>_AUDIT. */
  async audit(actor: string, action: string, target: string | null, detail: string | null): Promise<void> {
    await this.#t.js.publish(this.#t.names.auditSubject, toJson({ at: Date.now(), actor, action, target, detail }))
  }

  async releaseQuarantined(quarantineId: string, rec: AcceptedRecord, actor: string): Promise<CommitOutcome> {
    if (rec.decision.decision === 'quarantine') throw new Error('a release cannot quarantine again')
    const t = this.#t
    const gone = await t.jsm.streams.purge(t.names.quarantineStream, { filter: t.names.quarantineSubject(quarantineId) })
    if (gone.purged === 0) throw Object.assign(new Error(`quarantine ${quarantineId} not found`), { code: 'DCCGW_ERR_NOT_FOUND' })
    const o = rec.decision.decision === 'forward' ? withDerivedId(rec) : undefined
    await writeEffect(t, rec, null, o, `release:${quarantineId}`)
    const d = rec.decision
    const key = messageKey(rec.messageId)
    const seen = await readDecision(t, key)
    const base = seen ?? { messageId: rec.messageId, receivedAt: rec.receivedAt, responseTime: rec.responseTime, kind: rec.kind, alertCode: rec.alertCode ?? null, party: rec.recipientParty ?? null, toParty: null, mpxn: d.mpxn ?? null, supplyStartDate: null }
    await t.decisions.put(key, toJson({ ...base, decision: d.decision, reason: d.reason, quarantineId: null, obligationId: o?.id ?? null }))
    await this.audit(actor, 'quarantine.release', quarantineId, `${d.decision}/${d.reason}`)
    await this.#closeQuarantined(quarantineId, actor, `released: ${d.decision}/${d.reason}`, rec.receivedAt)
    return { messageId: rec.messageId, decision: d.decision, reason: d.reason, duplicate: false, ...(o !== undefined && { obligationId: o.id }) }
  }

  async deleteQuarantined(id: string, actor: string, reason?: string): Promise<boolean> {
    const t = this.#t
    const held = this.#obligations.get(derivedUuid('critical-quarantined', quarantineSubject(id)))
    if (held !== undefined && !DONE_STATUSES.includes(held.status)) {
      if (!reason) throw Object.assign(new Error(`quarantined message ${id} is a critical alert with an open obligation: give a reason to delete it`), { code: 'DCCGW_ERR_REASON_REQUIRED' })
      await this.#closeQuarantined(id, actor, `deleted: ${reason}`, Date.now())
    }
    const r = await t.jsm.streams.purge(t.names.quarantineStream, { filter: t.names.quarantineSubject(id) })
    if (r.purged > 0) await this.audit(actor, 'quarantine.delete', id, null)
    return r.purged > 0
  }

  async acknowledgeObligation(id: string, actor: string, now: number): Promise<'ok' | 'not-found' | 'already'> {
    const e = await this.#t.obligations.get(id)
    if (e === null || e.operation !== 'PUT') return 'not-found'
    const row = fromJson<ObligationRow>(e.value)
    if (DONE_STATUSES.includes(row.status)) return 'already'
    // update(…, revision): a concurrent change by another instance fails this one; the caller retries
    await this.#t.obligations.update(id, toJson({ ...row, status: 'acknowledged', ackedAt: now, ackedBy: actor }), e.revision)
    await this.audit(actor, 'obligation.ack', id, null)
    return 'ok'
  }

  /** "Not the supplier" (issue 15): redirected by compare-and-set, then the onward obligation opens. */
  async redirectObligation(id: string, actor: string, detail: string, onward: ObligationDraft | undefined, now: number): Promise<'ok' | 'not-found' | 'already'> {
    const e = await this.#t.obligations.get(id)
    if (e === null || e.operation !== 'PUT') return 'not-found'
    const row = fromJson<ObligationRow>(e.value)
    if (DONE_STATUSES.includes(row.status)) return 'already'
    await this.#t.obligations.update(id, toJson({ ...row, status: 'redirected', ackedAt: now, ackedBy: actor }), e.revision)
    await this.audit(actor, 'obligation.redirect', id, detail.slice(0, 500))
    if (onward !== undefined) await this.openObligations([onward], now, actor)
    return 'ok'
  }

  /** Issue 15: the critical-quarantined obligation of a released or deleted message closes (id derived from its subject). */
  async #closeQuarantined(quarantineId: string, actor: string, detail: string, now: number): Promise<void> {
    const id = derivedUuid('critical-quarantined', quarantineSubject(quarantineId))
    const e = await this.#t.obligations.get(id)
    if (e === null || e.operation !== 'PUT') return
    const row = fromJson<ObligationRow>(e.value)
    if (DONE_STATUSES.includes(row.status)) return
    await this.#t.obligations.update(id, toJson({ ...row, status: 'closed', ackedAt: now, ackedBy: actor }), e.revision)
    await this.audit(actor, 'obligation.closed', id, detail.slice(0, 500))
  }

  /** GET /admin/obligations in clustered mode, from this instance's mirror of the bucket. */
  listObligations(status: 'open' | 'overdue' | 'done' | 'all', now: number): ObligationRow[] {
    return this.#obligations.list(status, now)
  }

  obligation(id: string): ObligationRow | undefined {
    return this.#obligations.get(id)
  }

  /** Obligations the scheduler must look at now, from this instance's mirror of the bucket. */
  dueObligations(now: number): ObligationRow[] {
    return this.#obligations.due(now)
  }

  /** Compare-and-set per obligation: when instances race, one wins and only it spools the notice. */
  applyObligationTransitions(list: readonly ObligationTransition[], now: number, actor: string): Promise<string[]> {
    return applyTransitions(this.#t, list, now, actor, (...a) => this.audit(...a))
  }

  /** Install-code obligations from a reload: every instance reloads, one opens each (derived id). */
  openObligations(drafts: readonly ObligationDraft[], now: number, actor: string): Promise<string[]> {
    return openDrafts(this.#t, drafts, now, actor, (...a) => this.audit(...a))
  }

  /** The decisions bucket's TTL (dedupe.window) forgets message IDs: nothing to do here. */
  async purgeMessages(_olderThan: number): Promise<number> {
    return 0
  }

  /** The quarantine stream's max_age (store.quarantineRetentionDays) purges: nothing to do here. */
  async purgeQuarantine(_olderThan: number, _actor: string): Promise<number> {
    return 0
  }

  /** Stops leasing (unleased deliveries go back at once), then drains the connection. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#depthTimer)
    this.#obligations.stop()
    await this.#spool.stop()
    await this.#t.nc.drain().catch(() => this.#t.nc.close())
  }

  async #markNotified(id: string, now: number): Promise<void> {
    const e = await this.#t.obligations.get(id)
    if (e === null || e.operation !== 'PUT') return
    const row = fromJson<ObligationRow>(e.value)
    const status = row.status === 'open' ? 'notified' : row.status
    await this.#t.obligations.update(id, toJson({ ...row, status, notifiedAt: now }), e.revision).catch(() => undefined)
  }

  /** Spool gauges: messages per target subject in the work queue, and the oldest one's age. */
  async #refreshDepth(): Promise<void> {
    const t = this.#t
    try {
      const info = await t.jsm.streams.info(t.names.spoolStream, { subjects_filter: t.names.spoolSubjects })
      const oldest = info.state.messages > 0 ? Date.parse(info.state.first_ts) : Date.now()
      const subjects = info.state.subjects ?? {}
      this.#depth = (['adapter', 'notice'] as const).map((target) => ({ target, n: subjects[t.names.spoolSubject(target)] ?? 0, oldest }))
      this.#bounds = { n: info.state.messages, bytes: info.state.bytes, oldest: info.state.messages > 0 ? oldest : null }
    } catch (err) {
      this.onError?.(err, 'spool depth unavailable')
    }
  }
}

/** Whatever fails while writing a decision means "not durable": 503, the sender retries. */
async function guard<T>(p: Promise<T>, what: string): Promise<T> {
  try {
    return await p
  } catch (err) {
    throw storeUnavailable(`the ${what} could not be made durable in JetStream: ${(err as Error).message}`, err)
  }
}
