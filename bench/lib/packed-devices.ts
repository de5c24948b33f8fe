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
import { Worker } from 'node:worker_threads'
import type { RegistryPaths } from '../../dist/registry/index.js'
import { csvPass } from '../../dist/registry/csv-pass.js'
import { checkDevice, DEVICES, devRow } from '../../dist/registry/load-devices.js'
import { findEntry, HALF, perm, permEui, permMpxn, type KeyTable } from './packed-index.js'
import { PartitionReader, PartitionWriter, RECORD_WORDS, type PartitionLayout } from './packed-partitions.js'

/** rows per sub-bucket the in-partition counting sort aims at (then an insertion sort each) */
export const PER_SUB = 4
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

/** Step 2: each partition sorted by (permuted EUI-64, file order) in place; returns the ms taken. */
export function sortDevices(layout: PartitionLayout): number {
  const t0 = performance.now()
  const rd = new PartitionReader(layout, true)
  try {
    const maxP = Math.max(1, ...layout.records)
    const subMax = Math.min(24, 32 - layout.bits)
    const cnt = new Uint32Array(2 ** subBits(maxP, subMax) + 1)
    const order = new Uint32Array(maxP)
    const out = new Uint32Array(maxP * RECORD_WORDS)
    const lift = layout.bits
    for (let part = 0; part < 2 ** layout.bits; part++) {
      const n = rd.read(part)
      if (n < 2) continue
      const b = rd.buf
      const s = subBits(n, subMax)
      const ns = 2 ** s
      const up = 32 - s
      // counting sort by the EUI bits below the partition's (stable), then an insertion sort per sub-bucket
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
      for (let j = 0; j < n; j++) out.set(b.subarray(order[j]! * RECORD_WORDS, order[j]! * RECORD_WORDS + RECORD_WORDS), j * RECORD_WORDS)
      rd.write(part, out)
    }
  } finally {
    rd.close()
  }
  return Math.round(performance.now() - t0)
}

/** Step 3, a partition at a time: each record's MPxN -> main entry, or main.n + provisional orphan number. */
export class DeviceRefs {
  /** permuted MPxN (a * HALF + b) -> provisional orphan number, in first-seen order */
  readonly orphanOf = new Map<number, number>()
  readonly #rd: PartitionReader
  ms = 0

  constructor(layout: PartitionLayout, readonly main: KeyTable) {
    this.#rd = new PartitionReader(layout, true)
  }

  partition(part: number): void {
    const t0 = performance.now()
    const n = this.#rd.read(part)
    const b = this.#rd.buf
    const main = this.main
    for (let x = 0; x < n; x++) {
      const w2 = b[x * RECORD_WORDS + 2]!
      const ma = (w2 >>> 22) | ((b[x * RECORD_WORDS + 3]! & 0xfff) << 10)
      const mb = w2 & 0x3fffff
      let e = findEntry(main, ma, mb)
      if (e < 0) {
        const k = ma * HALF + mb
        let id = this.orphanOf.get(k)
        if (id === undefined) this.orphanOf.set(k, (id = this.orphanOf.size))
        e = main.n + id
      }
      b[x * RECORD_WORDS + 2] = e
    }
    this.#rd.write(part, b.subarray(0, n * RECORD_WORDS))
    this.ms += performance.now() - t0
  }

  /** The orphans' permuted keys by provisional number. */
  orphanKeys(): number[] {
    const keys = new Array<number>(this.orphanOf.size)
    for (const [k, id] of this.orphanOf) keys[id] = k
    return keys
  }

  close(): void {
    this.#rd.close()
  }
}

/** The three steps as the load thread sees them, in a worker thread or here. */
export interface DeviceJob {
  parsed(): Promise<DeviceParse>
  /** the finished MPxN table: step 3 may start */
  refs(main: KeyTable): void
  /** partition `part` has its refs */
  ready(part: number): Promise<void>
  /** after the last partition: the orphans' permuted keys by provisional number; the steps' ms */
  done(): Promise<{ orphans: number[]; ms: DeviceParse['ms'] }>
  cancel(): Promise<void>
}

