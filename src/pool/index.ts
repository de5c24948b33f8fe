// src/pool: the pure pipeline stages (parse -> lookup -> decide) on piscina workers, in batches.
export { EvaluatePool, type PoolOptions, type PoolOutcome } from './evaluate-pool.js'
export { workerSetup } from './setup.js'
export { toWire, fromWire } from './types.js'
export type { BatchTask, BatchResult, WireSnapshot, WorkerSetup } from './types.js'
