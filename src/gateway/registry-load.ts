import type { Logger } from 'pino'
import type { Config } from '../config/types.js'
import { registrySourceTimes } from '../metrics/index.js'
import type { GatewayMetrics } from '../metrics/index.js'
import { loadRegistry } from '../registry/index.js'
import { loadOptionsOf } from '../registry/index.js'
import type { CompactRegistry } from '../registry/index.js'

/** Loads the registry files (a worker thread builds the index) and records the registry metrics. */
export async function loadAndMeasure(config: Config, metrics: GatewayMetrics, log: Logger): Promise<CompactRegistry> {
  const registryPaths = { registrations: config.registry.registrations, devices: config.registry.devices, parties: config.registry.parties }
  const started = performance.now()
  try {
    const sources = await registrySourceTimes(registryPaths) // before the load: never younger than the data
    const { index, report, snapshotWritten } = await loadRegistry(registryPaths, loadOptionsOf(config.registry))
    for (const r of report.snapshotsRefused) log.warn({ snapshot: r.file, reason: r.reason }, 'registry snapshot refused, not used')
    void snapshotWritten.then((w) => 'error' in w ? log.warn({ err: w.error }, 'registry snapshot not written') : 'file' in w && log.info({ snapshot: w.file, bytes: w.bytes }, 'registry snapshot written'))
    const seconds = (performance.now() - started) / 1000
    metrics.registryReloads.inc({ outcome: 'ok' })
    metrics.registryLoadSeconds.set(seconds)
    metrics.registryLoaded.set(index.loadedAt / 1000)
    metrics.setRegistrySources(sources)
    const c = index.counts
    for (const [kind, n] of Object.entries({ registrations: c.registrations, mpxns: c.mpxns, devices: c.devices, parties: c.parties, user_ids: c.userIds })) {
      metrics.registryEntries.set({ kind }, n)
    }
    log.info({ counts: c, seconds, source: report.source, ...(report.snapshot && { snapshot: report.snapshot }) }, 'registry loaded')
    return index
  } catch (err) {
    metrics.registryReloads.inc({ outcome: 'failed' })
    throw err
  }
}
