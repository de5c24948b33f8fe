// EvaluatePool: the pure part of the pipeline (parse -> lookup -> decide) on piscina workers,
// batched. States of a message: waiting in #batch -> in a task (piscina queue or a worker) ->
// settled. A message is counted in #pending from admission to settlement; past `maxQueue`
// evaluate() answers `overloaded` (ingress: 503 + Retry-After) instead of queueing without bound.
//
// Batching ("the batch is the unit": a piscina round trip costs tens of µs): a batch
// goes when it holds `batchSize` messages; otherwise at the end of the event-loop turn in which
// it started if a worker is idle, else once `batchWaitMicros` have passed (re-checked with
// setImmediate: setTimeout cannot wait less than 1 ms) or as soon as a task returns.
import { Piscina } from 'piscina'
import type { CompactRegistry } from '../registry/index.js'
import { workerBeside } from '../threads/index.js'
import { toWire } from './types.js'
import type { BatchResult, BatchTask, WireSnapshot, WorkerSetup } from './types.js'

export interface PoolOptions {
  size: number
  batchSize: number
  batchWaitMicros: number
  maxQueue: number
  setup: WorkerSetup
  registry: CompactRegistry
}

export type PoolOutcome =
  | { kind: 'evaluated'; ev: BatchResult[number]; registry: CompactRegistry }
  | { kind: 'overloaded'; detail: string }

interface Waiter {
  body: Uint8Array
  resolve: (o: PoolOutcome) => void
  reject: (e: unknown) => void
}

export class EvaluatePool {
  readonly #o: PoolOptions
  readonly #piscina: Piscina
  #batch: Waiter[] = []
  #batchStarted = 0
  #scheduled = false
  /** tasks handed to piscina and not yet returned */
  #tasks = 0
  /** messages admitted and not yet settled */
  #pending = 0
  #gen = 0
  #registry: CompactRegistry
  #snapshot: WireSnapshot
  #closed = false

  constructor(o: PoolOptions) {
    if (o.size < 1) throw new Error('EvaluatePool needs pool.size >= 1 (0 = evaluate on the main thread)')
    // the compiled worker beside this module (dist/pool/worker.js): a .ts source cannot be loaded,
    // and unlike the other threads there is no inline fallback here (pool.size 0 is that)
    const worker = workerBeside(import.meta.url, './worker.js')
    if (worker === undefined) throw new Error('EvaluatePool needs the built gateway (pool/worker.js beside pool/evaluate-pool.js); from source set pool.size 0')
    this.#o = o
    this.#registry = o.registry
    this.#snapshot = toWire(o.registry.toShared())
    this.#piscina = new Piscina({
      filename: worker.href,
      minThreads: o.size,
      maxThreads: o.size,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      workerData: o.setup,
    })
  }

  /** Messages admitted and not yet settled (waiting for or being evaluated by a worker). */
  get pending(): number {
    return this.#pending
  }

  /** For dccgw_pool_utilization (busy workers / workers) and dccgw_pool_queue_depth (batches waiting). */
  sample(): { utilization: number; queueDepth: number } {
    return {
      utilization: Math.min(this.#tasks, this.#o.size) / this.#o.size,
      queueDepth: Math.max(0, this.#tasks - this.#o.size) + (this.#batch.length > 0 ? 1 : 0),
    }
  }

  /**
   * A new registry generation (reload). Batches formed from now on are decided on it; a batch
   * already handed to a worker finishes on the index it was formed with: never a mix.
   */
  setRegistry(registry: CompactRegistry): void {
    this.#flush() // what waits now was received before the swap
    this.#registry = registry
    this.#snapshot = toWire(registry.toShared())
    this.#gen++
  }

  evaluate(body: Uint8Array): Promise<PoolOutcome> {
    if (this.#pending >= this.#o.maxQueue || this.#closed) {
      return Promise.resolve({ kind: 'overloaded', detail: `${this.#pending} messages waiting for the worker pool (pool.maxQueue ${this.#o.maxQueue})` })
    }
    this.#pending++
    return new Promise<PoolOutcome>((resolve, reject) => {
      if (this.#batch.length === 0) this.#batchStarted = performance.now()
      this.#batch.push({ body, resolve, reject })
      if (this.#batch.length >= this.#o.batchSize) this.#flush()
      else if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(this.#check)
      }
    })
  }

  readonly #check = (): void => {
    this.#scheduled = false
    if (this.#batch.length === 0) return
    const waitedMicros = (performance.now() - this.#batchStarted) * 1000
    if (this.#tasks < this.#o.size || waitedMicros >= this.#o.batchWaitMicros) this.#flush()
    else {
      this.#scheduled = true
      setImmediate(this.#check)
    }
  }

  #flush(): void {
    const batch = this.#batch
    if (batch.length === 0) return
    this.#batch = []
    const task = packBatch(batch, this.#gen, this.#snapshot)
    const registry = this.#registry
    this.#tasks++
    this.#piscina.run(task, { transferList: [task.bytes.buffer as ArrayBuffer, task.offsets.buffer as ArrayBuffer] }).then(
      (results: BatchResult) => {
        this.#tasks--
        this.#pending -= batch.length
        this.#settle(batch, results, registry)
        if (this.#batch.length > 0 && !this.#closed) this.#flush()
      },
      (err: unknown) => {
        this.#tasks--
        this.#pending -= batch.length
        for (const w of batch) w.reject(err)
      },
    )
  }

  #settle(batch: Waiter[], results: BatchResult, registry: CompactRegistry): void {
    for (let k = 0; k < batch.length; k++) batch[k]!.resolve({ kind: 'evaluated', ev: results[k]!, registry })
  }

  /** Settles what is queued, then stops the workers. */
  async close(): Promise<void> {
    this.#flush()
    this.#closed = true
    while (this.#tasks > 0) await new Promise((r) => setTimeout(r, 5))
    await this.#piscina.destroy()
  }
}

function packBatch(batch: readonly Waiter[], gen: number, registry: WireSnapshot): BatchTask {
  let total = 0
  for (const w of batch) total += w.body.byteLength
  const bytes = new Uint8Array(total)
  const offsets = new Uint32Array(batch.length + 1)
  let at = 0
  for (let k = 0; k < batch.length; k++) {
    bytes.set(batch[k]!.body, at)
    at += batch[k]!.body.byteLength
    offsets[k + 1] = at
  }
  return { gen, bytes, offsets, registry }
}
