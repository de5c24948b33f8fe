import { Worker } from 'node:worker_threads'
import type { Database } from 'better-sqlite3'
import { every } from '../clock/index.js'
import { workerBeside } from '../threads/index.js'
import type { Clock, ClockTimer } from '../clock/index.js'

export interface CheckpointerOptions {
  /** gateway.db */
  file: string
  synchronous: string
  /** > 0: a checkpoint round every this many ms on `clock`; 0: SQLite's automatic checkpoint stays on */
  intervalMs: number
  clock: Clock
  /** WAL size past which a round empties the file (TRUNCATE), checkpoint-worker.ts */
  walLimitBytes?: number
  /** the worker's entry, used as given (tests); default the compiled checkpoint-worker.js beside this file */
  worker?: URL
  /** the worker connection's page cache (store.pageCacheMiB) */
  pageCacheMiB: number
}

/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses wal_autocheckpoint pages and fsyncs the database file there: on this machine's disk a
 * 100-250 ms stall of every request in flight (the p99 at half the peak rate in
 * bench/results/ingress.e2e.md). With the compiled worker beside this file (dist/), the main
 * connection's autocheckpoint is switched off and a worker thread checkpoints on its own
 * connection, every `intervalMs` on the gateway's clock; from source (unit tests) SQLite's
 * automatic checkpoint stays on.
 *
 * Every connection that writes (the main one, the projection worker's) keeps autocheckpoint off
 * while this runs, so a worker that dies is replaced at the next round rather than the checkpoints
 * handed back: handing them back would have to reach every writing connection, and SQLite's own
 * PASSIVE checkpoints do not bound the WAL with two connections busy (checkpoint-worker.ts).
 */
export class Checkpointer {
  readonly #url: URL | undefined
  readonly #data: { file: string; synchronous: string; walLimitBytes: number; pageCacheMiB: number }
  #worker: Worker | undefined
  #timer: ClockTimer | undefined
  /** the checkpoint the worker is running, if any (never two at once) */
  #running: Promise<void> | undefined
  #stopping = false
  /** workers that died and were replaced */
  replaced = 0

  constructor(db: Database, opts: CheckpointerOptions) {
    const js = opts.worker ?? workerBeside(import.meta.url, './checkpoint-worker.js')
    this.#data = { file: opts.file, synchronous: opts.synchronous, walLimitBytes: opts.walLimitBytes ?? 64 * 1024 * 1024, pageCacheMiB: opts.pageCacheMiB }
    if (opts.intervalMs <= 0 || js === undefined) return
    this.#url = js
    db.pragma('wal_autocheckpoint = 0')
    this.#worker = this.#start()
    this.#timer = every(opts.clock, opts.intervalMs, () => this.#checkpoint())
  }

  #start(): Worker {
    const worker = new Worker(this.#url!, { workerData: this.#data })
    worker.unref()
    const lost = () => {
      if (this.#worker !== worker) return
      this.#worker = undefined
      if (!this.#stopping) this.replaced++
    }
    worker.on('error', lost)
    worker.on('exit', lost)
    return worker
  }

  /** One checkpoint round on the worker's connection (a new worker if the last one died); settles when it is done. */
  #checkpoint(): Promise<void> {
    if (this.#stopping) return Promise.resolve()
    const w = (this.#worker ??= this.#start())
    this.#running ??= new Promise<void>((resolve) => {
      const done = () => {
        w.off('message', done)
        w.off('exit', done)
        this.#running = undefined
        resolve()
      }
      w.on('message', done)
      w.on('exit', done)
      w.postMessage('checkpoint')
    })
    return this.#running
  }

  async stop(): Promise<void> {
    if (this.#url === undefined || this.#stopping) return
    this.#stopping = true
    this.#timer?.cancel()
    await this.#running
    const w = this.#worker
    this.#worker = undefined
    if (w === undefined) return
    await new Promise<void>((resolve) => {
      const done = () => resolve()
      w.once('message', done)
      w.once('exit', done)
      w.postMessage('stop')
    })
    await w.terminate()
  }
}
