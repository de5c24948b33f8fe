// The clustered store (store.kind nats): NATS JetStream behind the GatewayStore surface.
// open-store.ts loads this folder only in that mode, so the embedded mode never loads the NATS client.
import type { Clock } from '../../clock/index.js'
import type { Config } from '../../config/index.js'
import { parseDuration } from '../../config/index.js'
import { NatsStore } from './nats-store.js'
import { natsOptionsFrom } from './options.js'

export { NatsStore } from './nats-store.js'
export { natsOptionsFrom, natsNames } from './options.js'
export type { NatsStoreOptions, NatsConfigSection } from './options.js'

/** Connects to `store.nats.servers`, creates or checks the streams and buckets, starts leasing. */
export function openNatsStore(config: Config, opts: { lease?: boolean; clock?: Clock } = {}): Promise<NatsStore> {
  return NatsStore.open(
    natsOptionsFrom(config.store.nats, {
      configFile: config.configFile,
      dedupeWindowMs: parseDuration(config.dedupe.window),
      quarantineRetentionDays: config.store.quarantineRetentionDays,
      concurrency: config.delivery.concurrency,
    }),
    opts,
  )
}
