// The metrics of docs/operations.md, "Metrics", operational gauges included, scraped from a running gateway after
// traffic; no label value may identify a customer (MPxN: 6-13 digits; device ID: EUI-64).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CUSTOMER_VALUES, parseExposition, startBusyGateway, type BusyGateway, type Sample } from './ops-world.js'

const MPXN_LIKE = /^\d{6,13}$/
const EUI64_LIKE = /^[0-9a-f]{2}([-:]?[0-9a-f]{2}){7}$/i

describe('metrics on a running gateway (contract §9)', () => {
  let busy: BusyGateway
  let samples: Sample[]
  const series = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))

  beforeAll(async () => {
    busy = await startBusyGateway()
    samples = parseExposition(await busy.scrape())
  })
  afterAll(() => busy.close())

  it('carries no per-customer value in any label (MPxN-like digits, EUI-64, or a value the traffic carried)', () => {
    expect(samples.length).toBeGreaterThan(100)
    const offending = samples.flatMap((s) =>
      Object.entries(s.labels)
        .filter(([, v]) => MPXN_LIKE.test(v) || EUI64_LIKE.test(v) || CUSTOMER_VALUES.some((c) => v.includes(c)))
        .map(([k, v]) => `${s.name}{${k}="${v}"}`),
    )
    expect(offending).toEqual([])
  })

  it('counts traffic by kind, decision and reason, and ingress rejections by status', () => {
    expect(series('dccgw_messages_received_total', { kind: 'device_alert' })[0]?.value).toBe(6)
    expect(series('dccgw_messages_received_total', { kind: 'invalid' })[0]?.value).toBe(1)
    expect(series('dccgw_decisions_total', { decision: 'deliver', reason: 'responsible' })[0]?.value).toBe(3)
    expect(series('dccgw_decisions_total', { decision: 'forward', reason: 'stale-cos-critical' })[0]?.value).toBe(1)
    expect(series('dccgw_decisions_total', { decision: 'drop', reason: 'stale-cos-noncritical' })[0]?.value).toBe(1)
    expect(series('dccgw_decisions_total', { decision: 'quarantine', reason: 'unknown-device' })[0]?.value).toBe(1)
    expect(series('dccgw_ingress_rejected_total', { status: '422' })[0]?.value).toBe(1)
    expect(series('dccgw_ingress_rejected_total', { status: '415' })[0]?.value).toBe(1)
  })

  it('resolves the hot path: processing buckets from 50 µs to 5 s', () => {
    const les = series('dccgw_processing_seconds_bucket').map((s) => s.labels.le)
    expect(les[0]).toBe('0.00005')
    expect(les).toContain('5')
    expect(les.at(-1)).toBe('+Inf')
    expect(series('dccgw_processing_seconds_count')[0]?.value).toBe(6)
  })

  it('reports delivery attempts and latency per target and outcome', () => {
    expect(series('dccgw_delivery_attempts_total', { target: 'adapter', outcome: 'ok' })[0]?.value).toBe(3)
    expect(series('dccgw_delivery_attempts_total', { target: 'notice', outcome: 'ok' })[0]?.value).toBe(1)
    expect(series('dccgw_delivery_seconds_count', { target: 'adapter', outcome: 'ok' })[0]?.value).toBe(3)
  })

  it('exports spool depth and oldest age, quarantine by reason and obligations by status, zero-filled', () => {
    for (const target of ['adapter', 'notice']) {
      expect(series('dccgw_spool_depth', { target })[0]?.value).toBe(0)
      expect(series('dccgw_spool_oldest_age_seconds', { target })[0]?.value).toBe(0)
    }
    expect(series('dccgw_quarantine_messages', { reason: 'unknown-device' })[0]?.value).toBe(1)
    expect(series('dccgw_quarantine_messages', { reason: 'malformed' })[0]?.value).toBe(1)
    // the forward opened one critical-forward obligation; its notice was delivered: notified
    expect(series('dccgw_obligations', { type: 'critical-forward', status: 'notified' })[0]?.value).toBe(1)
    for (const status of ['open', 'overdue', 'escalated', 'acknowledged']) {
      expect(series('dccgw_obligations', { type: 'critical-forward', status })[0]?.value, status).toBe(0)
    }
  })

  it('exports registry freshness: load time and the age of each registry file', () => {
    const loaded = series('dccgw_registry_loaded_timestamp_seconds')[0]!.value
    expect(Math.abs(loaded - Date.now() / 1000)).toBeLessThan(600)
    const files = series('dccgw_registry_source_timestamp_seconds').map((s) => s.labels.file).sort()
    expect(files).toEqual(['devices', 'parties', 'registrations'])
    for (const s of series('dccgw_registry_source_timestamp_seconds')) expect(s.value).toBeLessThanOrEqual(loaded + 1)
    expect(series('dccgw_registry_entries', { kind: 'mpxns' })[0]?.value).toBeGreaterThan(0)
  })

  it('exports the worker pool gauges, event-loop lag and process defaults', () => {
    expect(series('dccgw_pool_utilization')).toHaveLength(1)
    expect(series('dccgw_pool_queue_depth')).toHaveLength(1)
    expect(series('dccgw_nodejs_eventloop_lag_p99_seconds')).toHaveLength(1)
    expect(series('dccgw_process_resident_memory_bytes')[0]?.value).toBeGreaterThan(0)
  })
})
