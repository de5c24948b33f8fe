import { MessageChannel, Worker } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { workerBeside } from '../threads/index.js'
import { Projection } from './projection.js'
import type { ProjectionRecord, ProjectionResult, SpoolRow } from './projection.js'
import type { SqliteStore } from './sqlite-store.js'
import type { ObligationRow, ObligationTransition } from './types.js'

export interface ProjectionWorkerData {
  /** folder of gateway.db */
  path: string
  synchronous: 'FULL' | 'NORMAL'
  /** the main connection's wal_autocheckpoint (0 while the checkpoint thread runs) */
  autocheckpoint: number
  /** store.pageCacheMiB, as on the main connection */
  pageCacheMiB: number
}

type Ask =
  | { t: 'apply'; buf: ArrayBuffer; durable: boolean }
  | { t: 'probe' }
  | { t: 'pages'; pages: number }
  | { t: 'transitions'; list: readonly ObligationTransition[]; now: number; actor: string }
  | { t: 'due'; now: number }
  | { t: 'cache' }
  | { t: 'stop' }
export type ProjectionRequest = { id: number } & Ask

export interface ProjectionReply {
  id: number
  result?: ProjectionResult
  grow?: boolean
  /** a transitions request's answer: the obligations it changed, the notice rows it wrote */
  transitions?: Transitioned
  /** a due request's rows */
  rows?: ObligationRow[]
  /** the connection's page cache in KiB (the 'cache' request) */
  cacheKiB?: number
  error?: { message: string; code?: string }
}

/** What obligation transitions changed: the obligations, and the notice rows written (handed over, projection.ts `SideRows`). */
export interface Transitioned {
  ids: string[]
  side: SpoolRow[]
}

/** What the journaled store hears back: the batch's result, or why nothing of it was applied. */
export type Applied = { result: ProjectionResult } | { error: Error }

/**
 * Where the projection runs: a worker thread (`ProjectionThread`) or, from source where the
 * compiled worker is absent, the main connection (`ProjectionHere`). Both call `done` once per
 * request; `ProjectionHere` before returning.
 */
export interface Projector {
  readonly threaded: boolean
  /** the worker died (an uncaught error): a new one must be started */
  readonly dead: boolean
  apply(batch: readonly ProjectionRecord[], durable: boolean, done: (a: Applied) => void): void
  /** whether gateway.db can grow now (a rolled-back insert); an Error when that could not be tried */
  probe(done: (grow: boolean | Error) => void): void
  /** max_page_count on the projection's connection (tests: a full disk) */
  limitPages(pages: number): Promise<void>
  /** the obligation timer's writes and its query, on the projection's connection (projection.ts) */
  obligationTransitions(list: readonly ObligationTransition[], now: number, actor: string): Promise<Transitioned>
  dueObligations(now: number): Promise<ObligationRow[]>
  stop(): Promise<void>
}

/** The projection on the calling thread's connection: recovery at open, and from source. */
export class ProjectionHere implements Projector {
  readonly threaded = false
  readonly dead = false
  readonly #projection: Projection

  constructor(projection: Projection) {
    this.#projection = projection
  }

  apply(batch: readonly ProjectionRecord[], durable: boolean, done: (a: Applied) => void): void {
    let a: Applied
    try {
      a = { result: this.#projection.apply(batch, durable) }
    } catch (err) {
      a = { error: err as Error }
    }
    done(a)
  }

  probe(done: (grow: boolean | Error) => void): void {
    let grow: boolean | Error
    try {
      grow = this.#projection.canGrow()
    } catch (err) {
      grow = err as Error
    }
    done(grow)
  }

  async limitPages(): Promise<void> {}

  async obligationTransitions(list: readonly ObligationTransition[], now: number, actor: string): Promise<Transitioned> {
    return this.#projection.obligationTransitions(list, now, actor)
  }

  async dueObligations(now: number): Promise<ObligationRow[]> {
    return this.#projection.dueObligations(now)
  }

  async stop(): Promise<void> {}
}

/**
 * The projection worker (projection-worker.ts), seen from the main thread. Requests and answers
 * travel on a MessageChannel; a batch travels as one transferred buffer (`packBatch`), not as
 * cloned objects. Nothing waits for an answer by blocking the event loop: a worker that dies is
 * seen only by its 'exit' event (a thread blocked in Atomics.wait for the answer of a worker that
 * died holding a request would never see it), which fails the requests it held.
 */
export class ProjectionThread implements Projector {
  readonly threaded = true
  readonly #worker: Worker
  readonly #port: MessagePort
  readonly #waiting = new Map<number, (r: ProjectionReply) => void>()
  #next = 1
  #dead: Error | undefined

  constructor(url: URL, data: ProjectionWorkerData) {
    const { port1, port2 } = new MessageChannel()
    this.#port = port1
    this.#worker = new Worker(url, { workerData: { ...data, port: port2 }, transferList: [port2] })
    port1.on('message', (r: ProjectionReply) => this.#answered(r))
    port1.unref() // referenced only while a request waits (the process must not exit mid-batch)
    this.#worker.unref()
    this.#worker.on('error', (err) => this.#fail(err))
    this.#worker.on('exit', (code) => this.#fail(new Error(`the projection worker exited (code ${code})`)))
  }

  get dead(): boolean {
    return this.#dead !== undefined
  }

  apply(batch: readonly ProjectionRecord[], durable: boolean, done: (a: Applied) => void): void {
    const buf = packBatch(batch)
    this.#request({ t: 'apply', buf, durable }, [buf], (r) =>
      done(r.result !== undefined ? { result: { ...r.result, side: withBuffers(r.result.side) } } : { error: errorOf(r) }),
    )
  }

