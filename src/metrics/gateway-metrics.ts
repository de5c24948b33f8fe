import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { AttemptResult } from '../delivery/index.js'
import type { MessageKind } from '../envelope/index.js'
import { IngressErrors } from '../http/index.js'
import { DECISIONS, REASONS, type Reason } from '../policy/index.js'
import type { ObligationStatus, ObligationType } from '../store/index.js'

// The metrics of docs/operations.md, "Metrics". No label may carry an MPxN, a device ID or any other per-customer value: every
// label below takes values from a closed set (kinds, decisions, reasons, statuses, party-agnostic
// targets, registry file roles). test/integration/ops-metrics.test.ts scrapes and checks.
//
// Every metric of the gateway is declared here (test/structure.test.ts fails on
// a prom-client constructor elsewhere) and every series of a closed label set exists from the
// start, at 0, so the first rate()/increase() after a start sees the first event.

/** 50 µs .. 5 s, roughly ×2.5 per step: resolves the hot path and the slow tail. */
const PROCESSING_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]
const DELIVERY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** `list`, checked to name every member of U and nothing else (a new member fails the typecheck here). */
function allOf<U extends string>() {
  return <const L extends readonly U[]>(list: L & ([U] extends [L[number]] ? unknown : never)): L => list
}

// The closed label sets, declared once. Each series of these sets exists from the start (0), so
// alert rules compare numbers instead of guarding against absent series. Lists that mirror a type
// elsewhere are checked against it by `allOf`; the others are read from the runtime catalogue.

/** message kinds (MessageKind) plus `invalid` for a document that did not parse */
export const MESSAGE_KINDS = [...allOf<MessageKind>()(['device_alert', 'dcc_alert', 'response', 'smets1']), 'invalid'] as const
/** the HTTP statuses of the ingress error catalogue (src/http/errors.ts), as label values */
export const INGRESS_STATUSES: readonly string[] = [...new Set(Object.values(IngressErrors).map((e) => String(e.status)))].sort()
export const REASON_CODES = Object.keys(REASONS) as Reason[]
/** delivery target kinds (Sender.label) and attempt outcomes (AttemptResult) */
export const DELIVERY_TARGETS = ['adapter', 'notice', 'outbox'] as const
export const DELIVERY_OUTCOMES = allOf<AttemptResult['outcome']>()(['ok', 'retry', 'rejected'])
export const SPOOL_TARGETS = ['adapter', 'notice'] as const
export const OBLIGATION_TYPES = allOf<ObligationType>()(['critical-forward', 'install-code', 'critical-quarantined'])
export const OBLIGATION_STATUSES = allOf<ObligationStatus>()(['open', 'notified', 'overdue', 'escalated', 'acknowledged', 'redirected', 'closed'])
/** the statuses the obligation scheduler moves obligations to (escalation.ts, install-code.ts) */
export const OBLIGATION_TRANSITION_STATUSES = ['open', 'overdue', 'escalated'] as const satisfies readonly ObligationStatus[]
export const REGISTRY_RELOAD_OUTCOMES = ['ok', 'failed'] as const
/** the registry index counts exported as dccgw_registry_entries{kind} */
export const REGISTRY_ENTRY_KINDS = ['registrations', 'mpxns', 'devices', 'parties', 'user_ids'] as const
/** Registry files whose modification time is exported (dccgw_registry_source_timestamp_seconds). */
export const REGISTRY_FILES = ['registrations', 'devices', 'parties'] as const
export type RegistryFile = (typeof REGISTRY_FILES)[number]

/** What the worker pool (src/pool) reports; see GatewayMetrics.setPool. */
export interface PoolSample {
  /** busy workers / workers, 0..1 */
  utilization: number
  /** tasks waiting for a worker */
  queueDepth: number
}

