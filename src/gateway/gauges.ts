import type { Logger } from 'pino'
import type { GatewayMetrics } from '../metrics/index.js'
import { isStoreError } from '../store/index.js'
import type { GatewayStore } from '../store/index.js'

/**
 * GET /metrics: the gauges read from the store (spool, journal, quarantine and obligation counts)
 * and the pool's sample are refreshed, then the registry is exposed.
 */
export function metricsExposition(d: {
  metrics: GatewayMetrics
  store: GatewayStore
  now(): number
  log: Logger
  poolSample(): { utilization: number; queueDepth: number } | undefined
}): () => Promise<{ contentType: string; body: string }> {
  const { metrics, store, log } = d
  async function refreshGauges(): Promise<void> {
    if (!store.open) return
    const t = d.now()
    metrics.setSpool(store.spoolDepth(), t)
    const journal = store.journalStats()
    if (journal !== undefined) metrics.setJournal(journal)
    metrics.setLockRetries(store.lockRetries())
    // a store that cannot count (store.kind nats: quarantine per reason) leaves that gauge out (docs/cluster.md)
    const skip = (what: string) => (err: unknown) => void (isStoreError(err) || log.warn({ err }, `${what} gauge not refreshed`))
    await Promise.all([
      store.quarantineCounts().then((c) => metrics.setQuarantine(c), skip('quarantine')),
      store.obligationCounts(t).then((c) => metrics.setObligations(c), skip('obligations')),
    ])
  }
  return async () => {
    await refreshGauges()
    const pool = d.poolSample()
    if (pool !== undefined) metrics.setPool(pool)
    return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }
  }
}
