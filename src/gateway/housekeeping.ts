import type { Logger } from 'pino'
import { every } from '../clock/index.js'
import type { Clock, ClockTimer } from '../clock/index.js'
import type { Config } from '../config/index.js'
import { parseDuration } from '../config/index.js'
import type { GatewayStore } from '../store/index.js'

/** POST /admin/quarantine/purge: the quarantine retention rules run now (age, then size). */
export function purgeQuarantineNow(config: Config, store: GatewayStore, now: () => number): (actor: string) => Promise<{ byAge: number; bySize: number }> {
  return async (actor) => ({
    byAge: await store.purgeQuarantine(now() - config.store.quarantineRetentionDays * 86_400_000, actor),
    bySize: config.store.quarantineMaxBytes > 0 ? await store.purgeQuarantineOverSize(config.store.quarantineMaxBytes, actor) : 0,
  })
}

/**
 * Hourly retention: audit rows (also the dedupe memory), quarantine by age and size, and the kept
 * originals of forwarded critical alerts, through the store port (either kind).
 */
export function startHousekeeping(config: Config, store: GatewayStore, clock: Clock, log: Logger): ClockTimer {
  const dedupeWindowMs = parseDuration(config.dedupe.window)
  return every(clock, 3_600_000, () => {
    const t = clock.now()
    // Audit rows double as the dedupe memory: keep them for the longer of the two.
    const auditMs = Math.max(dedupeWindowMs, config.store.auditRetentionDays * 86_400_000)
    const quarantineCutoff = t - config.store.quarantineRetentionDays * 86_400_000
    const purge = (what: string, p: Promise<unknown>) => p.catch((err: unknown) => log.error({ err }, `${what} purge failed`))
    return Promise.all([
      purge('audit', store.purgeMessages(t - auditMs)),
      purge('quarantine', store.purgeQuarantine(quarantineCutoff, 'retention')),
      config.store.quarantineMaxBytes > 0 && purge('quarantine size', store.purgeQuarantineOverSize(config.store.quarantineMaxBytes, 'retention')),
      purge('originals', store.purgeOriginals(quarantineCutoff)),
    ])
  })
}