export class GatewayMetrics {
  readonly registry = new Registry()
  readonly received: Counter<'kind'>
  readonly decisions: Counter<'decision' | 'reason'>
  readonly ingressRejected: Counter<'status'>
  readonly deliveryAttempts: Counter<'target' | 'outcome'>
  readonly spoolDepth: Gauge<'target'>
  readonly spoolOldestAge: Gauge<'target'>
  readonly quarantine: Gauge<'reason'>
  readonly processing: Histogram
  readonly delivery: Histogram<'target' | 'outcome'>
  readonly registryEntries: Gauge<'kind'>
  readonly registryLoaded: Gauge
  readonly registrySource: Gauge<'file'>
  readonly registryLoadSeconds: Gauge
  readonly registryReloads: Counter<'outcome'>
  readonly obligations: Gauge<'type' | 'status'>
  /** Parties a notice cannot reach (count, and one series per party: suppliers, not customers) */
  readonly unreachableParties: Gauge
  readonly unreachableParty: Gauge<'party'>
  readonly commitBatch: Histogram
  readonly inFlight: Gauge
  readonly poolUtilization: Gauge
  readonly poolQueueDepth: Gauge
  /** Bytes held by the spool (the source is set by the ingress spool bound, setSpoolBytesSource) */
  readonly spoolBytes: Gauge
  /** worst circuit-breaker state per target (the source is set by the dispatcher, setBreakerSource) */
  readonly breakerState: Gauge<'target'>
  readonly obligationsOverdue: Counter<'type'>
  readonly obligationTransitions: Counter<'type' | 'status'>
  #spoolBytesSource: (() => number) | undefined
  #breakerSource: (() => ReadonlyMap<string, number>) | undefined
  readonly journalBytes: Gauge
  readonly journalSegments: Gauge
  readonly projectionLag: Gauge
  /** SQLite lock conflicts retried (the store's own count, read at each scrape) */
  readonly storeLockRetries: Counter
  #lockRetriesSeen = 0