  probe(done: (grow: boolean | Error) => void): void {
    this.#request({ t: 'probe' }, [], (r) => done(r.grow ?? errorOf(r)))
  }

  limitPages(pages: number): Promise<void> {
    return new Promise((resolve) => this.#request({ t: 'pages', pages }, [], () => resolve()))
  }

  obligationTransitions(list: readonly ObligationTransition[], now: number, actor: string): Promise<Transitioned> {
    return new Promise((resolve, reject) =>
      this.#request({ t: 'transitions', list, now, actor }, [], (r) =>
        r.transitions !== undefined ? resolve({ ids: r.transitions.ids, side: withBuffers(r.transitions.side) }) : reject(errorOf(r)),
      ),
    )
  }

  dueObligations(now: number): Promise<ObligationRow[]> {
    return new Promise((resolve, reject) => this.#request({ t: 'due', now }, [], (r) => (r.rows !== undefined ? resolve(r.rows) : reject(errorOf(r)))))
  }

  /** the worker connection's page cache in KiB (tests: store.pageCacheMiB reaches it) */
  pageCacheKiB(): Promise<number> {
    return new Promise((resolve, reject) => this.#request({ t: 'cache' }, [], (r) => (r.cacheKiB !== undefined ? resolve(r.cacheKiB) : reject(errorOf(r)))))
  }

  /** Closes the worker's connection (after the requests before it) and ends the thread. */
  async stop(): Promise<void> {
    if (this.#dead === undefined) await new Promise<void>((resolve) => this.#request({ t: 'stop' }, [], () => resolve()))
    this.#dead ??= new Error('the projection worker was stopped')
    await this.#worker.terminate()
  }

  #request(m: Ask, transfer: ArrayBuffer[], done: (r: ProjectionReply) => void): void {
    if (this.#dead !== undefined) {
      done({ id: 0, error: { message: this.#dead.message } })
      return
    }
    const id = this.#next++
    this.#waiting.set(id, done)
    this.#port.ref()
    this.#port.postMessage({ ...m, id }, transfer)
  }

  #answered(r: ProjectionReply): void {
    const done = this.#waiting.get(r.id)
    this.#waiting.delete(r.id)
    if (this.#waiting.size === 0) this.#port.unref()
    done?.(r)
  }

  #fail(err: Error): void {
    this.#dead ??= err
    const waiting = [...this.#waiting.values()]
    this.#waiting.clear()
    this.#port.unref()
    for (const done of waiting) done({ id: 0, error: { message: err.message } })
  }
}

/** A Buffer posted between threads arrives as a Uint8Array (structured clone): the Buffer it was, over the same bytes. */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}

/** Spool rows posted by the worker, their bodies as Buffers. */
function withBuffers(rows: SpoolRow[]): SpoolRow[] {
  for (const r of rows) r.body = asBuffer(r.body)
  return rows
}

function errorOf(r: ProjectionReply): Error {
  return Object.assign(new Error(r.error?.message ?? 'no answer from the projection worker'), r.error?.code !== undefined && { code: r.error.code })
}

/** Records as one buffer of its own (transferable): per record u32 length, f64 sequence number, bytes. */
export function packBatch(batch: readonly ProjectionRecord[]): ArrayBuffer {
  let total = 0
  for (const r of batch) total += 12 + r.bytes.byteLength
  const out = Buffer.allocUnsafeSlow(total)
  let o = 0
  for (const r of batch) {
    out.writeUInt32LE(r.bytes.byteLength, o)
    out.writeDoubleLE(r.seq, o + 4)
    out.set(r.bytes, o + 12)
    o += 12 + r.bytes.byteLength
  }
  return out.buffer as ArrayBuffer
}

export function unpackBatch(buf: ArrayBuffer): ProjectionRecord[] {
  const b = Buffer.from(buf)
  const out: ProjectionRecord[] = []
  for (let o = 0; o < b.byteLength; ) {
    const n = b.readUInt32LE(o)
    out.push({ seq: b.readDoubleLE(o + 4), bytes: b.subarray(o + 12, o + 12 + n) })
    o += 12 + n
  }
  return out
}

/**
 * The worker when it is compiled beside this module (dist/), or `worker` when given; from source,
 * `here`: the projection on the store's own connection (the one recovery used).
 */
export function startProjector(store: SqliteStore, path: string, synchronous: 'FULL' | 'NORMAL', here: () => Projection, worker?: URL): Projector {
  const url = worker ?? workerBeside(import.meta.url, './projection-worker.js')
  if (url === undefined) return new ProjectionHere(here())
  return new ProjectionThread(url, { path, synchronous, autocheckpoint: store.db.pragma('wal_autocheckpoint', { simple: true }) as number, pageCacheMiB: store.pageCacheMiB })
}
