import { Worker } from 'node:worker_threads'
import { workerBeside } from '../threads/index.js'
import { writeOutboxJobs, type OutboxJob } from './outbox-files.js'

/** A group of jobs for the worker: the files' bytes in one transferred buffer. */
export interface OutboxRequest {
  id: number
  jobs: { folder: string; files: { name: string; start: number; length: number }[] }[]
  bytes: ArrayBuffer
}
interface OutboxReply { id: number; errors: (string | null)[] }
interface Waiter { resolve: () => void; reject: (err: Error) => void }

/**
 * Durable outbox writes off the event loop (docs/performance.md, "The main thread outside the
 * store"). The jobs go to a worker thread as one message per group, one group at a time: the jobs
 * asked for while a group is written form the next (waking the worker costs the event loop more
 * than the message itself). The worker writes them (writeOutboxJobs: temporary name, fsync,
 * rename, one fsync per folder; only the fsyncs leave its thread) and answers once for the group;
 * a job's promise settles when its files and their names are durable. With no compiled worker
 * beside this file (unit tests from source) the same writes run here, their opens and renames
 * blocking this thread. A worker that dies fails the jobs it held (the dispatcher
 * retries them) and the next group starts a new one.
 */
export class OutboxWriter {
  #pending: { job: OutboxJob; waiter: Waiter }[] = []
  #scheduled = false
  #worker: Worker | undefined
  #nextId = 0
  /** groups handed over and not answered yet: their waiters, and what ends the group */
  readonly #inFlight = new Map<number, { waiters: Waiter[]; done: () => void }>()
  readonly #groups = new Set<Promise<void>>()
  /** folders made already, when the writes run here */
  readonly #made = new Set<string>()
  readonly #workerUrl: URL | undefined

  /** `workerUrl`: the worker to run (tests); by default the compiled outbox-worker.js beside this file */
  constructor(opts: { workerUrl?: URL } = {}) {
    this.#workerUrl = opts.workerUrl ?? workerBeside(import.meta.url, './outbox-worker.js')
  }

  write(job: OutboxJob): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ job, waiter: { resolve, reject } })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.#flush())
      }
    })
  }

  /** Waits for the writes asked for so far, then stops the worker. */
  async close(): Promise<void> {
    this.#flush()
    while (this.#groups.size > 0) await Promise.all(this.#groups)
    const w = this.#worker
    this.#worker = undefined
    await w?.terminate()
  }

  #flush(): void {
    this.#scheduled = false
    if (this.#inFlight.size > 0) return // one group at a time: the next one leaves when it is answered
    const group = this.#pending
    this.#pending = []
    if (group.length === 0) return
    const id = this.#nextId++
    const ended = new Promise<void>((done) => this.#inFlight.set(id, { waiters: group.map((g) => g.waiter), done }))
    this.#groups.add(ended)
    void ended.then(() => this.#groups.delete(ended))
    const url = this.#workerUrl
    if (url === undefined) {
      void writeOutboxJobs(group.map((g) => g.job), this.#made).then((errors) => this.#settle({ id, errors }))
      return
    }
    let total = 0
    for (const { job } of group) for (const f of job.files) total += f.data.byteLength
    const bytes = new Uint8Array(total) // not from Buffer's pool: transferable
    let at = 0
    const jobs = group.map(({ job }) => ({
      folder: job.folder,
      files: job.files.map((f) => {
        bytes.set(f.data, at)
        at += f.data.byteLength
        return { name: f.name, start: at - f.data.byteLength, length: f.data.byteLength }
      }),
    }))
    const worker = this.#workerNow(url)
    worker.ref()
    const request: OutboxRequest = { id, jobs, bytes: bytes.buffer }
    worker.postMessage(request, [bytes.buffer])
  }

  #workerNow(url: URL): Worker {
    if (this.#worker !== undefined) return this.#worker
    const worker = new Worker(url)
    worker.unref()
    worker.on('message', (m: OutboxReply) => this.#settle(m))
    const lost = (why: string) => {
      if (this.#worker === worker) this.#worker = undefined
      for (const id of [...this.#inFlight.keys()]) this.#settle({ id, errors: [] }, why)
    }
    worker.on('error', (err) => lost(`outbox writer failed: ${err.message}`))
    worker.on('exit', (code) => lost(`outbox writer exited (code ${code})`))
    this.#worker = worker
    return worker
  }

  #settle(m: OutboxReply, lost?: string): void {
    const group = this.#inFlight.get(m.id)
    if (group === undefined) return
    this.#inFlight.delete(m.id)
    for (const [k, w] of group.waiters.entries()) {
      if (lost === undefined && m.errors[k] === null) w.resolve()
      else w.reject(new Error(lost ?? m.errors[k] ?? 'outbox writer gave no answer'))
    }
    group.done()
    if (this.#pending.length > 0) this.#flush()
    else this.#worker?.unref()
  }
}
