import type { Logger } from 'pino'
import type { Config } from '../config/types.js'
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
export function startHousekeeping(config: Config, store: GatewayStore, now: () => number, log: Logger): NodeJS.Timeout {
  const dedupeWindowMs = parseDuration(config.dedupe.window)
  const timer = setInterval(() => {
    const t = now()
    // Audit rows double as the dedupe memory: keep them for the longer of the two.
    const auditMs = Math.max(dedupeWindowMs, config.store.auditRetentionDays * 86_400_000)
    store.purgeMessages(t - auditMs).catch((err: unknown) => log.error({ err }, 'audit purge failed'))
    const quarantineCutoff = t - config.store.quarantineRetentionDays * 86_400_000
    store.purgeQuarantine(quarantineCutoff, 'retention').catch((err: unknown) => log.error({ err }, 'quarantine purge failed'))
    if (config.store.quarantineMaxBytes > 0) {
      store.purgeQuarantineOverSize(config.store.quarantineMaxBytes, 'retention').catch((err: unknown) => log.error({ err }, 'quarantine size purge failed'))
    }
    store.purgeOriginals(quarantineCutoff).catch((err: unknown) => log.error({ err }, 'originals purge failed'))
  }, 3_600_000)
  timer.unref()
  return timer
}
