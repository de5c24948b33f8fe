// Plain data between the main thread and the pool workers (structured-cloneable).
import type { Config } from '../config/index.js'
import type { EnvelopeLimits } from '../envelope/index.js'
import type { RegistrySnapshot } from '../registry/index.js'
import type { Evaluation } from '../pipeline.js'

/** piscina `workerData`: what every worker builds once, at start. */
export interface WorkerSetup {
  limits: EnvelopeLimits
  tenants: Config['tenants']
  policy: Config['policy']
  dcc: Config['dcc']
  calendar: Config['calendar']
}

/**
 * One task = one batch. The bodies travel packed in one transferred buffer (body k is
 * bytes[offsets[k], offsets[k+1])): no copy on the way in, and never the whole pooled
 * ArrayBuffer a socket Buffer may be a view of.
 */
export interface BatchTask {
  /** registry generation the whole batch is decided on */
  gen: number
  /** the worker rebuilds its index only when `gen` changes */
  registry: WireSnapshot
  bytes: Uint8Array
  offsets: Uint32Array
}

/**
 * A RegistrySnapshot as it rides on every task. The tables' typed arrays live on
 * SharedArrayBuffers, so the clone shares them (no copy per worker or per task). Parties and MPIDs
 * travel as one JSON string, encoded once per generation: cloning a string is a copy of bytes,
 * cloning 20 party objects measured ~0.4-0.7 ms per task (bench/results/ingress.pool.md).
 */
export interface WireSnapshot {
  /** JSON of { loadedAt, counts, parties, mpids } */
  meta: string
  main: RegistrySnapshot['main']
  orphans: RegistrySnapshot['orphans']
  devices: RegistrySnapshot['devices']
}

export function toWire(s: RegistrySnapshot): WireSnapshot {
  const { main, orphans, devices, ...rest } = s
  return { meta: JSON.stringify(rest), main, orphans, devices }
}

export function fromWire(w: WireSnapshot): RegistrySnapshot {
  return { ...(JSON.parse(w.meta) as Omit<RegistrySnapshot, 'main' | 'orphans' | 'devices'>), main: w.main, orphans: w.orphans, devices: w.devices }
}

/**
 * One evaluation per message of the batch. Lookups and decisions run on the worker, with the
 * parse (measured: docs/performance.md; a main-thread placement was no better in the gateway).
 */
export type BatchResult = Evaluation[]
