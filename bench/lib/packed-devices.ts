// devices.csv for the packed build (packed-build.ts), in three steps, only the last needing the
// registrations:
//   1. parse (today's checks, through today's csvPass) into partition records (packed-partitions.ts);
//   2. sort each partition by (permuted EUI-64, file order), written back in place;
//   3. once the MPxN table is finished, each record's MPxN -> its main entry (an MPxN without
//      registration rows: main.n + a provisional orphan number), written into the record.
// In a worker thread (packed-devices-worker.ts) steps 1-2 run while the load thread builds the
// registrations, and step 3 partition by partition while the load thread appends the partitions
// already done; without a thread, the same steps one after the other in the load thread.
// Record: A, B (the permuted EUI-64), mb | (ma & 0x3ff) << 22 (after step 3: the ref),
// ma >>> 10 | meta << 12 (ma, mb: the row's MPxN permuted, 22 + 22 bits; meta: type - 1 | status << 3 | role << 7).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads'
import type { RegistryPaths } from '../../dist/registry/index.js'
import { csvPass } from '../../dist/registry/csv-pass.js'
import { checkDevice, DEVICES, devRow } from '../../dist/registry/load-devices.js'
import { HALF, perm, permEui, permMpxn, readBits, type KeyTable } from './packed-index.js'
import { PartitionReader, PartitionWriter, RECORD_WORDS, type PartitionLayout } from './packed-partitions.js'

/** rows per sub-bucket the in-partition counting sort aims at (then an insertion sort each) */
export const PER_SUB = 4
/** MPxN lookups of a batch, done phase by phase */
const LOOKUP_BATCH = 256
export const subBits = (n: number, max: number) => Math.max(0, Math.min(max, Math.ceil(Math.log2(Math.max(1, n / PER_SUB)))))

export interface DeviceParse {
  layout: PartitionLayout
  /** valid rows */
  rows: number
  ms: { parse: number; sort?: number; refs?: number }
}

/** Step 1: devices.csv parsed once into device records partitioned by the permuted EUI-64. */
export async function parseDevices(paths: RegistryPaths, file: string, bits: number): Promise<DeviceParse> {
  const t0 = performance.now()
  const w = new PartitionWriter(file, bits)
  const sh = 32 - bits
  const buf = w.buf
  try {
    const rows = await csvPass(paths.devices, DEVICES, checkDevice, () => {
      permEui(devRow.hi, devRow.lo)
      const A = perm.a
      const B = perm.b
      permMpxn(devRow.key)
      const at = w.slot(bits === 0 ? 0 : A >>> sh)
      buf[at] = A
      buf[at + 1] = B
      buf[at + 2] = (perm.b | ((perm.a & 0x3ff) << 22)) >>> 0
      buf[at + 3] = (perm.a >>> 10) | (((devRow.type - 1) | (devRow.status << 3) | (devRow.role << 7)) << 12)
    })
    return { layout: w.finish(), rows, ms: { parse: Math.round(performance.now() - t0) } }
  } finally {
    w.close()
  }
}

/**
 * Steps 2 and 3 on one partition at a time, in one thread: sort by (permuted EUI-64, file order)
 * and/or the refs, written back over the partition's blocks (pages in the cache: cheap). Orphan
 * numbers are `first + step * i` (the two threads number them apart: even and odd).
 */
export class DevicePrep {
  /** permuted MPxN (a * HALF + b) -> provisional orphan number */
  readonly orphanOf = new Map<number, number>()
  readonly ms = { sort: 0, refs: 0 }
  readonly #rd: PartitionReader
  readonly #cnt: Uint32Array
  readonly #order: Uint32Array
  readonly #out: Uint32Array
  readonly #subMax: number
  main: KeyTable | undefined
  readonly #batch = { lo: new Uint32Array(LOOKUP_BATCH), hi: new Uint32Array(LOOKUP_BATCH), want: new Float64Array(LOOKUP_BATCH) }
  /** the touches' xor (kept, so that they are not optimized away) */
  touched = 0

