import { describe, expect, it } from 'vitest'
import { DELIVERY_TARGETS, GatewayMetrics, INGRESS_STATUSES, REASON_CODES } from './gateway-metrics.js'

async function value(m: GatewayMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = await m.registry.getSingleMetric(name)?.get()
  return metric?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value
}

describe('GatewayMetrics setters', () => {
  it('setPool clamps utilisation to 0..1 and the queue to >= 0 (the API src/pool calls)', async () => {
    const m = new GatewayMetrics({ processMetrics: false })
    expect(await value(m, 'dccgw_pool_utilization')).toBe(0)
    m.setPool({ utilization: 0.75, queueDepth: 3 })
    expect(await value(m, 'dccgw_pool_utilization')).toBe(0.75)
    expect(await value(m, 'dccgw_pool_queue_depth')).toBe(3)
    m.setPool({ utilization: 1.5, queueDepth: -1 })
    expect(await value(m, 'dccgw_pool_utilization')).toBe(1)
    expect(await value(m, 'dccgw_pool_queue_depth')).toBe(0)
  })

  it('setSpool zero-fills the known targets and ages the oldest item', async () => {
    const m = new GatewayMetrics({ processMetrics: false })
    m.setSpool([{ target: 'adapter', n: 4, oldest: 10_000 }], 70_000)
    expect(await value(m, 'dccgw_spool_depth', { target: 'adapter' })).toBe(4)
    expect(await value(m, 'dccgw_spool_oldest_age_seconds', { target: 'adapter' })).toBe(60)
    expect(await value(m, 'dccgw_spool_depth', { target: 'notice' })).toBe(0)
    m.setSpool([], 80_000)
    expect(await value(m, 'dccgw_spool_depth', { target: 'adapter' })).toBe(0)
    expect(await value(m, 'dccgw_spool_oldest_age_seconds', { target: 'adapter' })).toBe(0)
  })

  it('setObligations zero-fills every type and status; setQuarantine zero-fills every reason code', async () => {
    const m = new GatewayMetrics({ processMetrics: false })
    m.setObligations([{ type: 'critical-forward', status: 'overdue', n: 2 }])
    expect(await value(m, 'dccgw_obligations', { type: 'critical-forward', status: 'overdue' })).toBe(2)
    expect(await value(m, 'dccgw_obligations', { type: 'install-code', status: 'open' })).toBe(0)
    m.setQuarantine([{ reason: 'unknown-device', n: 5 }])
    m.setQuarantine([{ reason: 'malformed', n: 1 }])
    expect(await value(m, 'dccgw_quarantine_messages', { reason: 'unknown-device' })).toBe(0)
    expect(await value(m, 'dccgw_quarantine_messages', { reason: 'malformed' })).toBe(1)
  })

  it('setRegistrySources exports seconds per known file only', async () => {
    const m = new GatewayMetrics({ processMetrics: false })
    m.setRegistrySources({ registrations: 1_700_000_000_000, devices: 1_700_000_500_000 })
    expect(await value(m, 'dccgw_registry_source_timestamp_seconds', { file: 'registrations' })).toBe(1_700_000_000)
    expect(await value(m, 'dccgw_registry_source_timestamp_seconds', { file: 'parties' })).toBeUndefined()
  })

  it('declares every closed label set at 0 from the start (issue 18)', async () => {
    const m = new GatewayMetrics({ processMetrics: false })
    expect(INGRESS_STATUSES).toEqual(expect.arrayContaining(['413', '415', '422', '503']))
    expect(await value(m, 'dccgw_ingress_rejected_total', { status: '503' })).toBe(0)
    expect(await value(m, 'dccgw_messages_received_total', { kind: 'invalid' })).toBe(0)
    expect(await value(m, 'dccgw_decisions_total', { decision: 'quarantine', reason: 'unknown-device' })).toBe(0)
    expect((await m.registry.getSingleMetric('dccgw_decisions_total')!.get()).values).toHaveLength(4 * REASON_CODES.length)
    expect(await value(m, 'dccgw_delivery_attempts_total', { target: 'notice', outcome: 'rejected' })).toBe(0)
    expect(await value(m, 'dccgw_registry_reloads_total', { outcome: 'failed' })).toBe(0)
    expect(await value(m, 'dccgw_obligations_overdue_total', { type: 'critical-quarantined' })).toBe(0)
    expect(await value(m, 'dccgw_obligation_transitions_total', { type: 'install-code', status: 'open' })).toBe(0)
    m.ingressRejected.inc({ status: '503' })
    expect(await value(m, 'dccgw_ingress_rejected_total', { status: '503' })).toBe(1)
  })

  it('reads the spool bytes and breaker states from the sources their owners set, 0 before', async () => {
    const m = new GatewayMetrics({ processMetrics: false })
    expect(await value(m, 'dccgw_spool_bytes')).toBe(0)
    for (const target of DELIVERY_TARGETS) expect(await value(m, 'dccgw_delivery_breaker_state', { target })).toBe(0)
    let bytes = 1234
    m.setSpoolBytesSource(() => bytes)
    m.setBreakerSource(() => new Map([['adapter', 2]]))
    expect(await value(m, 'dccgw_spool_bytes')).toBe(1234)
    bytes = 10
    expect(await value(m, 'dccgw_spool_bytes')).toBe(10)
    expect(await value(m, 'dccgw_delivery_breaker_state', { target: 'adapter' })).toBe(2)
    expect(await value(m, 'dccgw_delivery_breaker_state', { target: 'outbox' })).toBe(0)
  })

  it("counts retried lock conflicts from the store's running total, read at each scrape", async () => {
    const m = new GatewayMetrics({ processMetrics: false })
    expect(await value(m, 'dccgw_store_lock_retries_total')).toBe(0)
    m.setLockRetries(3)
    m.setLockRetries(3)
    expect(await value(m, 'dccgw_store_lock_retries_total')).toBe(3)
    m.setLockRetries(7)
    expect(await value(m, 'dccgw_store_lock_retries_total')).toBe(7)
  })
})
