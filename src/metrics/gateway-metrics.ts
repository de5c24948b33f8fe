import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

// Contract §9. No label may carry an MPxN, a device ID or any other per-customer value: every
// label below takes values from a closed set (kinds, decisions, reasons, statuses, party-agnostic
// targets, registry file roles). test/integration/ops-metrics.test.ts scrapes and checks.

/** 50 µs .. 5 s, roughly ×2.5 per step: resolves the hot path and the slow tail. */
const PROCESSING_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]
const DELIVERY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** Spool targets and obligation types/statuses that always have a series (0 when empty), so
 * alert rules compare numbers instead of guarding against absent series. */
export const SPOOL_TARGETS = ['adapter', 'notice'] as const
export const OBLIGATION_TYPES = ['critical-forward', 'install-code'] as const
export const OBLIGATION_STATUSES = ['open', 'notified', 'overdue', 'escalated', 'acknowledged'] as const
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
  readonly commitBatch: Histogram
  readonly inFlight: Gauge
  readonly poolUtilization: Gauge
  readonly poolQueueDepth: Gauge
  readonly journalBytes: Gauge
  readonly journalSegments: Gauge
  readonly projectionLag: Gauge

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
    this.obligations = new Gauge({ name: 'dccgw_obligations', help: 'Obligations by type (critical-forward, install-code) and status (open, notified, overdue, escalated, acknowledged).', labelNames: ['type', 'status'], registers: [r] })
    this.commitBatch = new Histogram({ name: 'dccgw_store_commit_batch_size', help: 'Operations per store transaction.', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers: [r] })
    this.inFlight = new Gauge({ name: 'dccgw_ingress_in_flight', help: 'Requests being processed.', registers: [r] })
    this.poolUtilization = new Gauge({ name: 'dccgw_pool_utilization', help: 'Share of parse/decide worker threads busy, 0..1 (0 without a pool).', registers: [r] })
    this.poolQueueDepth = new Gauge({ name: 'dccgw_pool_queue_depth', help: 'Batches waiting for a parse/decide worker (0 without a pool).', registers: [r] })
    this.journalBytes = new Gauge({ name: 'dccgw_journal_bytes', help: 'Bytes of journal segments on disk (the embedded store; segments are preallocated).', registers: [r] })
    this.journalSegments = new Gauge({ name: 'dccgw_journal_segments', help: 'Journal segment files on disk (the embedded store); a rising count means the projection or retirement is stuck.', registers: [r] })
    this.projectionLag = new Gauge({ name: 'dccgw_projection_lag_records', help: 'Durable journal records the SQLite projection (admin views, reports) has not applied yet.', registers: [r] })
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

  /** Quarantine counts by reason (only reasons with messages; sum() for the total). */
  setQuarantine(rows: readonly { reason: string; n: number }[]): void {
    this.quarantine.reset()
    for (const r of rows) this.quarantine.set({ reason: r.reason }, r.n)
  }

  /** Obligation counts by type and status; every known type × status reads 0 when empty. */
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