  constructor(readonly layout: PartitionLayout, readonly first: number, readonly step: number) {
    this.#rd = new PartitionReader(layout, true)
    const maxP = Math.max(1, ...layout.records)
    this.#subMax = Math.min(24, 32 - layout.bits)
    this.#cnt = new Uint32Array(2 ** subBits(maxP, this.#subMax) + 1)
    this.#order = new Uint32Array(maxP)
    this.#out = new Uint32Array(maxP * RECORD_WORDS)
  }

  /** scratch bytes of this thread's steps */
  get bytes(): number {
    return this.#rd.buf.byteLength + this.#cnt.byteLength + this.#order.byteLength + this.#out.byteLength
  }

  /** Sorts partition `part` and, with `refs` (the MPxN table is set), gives its records their refs. */
  run(part: number, sort: boolean, refs: boolean): void {
    const n = this.#rd.read(part)
    let b = this.#rd.buf
    if (sort && n > 1) {
      const t0 = performance.now()
      this.#sort(b, n)
      b = this.#out
      this.ms.sort += performance.now() - t0
    }
    if (refs) {
      const t0 = performance.now()
      this.#refs(b, n)
      this.ms.refs += performance.now() - t0
    }
    if ((sort && n > 1) || refs) this.#rd.write(part, b.subarray(0, n * RECORD_WORDS))
  }

  /** b's n records sorted into #out: a counting sort by the EUI bits below the partition's (stable), then an insertion sort per sub-bucket. */
  #sort(b: Uint32Array, n: number): void {
    const cnt = this.#cnt
    const order = this.#order
    const lift = this.layout.bits
    const s = subBits(n, this.#subMax)
    const ns = 2 ** s
    const up = 32 - s
    cnt.fill(0, 0, ns)
    for (let x = 0; x < n; x++) cnt[s === 0 ? 0 : (b[x * RECORD_WORDS]! << lift) >>> up]!++
    for (let k = 0, at = 0; k < ns; k++) {
      const c = cnt[k]!
      cnt[k] = at
      at += c
    }
    for (let x = 0; x < n; x++) order[cnt[s === 0 ? 0 : (b[x * RECORD_WORDS]! << lift) >>> up]!++] = x
    for (let k = 0, rs = 0; k < ns; rs = cnt[k++]!) {
      const re = cnt[k]!
      // strict comparisons: equal EUI-64s keep the file order
      for (let x = rs + 1; x < re; x++) {
        const v = order[x]!
        const vh = b[v * RECORD_WORDS]!
        const vl = b[v * RECORD_WORDS + 1]!
        let j = x - 1
        while (j >= rs) {
          const u = order[j]!
          const uh = b[u * RECORD_WORDS]!
          if (uh < vh || (uh === vh && b[u * RECORD_WORDS + 1]! <= vl)) break
          order[j + 1] = u
          j--
        }
        order[j + 1] = v
      }
    }
    const out = this.#out
    for (let j = 0; j < n; j++) {
      const x = order[j]! * RECORD_WORDS
      const y = j * RECORD_WORDS
      out[y] = b[x]!
      out[y + 1] = b[x + 1]!
      out[y + 2] = b[x + 2]!
      out[y + 3] = b[x + 3]!
    }
  }

