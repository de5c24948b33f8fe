import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Database } from 'better-sqlite3'

/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses wal_autocheckpoint pages and fsyncs the database file there: on this machine's disk a
 * 100-250 ms stall of every request in flight (the p99 at half the peak rate in
 * bench/results/ingress.e2e.md). With the compiled worker beside this file (dist/), the main
 * connection's autocheckpoint is switched off and a worker thread checkpoints on its own
 * connection; from source (unit tests) SQLite's automatic checkpoint stays on.
 */
export class Checkpointer {
  #worker: Worker | undefined

  constructor(db: Database, file: string, synchronous: string, intervalMs: number) {
    const js = new URL('./checkpoint-worker.js', import.meta.url)
    if (intervalMs <= 0 || !existsSync(fileURLToPath(js))) return
    db.pragma('wal_autocheckpoint = 0')
    this.#worker = new Worker(js, { workerData: { file, intervalMs, synchronous } })
    this.#worker.unref()
    this.#worker.on('error', () => {
      // the worker died: hand checkpoints back to SQLite rather than let the WAL grow
      if (db.open) db.pragma('wal_autocheckpoint = 1000')
      this.#worker = undefined
    })
  }

  get active(): boolean {
    return this.#worker !== undefined
  }

  async stop(): Promise<void> {
    const w = this.#worker
    if (w === undefined) return
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
