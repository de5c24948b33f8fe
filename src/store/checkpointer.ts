import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Database } from 'better-sqlite3'
import { every } from '../clock/index.js'
import type { Clock, ClockTimer } from '../clock/index.js'

/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses wal_autocheckpoint pages and fsyncs the database file there: on this machine's disk a
 * 100-250 ms stall of every request in flight (the p99 at half the peak rate in
 * bench/results/ingress.e2e.md). With the compiled worker beside this file (dist/), the main
 * connection's autocheckpoint is switched off and a worker thread checkpoints on its own
 * connection, every `intervalMs` on the gateway's clock; from source (unit tests) SQLite's
 * automatic checkpoint stays on.
 */
export class Checkpointer {
  #worker: Worker | undefined
  #timer: ClockTimer | undefined
  /** the checkpoint the worker is running, if any (never two at once) */
  #running: Promise<void> | undefined

  constructor(db: Database, file: string, synchronous: string, intervalMs: number, clock: Clock, walLimitBytes = 64 * 1024 * 1024) {
    const js = new URL('./checkpoint-worker.js', import.meta.url)
    if (intervalMs <= 0 || !existsSync(fileURLToPath(js))) return
    db.pragma('wal_autocheckpoint = 0')
    const worker = new Worker(js, { workerData: { file, synchronous, walLimitBytes } })
    this.#worker = worker
    worker.unref()
    worker.on('error', () => {
      // the worker died: hand checkpoints back to SQLite rather than let the WAL grow
      if (db.open) db.pragma('wal_autocheckpoint = 1000')
      this.#worker = undefined
      this.#timer?.cancel()
    })
    this.#timer = every(clock, intervalMs, () => this.#checkpoint())
  }

  get active(): boolean {
    return this.#worker !== undefined
  }

  /** One PASSIVE checkpoint on the worker's connection; settles when it is done. */
  #checkpoint(): Promise<void> {
    const w = this.#worker
    if (w === undefined) return Promise.resolve()
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
    const w = this.#worker
    if (w === undefined) return
    this.#timer?.cancel()
    await this.#running
    this.#worker = undefined
    await new Promise<void>((resolve) => {
      const done = () => resolve()
      w.once('message', done)
      w.once('exit', done)
      w.postMessage('stop')
    })
    await w.terminate()
  }
}
