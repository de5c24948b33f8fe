import { describe, expect, it } from 'vitest'
import { GatewayMetrics } from './gateway-metrics.js'

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

  it('setObligations zero-fills every type and status; setQuarantine drops emptied reasons', async () => {
    const m = new GatewayMetrics({ processMetrics: false })
    m.setObligations([{ type: 'critical-forward', status: 'overdue', n: 2 }])
    expect(await value(m, 'dccgw_obligations', { type: 'critical-forward', status: 'overdue' })).toBe(2)
    expect(await value(m, 'dccgw_obligations', { type: 'install-code', status: 'open' })).toBe(0)
    m.setQuarantine([{ reason: 'unknown-device', n: 5 }])
    m.setQuarantine([{ reason: 'malformed', n: 1 }])
    expect(await value(m, 'dccgw_quarantine_messages', { reason: 'unknown-device' })).toBeUndefined()
    expect(await value(m, 'dccgw_quarantine_messages', { reason: 'malformed' })).toBe(1)
  })

  it('setRegistrySources exports seconds per known file only', async () => {
    const m = new GatewayMetrics({ processMetrics: false })
    m.setRegistrySources({ registrations: 1_700_000_000_000, devices: 1_700_000_500_000 })
    expect(await value(m, 'dccgw_registry_source_timestamp_seconds', { file: 'registrations' })).toBe(1_700_000_000)
    expect(await value(m, 'dccgw_registry_source_timestamp_seconds', { file: 'parties' })).toBeUndefined()
  })
})
