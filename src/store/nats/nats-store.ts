import type { NatsConnection } from '@nats-io/transport-node'
import { systemClock } from '../../clock/index.js'
import type { Clock } from '../../clock/index.js'
import type { GatewayStore } from '../gateway-store.js'
import { StoreError, notAvailable, notFound, reasonRequired, storeUnavailable } from '../store-error.js'
import type { ObligationEventRow, StaleCosRow } from '../queries.js'
import type { AuditEntry, AuditPageFilter, DecisionMinute, QuarantineReasonCount } from '../console-queries.js'
import type {
  AcceptedRecord, AuditFilter, AuditRow, CommitOutcome, MalformedRecord, ObligationDraft, ObligationListStatus, ObligationRow,
  ObligationStatus, ObligationTransition, QuarantineRow, SpoolItem, StoreHooks,
} from '../types.js'
import { listAudit, writeAudit } from './audit.js'
import { purgeOlderThan, purgeQuarantineOverSize } from './retention.js'
import { derivedUuid, messageKey } from './ids.js'
import { commitAccepted, commitMalformed, readDecision, withDerivedId, writeEffect } from './ingest.js'
import type { NatsStoreOptions } from './options.js'
import { DONE_STATUSES, quarantineSubject } from '../types.js'
import { fromJson, quarantineHeaders, readQuarantineRow, toJson } from './records.js'
import { ObligationMirror, applyTransitions, openDrafts, withEvent } from './obligations.js'
import type { StoredObligation } from './obligations.js'
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
  readonly kind = 'nats'
  #t: Topology
  /** undefined when opened without leasing deliveries (the CLI) */
  #spool: SpoolConsumer | undefined
  #closed = false
  #depth: { target: string; n: number; oldest: number }[] = []
  #bounds: { n: number; bytes: number; oldest: number | null } = { n: 0, bytes: 0, oldest: null }
  #depthTimer: NodeJS.Timeout
  readonly #obligations = new ObligationMirror()
  #hooks: StoreHooks = {}
  readonly #clock: Clock

  private constructor(t: Topology, spool: SpoolConsumer | undefined, clock: Clock) {
    this.#t = t
    this.#clock = clock
    this.#spool = spool
    if (spool !== undefined) spool.onError = (err) => this.#hooks.onError?.(err, 'spool fetch failed')
    this.#depthTimer = setInterval(() => void this.#refreshDepth(), 5000)
    this.#depthTimer.unref()
  }

  /**
   * Connects, creates or checks the streams, buckets and consumer, and starts leasing deliveries
   * (`lease: false`, the CLI: reads and operator actions only, no deliveries taken from the cluster).
   * `clock`: the gateway's (operator stamps, retry delays); JetStream's own timestamps stay its own.
   */
  static async open(o: NatsStoreOptions, opts: { lease?: boolean; clock?: Clock } = {}): Promise<NatsStore> {
    const nc = await connectNats(o)
    try {
      const t = await ensureTopology(nc, o)
      const lease = opts.lease ?? true
      const spool = lease ? new SpoolConsumer(await t.js.consumers.get(t.names.spoolStream, t.names.deliveryConsumer), o.concurrency, o.ackWaitMs) : undefined
      const store = new NatsStore(t, spool, opts.clock ?? systemClock)
      await store.#obligations.start(t)
      spool?.start()
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

  /** writes are not queued here: each awaits its own PubAck */
  get backlog(): number {
    return 0
  }

  /** onSpoolReady: fetched deliveries are waiting (the dispatcher's wake); onError: background loops */
  setHooks(hooks: StoreHooks): void {
    this.#hooks = hooks
    if (this.#spool !== undefined) this.#spool.onReady = hooks.onSpoolReady
  }

  commitAccepted(rec: AcceptedRecord): Promise<CommitOutcome> {
    return guard(commitAccepted(this.#t, rec), 'decision')
  }

  commitMalformed(rec: MalformedRecord): Promise<string> {
    return guard(commitMalformed(this.#t, rec), 'quarantine')
  }

  dueSpool(_now: number, limit: number, blocked?: readonly string[]): SpoolItem[] {
    return this.#closed || this.#spool === undefined ? [] : this.#spool.due(limit, blocked)
  }

  /** Deliveries are due the moment they are fetched; JetStream itself holds back nak'd retries. */
  nextDueAt(now: number): number | null {
    return this.#spool?.waiting ? now : null
  }

  async completeDelivery(item: SpoolItem, now: number): Promise<void> {
    if (item.obligationId !== null) await this.#markNotified(item.obligationId, now)
    await this.#spool?.ack(item.id)
  }

  /** nak with a delay: JetStream redelivers it then, to whichever instance pulls first. */
  async scheduleRetry(item: SpoolItem, at: number, _error: string): Promise<void> {
    this.#spool?.release(item.id, 'nak', Math.max(0, at - this.#clock.now()))
  }

  /** The adapter refused it (4xx): quarantine the bytes, re-record the decision, term the delivery. */
  async rejectDelivery(item: SpoolItem, detail: string, now: number, critical?: { obligation?: ObligationDraft }): Promise<string> {
    const seq = this.#spool?.msgOf(item.id)?.seq ?? 0
    const id = derivedUuid(`adapter-rejected:${seq}`, item.messageId)
    const t = this.#t
    const key = messageKey(item.messageId)
    const seen = await readDecision(t, key)
    const row: QuarantineRow = {
      id, messageId: item.messageId, receivedAt: now, reason: 'adapter-rejected', detail: detail.slice(0, 500), kind: null,
      party: item.party, mpxn: item.mpxn, contentType: item.contentType, size: item.body.byteLength, releasedAt: null, releasedBy: null,
      critical: critical !== undefined, alertCode: seen?.alertCode ?? null,
    }
    // A refused critical alert opens its critical-quarantined obligation (id derived from the subject)
    if (critical?.obligation !== undefined) await this.openObligations([{ ...critical.obligation, subject: quarantineSubject(id), notice: { ...critical.obligation.notice, quarantineId: id } }], now, 'gateway')
    await t.js.publish(t.names.quarantineSubject(id), item.body, { headers: quarantineHeaders(row), msgID: `rejected:${seq}:${item.messageId}` })
    if (seen !== undefined) await t.decisions.put(key, toJson({ ...seen, decision: 'quarantine', reason: 'adapter-rejected', quarantineId: id }))
    this.#spool?.release(item.id, 'term')
    return id
  }

  spoolDepth(): { target: string; n: number; oldest: number }[] {
    return this.#depth
  }

  /** Whole-cluster spool size for the spool bounds (ingress/limits-spool.ts); refreshed every 5 s. */
  spoolBounds(): { n: number; bytes: number; oldest: number | null } {
    return this.#bounds
  }

  /**
   * Clustered, the backlog waits in JetStream, not in this process: only what this instance has
   * fetched (at most its window) counts, so the bound on waiting deliveries does not hold ingress back
   * here; the spool bounds (bytes, age) do.
   */
  waitingDeliveries(): Map<string, number> {
    return this.#spool?.fresh() ?? new Map()
  }

  /** A quarantined message's row and raw bytes, or undefined. */
  async #quarantined(id: string): Promise<{ row: QuarantineRow; body: Buffer } | undefined> {
    const t = this.#t
    const m = await t.jsm.streams.getMessage(t.names.quarantineStream, { last_by_subj: t.names.quarantineSubject(id) })
    const row = m === null ? undefined : readQuarantineRow(m.header)
    if (m === null || row === undefined) return undefined
    return { row, body: Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength) }
  }

  /** GET /admin/quarantine in clustered mode: newest first, metadata only. */
  listQuarantine(f: QuarantineFilter): Promise<{ items: QuarantineRow[]; nextCursor: string | null }> {
    return answered(listQuarantineStream(this.#t, f), 'the quarantine list')
  }

  async getQuarantine(id: string): Promise<QuarantineRow | undefined> {
    return (await answered(this.#quarantined(id), 'a quarantined message'))?.row
  }

  async getQuarantineBody(id: string): Promise<Buffer | undefined> {
    return (await answered(this.#quarantined(id), 'a quarantined message'))?.body
  }

  /** One subject per message, the reason in its header: counting needs every message read. */
  async quarantineCounts(): Promise<{ reason: string; n: number }[]> {
    throw notAvailable('the quarantine count per reason (dccgw_quarantine gauge)', this.kind)
  }

  /** Who did what (admin API): one JSON message on <P>_AUDIT. */
  audit(actor: string, action: string, target: string | null, detail: string | null): Promise<void> {
    return writeAudit(this.#t, this.#clock.now(), actor, action, target, detail)
  }

  writeAudit(actor: string, action: string, target: string | null, detail: string | null): Promise<void> {
    return guard(this.audit(actor, action, target, detail), 'audit record')
  }

  listAudit(f: AuditFilter): Promise<AuditRow[]> {
    return answered(listAudit(this.#t, f), 'the audit trail')
  }

  /** The decisions bucket is keyed by message and expires with dedupe.window: no per-MPxN history to report from. */
  async staleCosRows(_since?: number): Promise<StaleCosRow[]> {
    throw notAvailable('the stale-CoS report', this.kind)
  }

  async credentialsUpdatedTimes(_mpxns: readonly string[]): Promise<Map<string, number[]>> {
    throw notAvailable('the stale-CoS report', this.kind)
  }

  // The operator console's summaries: the streams keep no per-decision or per-reason index to
  // count from, and a scan per page view would read every held message (docs/cluster.md).

  async decisionsPerMinute(_from: number, _to: number): Promise<DecisionMinute[]> {
    throw notAvailable('the decisions per minute', this.kind)
  }

  async quarantineByReason(): Promise<QuarantineReasonCount[]> {
    throw notAvailable('the quarantine count per reason', this.kind)
  }

  async countQuarantineByReason(_reason: string): Promise<number> {
    throw notAvailable('releasing a whole reason at once', this.kind)
  }

  async quarantineIdsByReason(_reason: string, _limit: number): Promise<string[]> {
    throw notAvailable('releasing a whole reason at once', this.kind)
  }

  async auditPage(_f: AuditPageFilter): Promise<{ items: AuditEntry[]; nextBefore: number | null }> {
    throw notAvailable('the paged audit log', this.kind)
  }

  async auditActions(): Promise<string[]> {
    throw notAvailable('the list of audit actions', this.kind)
  }

  /**
   * Operator release. The order makes a failure safe: the held message is read, the new
   * decision's effects are published (Nats-Msg-Id `release:<id>`, so a retried or concurrent
   * release publishes them once) and its record written, and only then is the held message
   * removed. A failed publish leaves it quarantined, to be released again.
   */
  async releaseQuarantined(quarantineId: string, rec: AcceptedRecord, actor: string): Promise<CommitOutcome> {
    if (rec.decision.decision === 'quarantine') throw new Error('a release cannot quarantine again')
    const t = this.#t
    if ((await answered(this.#quarantined(quarantineId), 'release')) === undefined) throw notFound(`no quarantined message ${quarantineId}`)
    const o = rec.decision.decision === 'forward' ? withDerivedId(rec) : undefined
    const d = rec.decision
    await guard((async () => {
      await writeEffect(t, rec, null, o, `release:${quarantineId}`)
      const key = messageKey(rec.messageId)
      const seen = await readDecision(t, key)
      const base = seen ?? { messageId: rec.messageId, receivedAt: rec.receivedAt, responseTime: rec.responseTime, kind: rec.kind, alertCode: rec.alertCode ?? null, party: rec.recipientParty ?? null, toParty: null, mpxn: d.mpxn ?? null, supplyStartDate: null }
      await t.decisions.put(key, toJson({ ...base, decision: d.decision, reason: d.reason, quarantineId: null, obligationId: o?.id ?? null }))
      await t.jsm.streams.purge(t.names.quarantineStream, { filter: t.names.quarantineSubject(quarantineId) })
      await this.audit(actor, 'quarantine.release', quarantineId, `${d.decision}/${d.reason}`)
      // a released critical alert's critical-quarantined obligation closes
      await this.#closeQuarantined(quarantineId, actor, `released: ${d.decision}/${d.reason}`, rec.receivedAt)
    })(), 'release')
    return { messageId: rec.messageId, decision: d.decision, reason: d.reason, duplicate: false, ...(o !== undefined && { obligationId: o.id }) }
  }

  deleteQuarantined(id: string, actor: string, reason?: string): Promise<boolean> {
    const t = this.#t
    return answered((async () => {
      const held = (await this.#mirror()).get(derivedUuid('critical-quarantined', quarantineSubject(id)))
      if (held !== undefined && !DONE_STATUSES.includes(held.status)) {
        if (!reason) throw reasonRequired(id)
        await this.#closeQuarantined(id, actor, `deleted: ${reason}`, this.#clock.now())
      }
      const r = await t.jsm.streams.purge(t.names.quarantineStream, { filter: t.names.quarantineSubject(id) })
      if (r.purged > 0) await this.audit(actor, 'quarantine.delete', id, reason ?? null)
      return r.purged > 0
    })(), 'delete')
  }

  acknowledgeObligation(id: string, actor: string, now: number): Promise<'ok' | 'not-found' | 'already'> {
    return answered(this.#acknowledge(id, actor, now), 'acknowledge')
  }

  /** Compare-and-set on the entry's revision; a change by another instance in between: read again. */
  async #acknowledge(id: string, actor: string, now: number, attempts = 5): Promise<'ok' | 'not-found' | 'already'> {
    const e = await this.#t.obligations.get(id)
    if (e === null || e.operation !== 'PUT') return 'not-found'
    const row = fromJson<StoredObligation>(e.value)
    if (DONE_STATUSES.includes(row.status)) return 'already'
    const next = withEvent({ ...row, status: 'acknowledged', ackedAt: now, ackedBy: actor }, now, { status: 'acknowledged', level: row.level, dueAt: row.dueAt, detail: `was ${row.status}` }, actor)
    try {
      await this.#t.obligations.update(id, toJson(next), e.revision)
    } catch (err) {
      if (attempts <= 1 || (await this.#t.obligations.get(id))?.revision === e.revision) throw err
      return this.#acknowledge(id, actor, now, attempts - 1)
    }
    await this.audit(actor, 'obligation.ack', id, null)
    return 'ok'
  }

  /** The mirror once it holds every change the bucket had when asked (see ObligationMirror.catchUp). */
  async #mirror(): Promise<ObligationMirror> {
    await answered(this.#obligations.catchUp(this.#t), 'the obligations bucket')
    return this.#obligations
  }

  /** "Not the supplier" (docs/obligations.md): redirected by compare-and-set, then the onward obligation opens. */
  async redirectObligation(id: string, actor: string, detail: string, onward: ObligationDraft | undefined, now: number): Promise<'ok' | 'not-found' | 'already'> {
    const e = await this.#t.obligations.get(id)
    if (e === null || e.operation !== 'PUT') return 'not-found'
    const row = fromJson<StoredObligation>(e.value)
    if (DONE_STATUSES.includes(row.status)) return 'already'
    const next = withEvent({ ...row, status: 'redirected', ackedAt: now, ackedBy: actor }, now, { status: 'redirected', level: row.level, dueAt: row.dueAt, detail: detail.slice(0, 500) }, actor)
    await this.#t.obligations.update(id, toJson(next), e.revision)
    await this.audit(actor, 'obligation.redirect', id, detail.slice(0, 500))
    if (onward !== undefined) await this.openObligations([onward], now, actor)
    return 'ok'
  }

  /** The critical-quarantined obligation of a released or deleted message closes (id derived from its subject). */
  async #closeQuarantined(quarantineId: string, actor: string, detail: string, now: number): Promise<void> {
    const id = derivedUuid('critical-quarantined', quarantineSubject(quarantineId))
    const e = await this.#t.obligations.get(id)
    if (e === null || e.operation !== 'PUT') return
    const row = fromJson<StoredObligation>(e.value)
    if (DONE_STATUSES.includes(row.status)) return
    const next = withEvent({ ...row, status: 'closed', ackedAt: now, ackedBy: actor }, now, { status: 'closed', level: row.level, dueAt: row.dueAt, detail: detail.slice(0, 500) }, actor)
    await this.#t.obligations.update(id, toJson(next), e.revision)
    await this.audit(actor, 'obligation.closed', id, detail.slice(0, 500))
  }

  // The obligations' read side: this instance's mirror of the bucket, once it holds every change
  // the bucket had when asked (a read follows the writes made before it, on any instance).

  async listObligations(status: ObligationListStatus, now: number): Promise<ObligationRow[]> {
    return (await this.#mirror()).list(status, now)
  }

  async getObligation(id: string): Promise<ObligationRow | undefined> {
    return (await this.#mirror()).get(id)
  }

  async obligationEvents(id: string): Promise<ObligationEventRow[]> {
    return (await this.#mirror()).events(id)
  }

  async obligationCounts(now: number): Promise<{ type: string; status: ObligationStatus; n: number }[]> {
    return (await this.#mirror()).counts(now)
  }

  /**
   * Obligations the scheduler must look at now, from this instance's mirror of the bucket once it
   * holds every change the bucket had when asked (a notice just marked `notified` by a delivery,
   * an escalation by another instance): a plan made from an older row would fail its
   * compare-and-set and escalate nothing until the next check.
   */
  async dueObligations(now: number): Promise<ObligationRow[]> {
    return (await this.#mirror()).due(now)
  }

  /** Compare-and-set per obligation: when instances race, one wins and only it spools the notice. */
  applyObligationTransitions(list: readonly ObligationTransition[], now: number, actor: string): Promise<string[]> {
    return applyTransitions(this.#t, list, now, actor, (...a) => this.audit(...a))
  }

  /** Install-code obligations from a reload: every instance reloads, one opens each (derived id). */
  openObligations(drafts: readonly ObligationDraft[], now: number, actor: string): Promise<string[]> {
    return openDrafts(this.#t, drafts, now, actor, (...a) => this.audit(...a))
  }

  /** The decisions bucket's TTL (dedupe.window) forgets message IDs as they age: none older is kept. */
  async purgeMessages(_olderThan: number): Promise<number> {
    return 0
  }

  /** The quarantine stream's max_age applies this continuously; this applies `olderThan` now. */
  async purgeQuarantine(olderThan: number, actor: string): Promise<number> {
    const n = await answered(purgeOlderThan(this.#t, this.#t.names.quarantineStream, olderThan), 'purge')
    if (n > 0) await this.audit(actor, 'quarantine.purge', null, `${n} older than ${new Date(olderThan).toISOString()}`)
    return n
  }

  async purgeQuarantineOverSize(maxBytes: number, actor: string): Promise<number> {
    const n = await answered(purgeQuarantineOverSize(this.#t, maxBytes), 'purge')
    if (n > 0) await this.audit(actor, 'quarantine.purge', null, `${n} oldest over ${maxBytes} bytes`)
    return n
  }

  purgeOriginals(olderThan: number): Promise<number> {
    return answered(purgeOlderThan(this.#t, this.#t.names.originalsStream, olderThan), 'purge')
  }

  /** no journal: JetStream is the log (docs/cluster.md) */
  journalStats(): undefined {
    return undefined
  }

  /** no SQLite, no lock conflicts */
  lockRetries(): number {
    return 0
  }

  /** Stops leasing (unleased deliveries go back at once), then drains the connection. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#depthTimer)
    this.#obligations.stop()
    await this.#spool?.stop()
    await this.#t.nc.drain().catch(() => this.#t.nc.close())
  }

  async #markNotified(id: string, now: number): Promise<void> {
    const e = await this.#t.obligations.get(id)
    if (e === null || e.operation !== 'PUT') return
    const row = fromJson<StoredObligation>(e.value)
    const next = row.status === 'open'
      ? withEvent({ ...row, status: 'notified', notifiedAt: now }, now, { status: 'notified', level: row.level, dueAt: row.dueAt }, 'delivery')
      : { ...row, notifiedAt: now }
    await this.#t.obligations.update(id, toJson(next), e.revision).catch(() => undefined)
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
      this.#hooks.onError?.(err, 'spool depth unavailable')
    }
  }
}

/** Whatever fails while writing a decision means "not durable": 503, the sender retries. */
async function guard<T>(p: Promise<T>, what: string): Promise<T> {
  try {
    return await p
  } catch (err) {
    if (err instanceof StoreError) throw err
    throw storeUnavailable(`the ${what} could not be made durable in JetStream: ${(err as Error).message}`, err)
  }
}

/** A read or an operator action JetStream did not answer (no quorum, timeout): 503, not 500. */
async function answered<T>(p: Promise<T>, what: string): Promise<T> {
  try {
    return await p
  } catch (err) {
    if (err instanceof StoreError) throw err
    throw storeUnavailable(`${what}: JetStream did not answer: ${(err as Error).message}`, err)
  }
}