  /**
   * Each record's MPxN -> main entry, or main.n + provisional orphan number, in word 2. The lookups
   * go in batches, phase by phase (bucket bounds, a touch of each bucket's first key word, the
   * binary searches): the cache misses of a batch overlap instead of waiting one after another.
   */
  #refs(b: Uint32Array, n: number): void {
    const main = this.main!
    const sh = 22 - main.bits
    const lb = 44 - main.bits
    const starts = main.starts
    const low = main.low
    const { lo, hi, want } = this.#batch
    let touched = 0
    for (let x0 = 0; x0 < n; x0 += LOOKUP_BATCH) {
      const m = Math.min(LOOKUP_BATCH, n - x0)
      for (let i = 0; i < m; i++) {
        const x = (x0 + i) * RECORD_WORDS
        const w2 = b[x + 2]!
        const ma = (w2 >>> 22) | ((b[x + 3]! & 0xfff) << 10)
        const bucket = ma >>> sh
        lo[i] = starts[bucket]!
        hi[i] = starts[bucket + 1]!
        want[i] = (ma & ((1 << sh) - 1)) * HALF + (w2 & 0x3fffff)
      }
      for (let i = 0; i < m; i++) touched ^= low[(lo[i]! * lb) >>> 5]!
      for (let i = 0; i < m; i++) {
        let l = lo[i]!
        let h = hi[i]!
        const v = want[i]!
        let e = -1
        while (l < h) {
          const mid = (l + h) >>> 1
          const k = readBits(low, mid * lb, lb)
          if (k < v) l = mid + 1
          else if (k > v) h = mid
          else {
            e = mid
            break
          }
        }
        const x = (x0 + i) * RECORD_WORDS
        if (e < 0) {
          const w2 = b[x + 2]!
          const k = ((w2 >>> 22) | ((b[x + 3]! & 0xfff) << 10)) * HALF + (w2 & 0x3fffff)
          let id = this.orphanOf.get(k)
          if (id === undefined) this.orphanOf.set(k, (id = this.first + this.step * this.orphanOf.size))
          e = main.n + id
        }
        b[x + 2] = e
      }
    }
    this.touched = touched
  }

  /** [provisional number, permuted key] pairs of the orphans this thread met. */
  orphans(): number[] {
    const out: number[] = []
    for (const [k, id] of this.orphanOf) out.push(id, k)
    return out
  }

  close(): void {
    this.#rd.close()
  }
}

// Partition states in the shared control array (ctl[0] is the claim counter of unsorted partitions,
// ctl[1 + p] partition p's state, ctl[1 + P] set once the MPxN table is posted)
export const SORTED = 1
export const REFS_CLAIMED = 2
export const READY = 3
/** ctl[1 + P]: the MPxN table is posted; or the build was cancelled */
export const TABLE_POSTED = 1
export const CANCELLED = 2

/** The steps as the load thread sees them, with a worker thread or without. */
export interface DeviceJob {
  parsed(): Promise<DeviceParse>
  /** the finished MPxN table: the refs may start */
  refs(main: KeyTable): void
  /** partition `part` sorted and with its refs (the load thread prepares partitions itself while it would wait) */
  ready(part: number): Promise<void>
  /** after the last partition: [provisional orphan number, permuted key] pairs, the steps' ms, scratch bytes */
  done(): Promise<{ orphans: number[]; ms: Record<string, number>; bytes: number }>
  cancel(): Promise<void>
}

export type WorkerReply =
  | { parsed: DeviceParse }
  | { ready: number }
  | { done: { orphans: number[]; ms: Record<string, number>; bytes: number } }
  | { error: string }

function workerUrl(): URL | undefined {
  // the compiled worker (the bench's bundle, a build): not from source under tsx, which its workers cannot load
  for (const name of ['./packed-devices-worker.mjs', './packed-devices-worker.js']) {
    const u = new URL(name, import.meta.url)
    if (existsSync(fileURLToPath(u))) return u
  }
  return undefined
}

export const canThread = () => workerUrl() !== undefined

export function startDevices(paths: RegistryPaths, file: string, bits: number, thread: boolean): DeviceJob {
  const url = thread ? workerUrl() : undefined
  const ctl = new Int32Array(new SharedArrayBuffer(4 * (2 ** bits + 2)))
  if (!url) return job(ctl, bits, undefined, () => parseDevices(paths, file, bits))
  const { port1, port2 } = new MessageChannel()
  // it allocates next to nothing per row: a small young generation keeps its share of the peak small
  const worker = new Worker(url, { workerData: { paths, file, bits, ctl, port: port2 }, transferList: [port2], resourceLimits: { maxYoungGenerationSizeMb: 4 } })
  return job(ctl, bits, { worker, port: port1 }, undefined)
}

