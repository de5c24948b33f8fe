import type { Clock } from '../clock/index.js'
import { parseDuration, type Config } from '../config/index.js'
import type { GatewayStore } from './gateway-store.js'
import { JournaledStore } from './journaled-store.js'
import { SqliteStore } from './sqlite-store.js'

export interface OpenStoreOptions {
  /**
   * false: reads and operator actions only (the CLI). A clustered store then takes no deliveries
   * from the cluster; the embedded one runs no checkpoint thread (WAL lets a second process in,
   * and the serving gateway checkpoints).
   */
  lease?: boolean
  /** group commit of the embedded store: 0 commits each write at once (the CLI) */
  commitIntervalMs?: number
  /** the gateway's clock (default: the system clock) */
  clock?: Clock
}

/**
 * The store `store.kind` names: the embedded SQLite database under store.path, or NATS JetStream
 * shared by every instance (docs/cluster.md; the NATS client is loaded only in that mode). The
 * one place that knows which kinds exist.
 */
export async function openStore(config: Config, opts: OpenStoreOptions = {}): Promise<GatewayStore> {
  if (config.store.kind === 'nats') {
    const { openNatsStore } = await import('./nats/index.js')
    return openNatsStore(config, { lease: opts.lease ?? true, ...(opts.clock !== undefined && { clock: opts.clock }) })
  }
  const sqlite = {
    path: config.store.path,
    commitIntervalMs: opts.commitIntervalMs ?? config.store.commitIntervalMs,
    commitBatch: config.store.commitBatch,
    synchronous: config.store.synchronous,
    pageCacheMiB: config.store.pageCacheMiB,
    ...(opts.clock !== undefined && { clock: opts.clock }),
  }
  // The serving gateway writes through the journal (journaled-store.ts); the CLI reads and acts on
  // the SQLite projection directly (what it writes is picked up by the gateway).
  if (opts.lease === false) return new SqliteStore(sqlite)
  return JournaledStore.open({ ...sqlite, checkpointIntervalMs: config.store.checkpointIntervalMs, dedupeWindowMs: parseDuration(config.dedupe.window) })
}