  constructor(opts: { processMetrics: boolean }) {
    const r = this.registry
    // Process defaults include the event-loop lag (dccgw_nodejs_eventloop_lag_{p50,p90,p99}_seconds,
    // from monitorEventLoopDelay, reset at each scrape) and GC, heap, CPU and fd gauges.
    if (opts.processMetrics) collectDefaultMetrics({ register: r, prefix: 'dccgw_' })
    this.received = new Counter({ name: 'dccgw_messages_received_total', help: 'DUIS documents received, by kind (device_alert, dcc_alert, response, smets1, invalid).', labelNames: ['kind'], registers: [r] })
    this.decisions = new Counter({ name: 'dccgw_decisions_total', help: 'Decisions made, by decision and reason.', labelNames: ['decision', 'reason'], registers: [r] })
    this.ingressRejected = new Counter({ name: 'dccgw_ingress_rejected_total', help: 'Requests answered with an error status (413, 415, 422, 503, ...).', labelNames: ['status'], registers: [r] })
    this.deliveryAttempts = new Counter({ name: 'dccgw_delivery_attempts_total', help: 'Delivery attempts by target (adapter, outbox, notice) and outcome (ok, retry, rejected).', labelNames: ['target', 'outcome'], registers: [r] })
    this.spoolDepth = new Gauge({ name: 'dccgw_spool_depth', help: 'Deliveries waiting in the spool, by target.', labelNames: ['target'], registers: [r] })
    this.spoolOldestAge = new Gauge({ name: 'dccgw_spool_oldest_age_seconds', help: 'Age of the oldest spooled delivery, by target (0 when empty).', labelNames: ['target'], registers: [r] })
    this.quarantine = new Gauge({ name: 'dccgw_quarantine_messages', help: 'Messages held in quarantine, by reason.', labelNames: ['reason'], registers: [r] })
    this.processing = new Histogram({ name: 'dccgw_processing_seconds', help: 'Ingress to durable decision.', buckets: PROCESSING_BUCKETS, registers: [r] })
    this.delivery = new Histogram({ name: 'dccgw_delivery_seconds', help: 'One delivery attempt, by target (adapter, notice, outbox) and outcome (ok, retry, rejected).', labelNames: ['target', 'outcome'], buckets: DELIVERY_BUCKETS, registers: [r] })
    this.registryEntries = new Gauge({ name: 'dccgw_registry_entries', help: 'Registry index entries by kind (registrations, mpxns, devices, parties, user_ids).', labelNames: ['kind'], registers: [r] })
    this.registryLoaded = new Gauge({ name: 'dccgw_registry_loaded_timestamp_seconds', help: 'When the registry in use was loaded.', registers: [r] })
    this.registrySource = new Gauge({ name: 'dccgw_registry_source_timestamp_seconds', help: 'Modification time of each registry file (registrations, devices, parties) as read by the load in use: how old the data is.', labelNames: ['file'], registers: [r] })
    this.registryLoadSeconds = new Gauge({ name: 'dccgw_registry_load_duration_seconds', help: 'How long the last successful registry load took.', registers: [r] })
    this.registryReloads = new Counter({ name: 'dccgw_registry_reloads_total', help: 'Registry loads by outcome (ok, failed).', labelNames: ['outcome'], registers: [r] })
    this.obligations = new Gauge({ name: 'dccgw_obligations', help: 'Obligations by type (critical-forward, install-code, critical-quarantined) and status (open, notified, overdue, escalated, acknowledged, redirected, closed).', labelNames: ['type', 'status'], registers: [r] })
    this.unreachableParties = new Gauge({ name: 'dccgw_unreachable_parties', help: 'Parties a notice cannot reach: no webhook, no e-mail this gateway can send (smtp.host), not in obligations.outboxParties.', registers: [r] })
    this.unreachableParty = new Gauge({ name: 'dccgw_unreachable_party', help: 'One series per party a notice cannot reach (value 1); party ids are suppliers, never customers.', labelNames: ['party'], registers: [r] })
    this.commitBatch = new Histogram({ name: 'dccgw_store_commit_batch_size', help: 'Operations per store transaction.', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers: [r] })
    this.inFlight = new Gauge({ name: 'dccgw_ingress_in_flight', help: 'Requests being processed.', registers: [r] })
    this.poolUtilization = new Gauge({ name: 'dccgw_pool_utilization', help: 'Share of parse/decide worker threads busy, 0..1 (0 without a pool).', registers: [r] })
    this.poolQueueDepth = new Gauge({ name: 'dccgw_pool_queue_depth', help: 'Batches waiting for a parse/decide worker (0 without a pool).', registers: [r] })
    this.journalBytes = new Gauge({ name: 'dccgw_journal_bytes', help: 'Bytes of journal segments on disk (the embedded store; segments are preallocated).', registers: [r] })
    this.journalSegments = new Gauge({ name: 'dccgw_journal_segments', help: 'Journal segment files on disk (the embedded store); a rising count means the projection or retirement is stuck.', registers: [r] })
    this.storeLockRetries = new Counter({
      name: 'dccgw_store_lock_retries_total',
      help: 'SQLite lock conflicts (SQLITE_BUSY/LOCKED from another connection, e.g. a checkpoint) met by a commit or a projection batch and retried; each retry is 20 ms, and 50 in a row fail the write (503).',
      registers: [r],
    })
    this.projectionLag = new Gauge({ name: 'dccgw_projection_lag_records', help: 'Durable journal records the SQLite projection (admin views, reports) has not applied yet.', registers: [r] })
    const self = this
    this.spoolBytes = new Gauge({
      name: 'dccgw_spool_bytes',
      help: 'Bytes of undelivered deliveries in the spool (all targets); ingress answers 503 above limits.maxSpoolBytes.',
      registers: [r],
      collect() {
        this.set(self.#spoolBytesSource?.() ?? 0)
      },
    })
    this.breakerState = new Gauge({
      name: 'dccgw_delivery_breaker_state',
      help: 'Delivery circuit breaker state by target (adapter, notice, outbox): 0 closed, 1 half-open, 2 open; the worst breaker of that target.',
      labelNames: ['target'],
      registers: [r],
      collect() {
        this.reset()
        for (const target of DELIVERY_TARGETS) this.set({ target }, 0)
        for (const [target, v] of self.#breakerSource?.() ?? []) this.set({ target }, v)
      },
    })
    this.obligationsOverdue = new Counter({ name: 'dccgw_obligations_overdue_total', help: 'Obligations that passed a deadline unacknowledged, by type.', labelNames: ['type'], registers: [r] })
    this.obligationTransitions = new Counter({ name: 'dccgw_obligation_transitions_total', help: 'Obligation status changes made by the scheduler or a reload (overdue, escalated, open), by type.', labelNames: ['type', 'status'], registers: [r] })
    this.#zero()
  }

  /** Every series of a closed label set, at 0 (gauges refreshed from the store zero-fill on refresh). */
  #zero(): void {
    for (const kind of MESSAGE_KINDS) this.received.inc({ kind }, 0)
    for (const decision of DECISIONS) for (const reason of REASON_CODES) this.decisions.inc({ decision, reason }, 0)
    for (const status of INGRESS_STATUSES) this.ingressRejected.inc({ status }, 0)
    for (const target of DELIVERY_TARGETS) {
      for (const outcome of DELIVERY_OUTCOMES) {
        this.deliveryAttempts.inc({ target, outcome }, 0)
        this.delivery.zero({ target, outcome })
      }
    }
    for (const outcome of REGISTRY_RELOAD_OUTCOMES) this.registryReloads.inc({ outcome }, 0)
    for (const kind of REGISTRY_ENTRY_KINDS) this.registryEntries.set({ kind }, 0)
    for (const type of OBLIGATION_TYPES) {
      this.obligationsOverdue.inc({ type }, 0)
      for (const status of OBLIGATION_TRANSITION_STATUSES) this.obligationTransitions.inc({ type, status }, 0)
    }
    this.setSpool([], 0)
    this.setQuarantine([])
    this.setObligations([])
    this.setUnreachable([])
  }

  /** The spool's byte count, read at each scrape (src/ingress/limits-spool.ts). */
  setSpoolBytesSource(read: () => number): void {
    this.#spoolBytesSource = read
  }

  /** Worst breaker state (0 closed, 1 half-open, 2 open) per target, read at each scrape (src/delivery/breaker-board.ts). */
  setBreakerSource(read: () => ReadonlyMap<string, number>): void {
    this.#breakerSource = read
  }

  /** For src/pool: call after each batch or on a timer; cheap (two gauge sets). */
  setPool(s: PoolSample): void {
    this.poolUtilization.set(Math.min(1, Math.max(0, s.utilization)))
    this.poolQueueDepth.set(Math.max(0, s.queueDepth))
  }

  /** The journaled store (store.kind sqlite): journal size on disk and how far the SQLite projection is behind. */
  setJournal(s: { bytes: number; segments: number; projectionLagRecords: number }): void {
    this.journalBytes.set(s.bytes)
    this.journalSegments.set(s.segments)
    this.projectionLag.set(s.projectionLagRecords)
  }

  /** The store's running count of retried lock conflicts (it only grows while the store is open). */
  setLockRetries(total: number): void {
    if (total > this.#lockRetriesSeen) this.storeLockRetries.inc(total - this.#lockRetriesSeen)
    this.#lockRetriesSeen = total
  }

  /** Spool rows from the store (`oldest` = created_at in ms); empty targets read 0. */
  setSpool(rows: readonly { target: string; n: number; oldest: number }[], nowMs: number): void {
    this.spoolDepth.reset()
    this.spoolOldestAge.reset()
    for (const target of SPOOL_TARGETS) {
      this.spoolDepth.set({ target }, 0)
      this.spoolOldestAge.set({ target }, 0)
    }
    for (const r of rows) {
      this.spoolDepth.set({ target: r.target }, r.n)
      this.spoolOldestAge.set({ target: r.target }, Math.max(0, (nowMs - r.oldest) / 1000))
    }
  }

  /** Quarantine counts by reason; every reason code reads 0 when none is held (sum() for the total). */
  setQuarantine(rows: readonly { reason: string; n: number }[]): void {
    this.quarantine.reset()
    for (const reason of REASON_CODES) this.quarantine.set({ reason }, 0)
    for (const r of rows) this.quarantine.set({ reason: r.reason }, r.n)
  }

  /** Obligation counts by type and status; every known type × status reads 0 when empty. */
  setUnreachable(parties: readonly string[]): void {
    this.unreachableParties.set(parties.length)
    this.unreachableParty.reset()
    for (const party of parties) this.unreachableParty.set({ party }, 1)
  }

  setObligations(rows: readonly { type: string; status: string; n: number }[]): void {
    this.obligations.reset()
    for (const type of OBLIGATION_TYPES) for (const status of OBLIGATION_STATUSES) this.obligations.set({ type, status }, 0)
    for (const r of rows) this.obligations.inc({ type: r.type, status: r.status }, r.n)
  }

  /** File modification times (ms since epoch) of the registry files behind the index in use. */
  setRegistrySources(mtimes: Partial<Record<RegistryFile, number>>): void {
    this.registrySource.reset()
    for (const file of REGISTRY_FILES) {
      const t = mtimes[file]
      if (t !== undefined) this.registrySource.set({ file }, t / 1000)
    }
  }
}