/** The load thread's side: without a worker it parses when first asked (after the registrations) and prepares every partition itself. */
function job(ctl: Int32Array, bits: number, w: { worker: Worker; port: MessagePort } | undefined, parseHere: (() => Promise<DeviceParse>) | undefined): DeviceJob {
  const P = 2 ** bits
  let failure: Error | undefined
  let finished = false
  let wake: (() => void) | undefined // the next message from the worker
  let onParsed!: { resolve: (p: DeviceParse) => void; reject: (e: Error) => void }
  let onDone!: { resolve: (d: { orphans: number[]; ms: Record<string, number>; bytes: number }) => void; reject: (e: Error) => void }
  const parsedThere = new Promise<DeviceParse>((resolve, reject) => (onParsed = { resolve, reject }))
  let parsedHere: Promise<DeviceParse> | undefined
  const parsed = () => (w ? parsedThere : (parsedHere ??= parseHere!()))
  const done = new Promise<{ orphans: number[]; ms: Record<string, number>; bytes: number }>((resolve, reject) => (onDone = { resolve, reject }))
  parsedThere.catch(() => {}) // handled where awaited
  done.catch(() => {})
  let prep: DevicePrep | undefined
  let main: KeyTable | undefined
  const fail = (e: Error) => {
    failure ??= e
    onParsed.reject(failure)
    onDone.reject(failure)
    wake?.()
  }
  if (w) {
    w.worker.on('message', (m: WorkerReply) => {
      if ('parsed' in m) onParsed.resolve(m.parsed)
      else if ('done' in m) {
        finished = true
        onDone.resolve(m.done)
      } else if ('error' in m) fail(new Error(m.error))
      wake?.()
    })
    w.worker.on('error', (err) => fail(new Error(`the devices.csv thread failed: ${err.message}`)))
    w.worker.on('exit', (code) => finished || fail(new Error(`the devices.csv thread exited with code ${code} before it was done`)))
  }
  const prepHere = (layout: PartitionLayout) => (prep ??= Object.assign(new DevicePrep(layout, w ? 1 : 0, w ? 2 : 1), { main }))
  return {
    parsed,
    refs: (m) => {
      main = m
      if (prep) prep.main = m
      if (w) {
        w.port.postMessage({ bits: m.bits, n: m.n, starts: m.starts, low: m.low })
        Atomics.store(ctl, 1 + P, TABLE_POSTED)
        Atomics.notify(ctl, 1 + P)
      }
    },
    ready: async (part) => {
      const layout = (await parsed()).layout
      for (;;) {
        if (failure) throw failure
        if (Atomics.load(ctl, 1 + part) === READY) return
        const p = prepHere(layout)
        // its refs still to do, or a partition no thread has claimed yet: done here; else wait for the worker
        if (Atomics.compareExchange(ctl, 1 + part, SORTED, REFS_CLAIMED) === SORTED) {
          p.run(part, false, true)
          Atomics.store(ctl, 1 + part, READY)
          return
        }
        const j = Atomics.add(ctl, 0, 1)
        if (j < P) {
          p.run(j, true, true)
          Atomics.store(ctl, 1 + j, READY)
          continue
        }
        if (!w) throw new Error(`devices partition ${part} was never prepared`)
        await new Promise<void>((resolve) => {
          wake = resolve
          if (failure || Atomics.load(ctl, 1 + part) === READY) resolve()
        })
        wake = undefined
      }
    },
    done: async () => {
      const mine = { orphans: prep?.orphans() ?? [], ms: { sortHere: Math.round(prep?.ms.sort ?? 0), refsHere: Math.round(prep?.ms.refs ?? 0) }, bytes: prep?.bytes ?? 0 }
      prep?.close()
      if (!w) return { ...mine, ms: { ...(await parsed()).ms, ...mine.ms } }
      const d = await done
      return { orphans: [...d.orphans, ...mine.orphans], ms: { ...d.ms, ...mine.ms }, bytes: d.bytes + mine.bytes }
    },
    cancel: async () => {
      prep?.close()
      if (!w) return
      // a worker waiting for the MPxN table is woken and stops
      Atomics.store(ctl, 1 + P, CANCELLED)
      Atomics.notify(ctl, 1 + P)
      await w.worker.terminate()
    },
  }
}