export type WorkerReply = { parsed: DeviceParse } | { ready: number } | { done: { orphans: number[]; ms: DeviceParse['ms'] } } | { error: string }

function workerUrl(): URL | undefined {
  for (const name of ['./packed-devices-worker.mjs', './packed-devices-worker.js', './packed-devices-worker.ts']) {
    const u = new URL(name, import.meta.url)
    if (existsSync(fileURLToPath(u))) return u
  }
  return undefined
}

export const canThread = () => workerUrl() !== undefined

export function startDevices(paths: RegistryPaths, file: string, bits: number, thread: boolean): DeviceJob {
  const url = thread ? workerUrl() : undefined
  return url ? threadJob(url, paths, file, bits) : hereJob(paths, file, bits)
}

/** Steps 1-2 when first asked (after the registrations: a one-thread build), step 3 per partition when asked. */
function hereJob(paths: RegistryPaths, file: string, bits: number): DeviceJob {
  let parsed: Promise<DeviceParse> | undefined
  let main: KeyTable | undefined
  let refs: DeviceRefs | undefined
  const steps = () =>
    (parsed ??= parseDevices(paths, file, bits).then((p) => {
      p.ms.sort = sortDevices(p.layout)
      return p
    }))
  return {
    parsed: steps,
    refs: (m) => void (main = m),
    ready: async (part) => {
      const p = await steps()
      refs ??= new DeviceRefs(p.layout, main!)
      refs.partition(part)
    },
    done: async () => {
      const p = await steps()
      refs?.close()
      return { orphans: refs?.orphanKeys() ?? [], ms: { ...p.ms, refs: Math.round(refs?.ms ?? 0) } }
    },
    cancel: async () => refs?.close(),
  }
}

function threadJob(url: URL, paths: RegistryPaths, file: string, bits: number): DeviceJob {
  // it allocates next to nothing per row: a small young generation keeps its share of the peak small
  const worker = new Worker(url, { workerData: { paths, file, bits }, resourceLimits: { maxYoungGenerationSizeMb: 4 } })
  let failure: Error | undefined
  let finished = false
  let readyTo = 0 // partitions [0, readyTo) have their refs
  const waiting: { part: number; resolve: () => void; reject: (e: Error) => void }[] = []
  let onParsed!: { resolve: (p: DeviceParse) => void; reject: (e: Error) => void }
  let onDone!: { resolve: (d: { orphans: number[]; ms: DeviceParse['ms'] }) => void; reject: (e: Error) => void }
  const parsed = new Promise<DeviceParse>((resolve, reject) => (onParsed = { resolve, reject }))
  const done = new Promise<{ orphans: number[]; ms: DeviceParse['ms'] }>((resolve, reject) => (onDone = { resolve, reject }))
  parsed.catch(() => {}) // handled where awaited
  done.catch(() => {})
  const fail = (e: Error) => {
    failure ??= e
    onParsed.reject(failure)
    onDone.reject(failure)
    for (const w of waiting.splice(0)) w.reject(failure)
  }
  worker.on('message', (m: WorkerReply) => {
    if ('parsed' in m) onParsed.resolve(m.parsed)
    else if ('ready' in m) {
      readyTo = m.ready + 1
      for (let i = waiting.length - 1; i >= 0; i--) if (waiting[i]!.part < readyTo) waiting.splice(i, 1)[0]!.resolve()
    } else if ('done' in m) {
      finished = true
      onDone.resolve(m.done)
    } else fail(new Error(m.error))
  })
  worker.on('error', (err) => fail(new Error(`the devices.csv thread failed: ${err.message}`)))
  worker.on('exit', (code) => finished || fail(new Error(`the devices.csv thread exited with code ${code} before it was done`)))
  return {
    parsed: () => parsed,
    refs: (main) => worker.postMessage({ main: { bits: main.bits, n: main.n, starts: main.starts, low: main.low } }),
    ready: (part) => {
      if (failure) return Promise.reject(failure)
      if (part < readyTo) return Promise.resolve()
      return new Promise((resolve, reject) => waiting.push({ part, resolve, reject }))
    },
    done: () => done,
    cancel: async () => void (await worker.terminate()),
  }
}
