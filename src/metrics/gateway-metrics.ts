import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

// Contract §9. No label may carry an MPxN, a device ID or any other per-customer value: every
// label below takes values from a closed set (kinds, decisions, reasons, statuses, party-agnostic
// targets).

/** 50 µs .. 5 s, roughly ×2.5 per step: resolves the hot path and the slow tail. */
const PROCESSING_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]
const DELIVERY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

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
  readonly delivery: Histogram<'target'>
  readonly registryEntries: Gauge<'kind'>
  readonly registryLoaded: Gauge
  readonly registryLoadSeconds: Gauge
  readonly registryReloads: Counter<'outcome'>
  readonly obligations: Gauge<'type' | 'status'>
  readonly commitBatch: Histogram
  readonly inFlight: Gauge

  constructor(opts: { processMetrics: boolean }) {
    const r = this.registry
    if (opts.processMetrics) collectDefaultMetrics({ register: r, prefix: 'dccgw_' })
    this.received = new Counter({ name: 'dccgw_messages_received_total', help: 'DUIS documents received, by kind (device_alert, dcc_alert, response, smets1, invalid).', labelNames: ['kind'], registers: [r] })
    this.decisions = new Counter({ name: 'dccgw_decisions_total', help: 'Decisions made, by decision and reason.', labelNames: ['decision', 'reason'], registers: [r] })
    this.ingressRejected = new Counter({ name: 'dccgw_ingress_rejected_total', help: 'Requests answered with an error status (413, 415, 422, 503, ...).', labelNames: ['status'], registers: [r] })
    this.deliveryAttempts = new Counter({ name: 'dccgw_delivery_attempts_total', help: 'Delivery attempts by target (adapter, outbox, notice) and outcome (ok, retry, rejected).', labelNames: ['target', 'outcome'], registers: [r] })
    this.spoolDepth = new Gauge({ name: 'dccgw_spool_depth', help: 'Deliveries waiting in the spool, by target.', labelNames: ['target'], registers: [r] })
    this.spoolOldestAge = new Gauge({ name: 'dccgw_spool_oldest_age_seconds', help: 'Age of the oldest spooled delivery, by target.', labelNames: ['target'], registers: [r] })
    this.quarantine = new Gauge({ name: 'dccgw_quarantine_messages', help: 'Messages held in quarantine, by reason.', labelNames: ['reason'], registers: [r] })
    this.processing = new Histogram({ name: 'dccgw_processing_seconds', help: 'Ingress to durable decision.', buckets: PROCESSING_BUCKETS, registers: [r] })
    this.delivery = new Histogram({ name: 'dccgw_delivery_seconds', help: 'One delivery attempt, by target.', labelNames: ['target'], buckets: DELIVERY_BUCKETS, registers: [r] })
    this.registryEntries = new Gauge({ name: 'dccgw_registry_entries', help: 'Registry index entries by kind (registrations, mpxns, devices, parties, user_ids).', labelNames: ['kind'], registers: [r] })
    this.registryLoaded = new Gauge({ name: 'dccgw_registry_loaded_timestamp_seconds', help: 'When the registry in use was loaded.', registers: [r] })
    this.registryLoadSeconds = new Gauge({ name: 'dccgw_registry_load_duration_seconds', help: 'How long the last successful registry load took.', registers: [r] })
    this.registryReloads = new Counter({ name: 'dccgw_registry_reloads_total', help: 'Registry loads by outcome (ok, failed).', labelNames: ['outcome'], registers: [r] })
    this.obligations = new Gauge({ name: 'dccgw_obligations', help: 'Obligations by type and status.', labelNames: ['type', 'status'], registers: [r] })
    this.commitBatch = new Histogram({ name: 'dccgw_store_commit_batch_size', help: 'Operations per store transaction.', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers: [r] })
    this.inFlight = new Gauge({ name: 'dccgw_ingress_in_flight', help: 'Requests being processed.', registers: [r] })
  }
}
