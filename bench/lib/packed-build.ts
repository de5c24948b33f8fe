// Builds a PackedIndex (packed-index.ts) from registrations.csv and devices.csv, parsing each file
// ONCE with a bounded working set:
//   1. parse: every valid row (today's row checks: registrationCheck, checkDevice, through today's
//      csvPass) becomes a 16-byte record appended to one of 2^k partitions by the top bits of its
//      permuted key (packed-partitions.ts: one temp file per CSV, a 32 KB write block per partition).
//      devices.csv is parsed in a worker thread (packed-devices.ts, packed-devices-worker.ts) while
//      this thread parses registrations.csv: the two share nothing until a device row's MPxN
//      becomes a main entry.
//   2. registrations, partition by partition in key order: read back (file order), counting-sorted
//      into sub-buckets of the next key bits, each sub-bucket sorted and resolved by today's period
//      rules (PeriodScratch from dist/registry/period-rules.js), appended to the packed arrays.
//   3. devices: each partition sorted by (permuted EUI-64, file order) and its rows' MPxNs looked up
//      in the finished main table (an MPxN without registration rows becomes an orphan), by either
//      thread (packed-devices.ts); appended here in key order: a device's links in the order of
//      their first row in the file, duplicates collapsed (the later row's mpxn_role), type and
//      status of the device's last row.
// The arrays are allocated for one entry per row (an upper bound) and only their used prefix is
// written: the pages past it are never touched, so they cost address space, not RSS. The working
// set beyond the index is the write blocks, one partition's records and sort scratch per thread
// (~8 MB of CSV a partition: a few MB) and the worker thread; the temp files (16 bytes a valid row)
// are in `tmpDir` and removed after, also on failure.
import { closeSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { threadId } from 'node:worker_threads'
import { csvPass } from '../../dist/registry/csv-pass.js'
import { REGISTRATIONS, registrationCheck, regRow } from '../../dist/registry/load-registrations.js'
import { MpidTable } from '../../dist/registry/mpid-table.js'
import { PeriodScratch } from '../../dist/registry/period-rules.js'
import { loadParties } from '../../dist/registry/parties.js'
import { OPEN_DAY } from '../../dist/registry/day.js'
import type { RegistryPaths } from '../../dist/registry/index.js'
import {
  arraysOf, bitsFor, COUNT_BITS, HALF, perm, permMpxn, readBits, SAMPLE_EVERY, wordsFor, writeBits, type KeyTable, type PackedIndex,
} from './packed-index.js'
import { canThread, startDevices, subBits, type DeviceJob } from './packed-devices.js'
import { partitionBitsFor, PartitionReader, PartitionWriter, RECORD_WORDS, type PartitionLayout } from './packed-partitions.js'

/** entries per bucket the bucket bits aim at (a binary search of ~4 steps in a bucket) */
const PER_BUCKET = 16
const DEVICE_BITS = 0x7f
const ROLE_BIT = 0x80
/** a device with more links than this finds its duplicate links through a Map, not a scan */
const SCAN_LINKS = 32

const u32 = (n: number) => new Uint32Array(new SharedArrayBuffer(Math.max(1, n) * 4))
const u8 = (n: number) => new Uint8Array(new SharedArrayBuffer(Math.max(1, n)))
const bucketBits = (n: number) => Math.max(12, Math.min(22, Math.round(Math.log2(Math.max(1, n) / PER_BUCKET))))
const sizeOf = (file: string) => {
  try {
    return statSync(file).size
  } catch {
    return 0 // csvPass reports the file
  }
}

export interface BuildOptions {
  /** folder of the temp partition files (default: registrations.csv's folder; not a tmpfs: they are ~16 bytes a row) */
  tmpDir?: string
  /** parse devices.csv in a worker thread while this one parses registrations.csv (default true, where the worker script is) */
  thread?: boolean
  /** partition bits for both files (default from each file's size: ~8 MB of CSV a partition) */
  partitionBits?: number
}

export interface BuildStats {
  ms: Record<string, number>
  /** reads of each CSV */
  passes: { registrations: number; devices: number }
  /** working arrays beyond the index: write blocks, one partition's records and staging */
  stagingBytes: number
  /** bytes of the temp partition files (both, removed after) */
  tempBytes: number
  partitions: { registrations: number; devices: number }
  thread: boolean
}

export async function buildPacked(paths: RegistryPaths, o: BuildOptions = {}): Promise<{ index: PackedIndex; stats: BuildStats }> {
  const t0 = performance.now()
  const ms: Record<string, number> = {}
  const lap = (k: string) => (ms[k] = Math.round(performance.now() - t0))
  const dir = o.tmpDir ?? dirname(paths.registrations)
  const tag = `.packed-build-${process.pid}-${threadId}-${Date.now().toString(36)}`
  const regFile = join(dir, `${tag}-registrations.tmp`)
  const devFile = join(dir, `${tag}-devices.tmp`)
  let job: DeviceJob | undefined
  let finished = false
  try {
    const parties = await loadParties(paths.parties)
    const mpids = new MpidTable(parties.flatMap((p) => p.mpids))
    const check = registrationCheck(mpids)
    const regBits = o.partitionBits ?? partitionBitsFor(sizeOf(paths.registrations))
    const devBits = o.partitionBits ?? partitionBitsFor(sizeOf(paths.devices))
    const thread = (o.thread ?? true) && canThread()
    job = startDevices(paths, devFile, devBits, thread)

    // 1. registrations.csv parsed once into partition records; the day range and the MPID codes
    const w = new PartitionWriter(regFile, regBits)
    const wb = w.buf
    const rsh = 22 - regBits
    let minDay = OPEN_DAY
    let maxDay = 0
    let regRows: number
    let regLayout: PartitionLayout
    try {
      regRows = await csvPass(paths.registrations, REGISTRATIONS, check, () => {
        permMpxn(regRow.key)
        const at = w.slot(perm.a >>> rsh)
        wb[at] = perm.a
        wb[at + 1] = perm.b
        wb[at + 2] = (regRow.from | (regRow.to << 16)) >>> 0
        wb[at + 3] = regRow.mpid
        if (regRow.from < minDay) minDay = regRow.from
        if (regRow.from > maxDay) maxDay = regRow.from
        if (regRow.to !== OPEN_DAY && regRow.to > maxDay) maxDay = regRow.to
      })
      regLayout = w.finish()
    } finally {
      w.close()
    }
    lap('registrations-parse')

    // 2. registrations: partitions in key order -> sorted, resolved, appended
    const rows = regRows
    const dayBase = rows > 0 ? minDay : 0
    const dayBits = bitsFor(maxDay - dayBase + 1) // all ones = open
    const mpidBits = bitsFor(Math.max(1, mpids.names.length - 1))
    const W = 2 * dayBits + mpidBits + 1
    const bits = bucketBits(rows / 1.2)
    const lb = 44 - bits
    const main: KeyTable = { bits, n: 0, starts: u32(2 ** bits + 1), low: u32(wordsFor(rows, lb)) }
    const count = u32(wordsFor(rows, COUNT_BITS))
    const sample = u32(Math.ceil(rows / SAMPLE_EVERY) + 1)
    const periods = u32(wordsFor(rows, W))
    const mStarts = main.starts
    const sh = 22 - bits
    const lowMask = (1 << sh) - 1

    let rd = new PartitionReader(regLayout)
    const maxP = Math.max(1, ...regLayout.records)
    const subMax = 44 - regBits
    const sb = subBits(maxP, subMax)
    const cnt = new Uint32Array(2 ** sb + 1)
    let stKey: Float64Array | undefined = new Float64Array(maxP)
    let stPer: Uint16Array | undefined = new Uint16Array(3 * maxP)
    const out = new Uint16Array(3 * 64) // one MPxN's periods (at most 63 are kept)
    const sc = new PeriodScratch(() => {})
    let stagingBytes = w.buf.byteLength + rd.buf.byteLength + cnt.byteLength + stKey.byteLength + stPer.byteLength
    let i = 0
    let p = 0
    try {
      for (let part = 0; part < 2 ** regBits; part++) {
        const n = rd.read(part)
        if (n === 0) continue
        const b = rd.buf
        const s = subBits(n, subMax)
        const ns = 2 ** s
        const div = 2 ** (subMax - s)
        // counting sort by the key bits below the partition's (stable: file order kept within a sub-bucket)
        cnt.fill(0, 0, ns)
        for (let r = 0; r < n; r++) cnt[Math.floor((b[r * RECORD_WORDS]! * HALF + b[r * RECORD_WORDS + 1]!) / div) & (ns - 1)]!++
        for (let k = 0, at = 0; k < ns; k++) {
          const c = cnt[k]!
          cnt[k] = at
          at += c
        }
        for (let r = 0; r < n; r++) {
          const x = r * RECORD_WORDS
          const key = b[x]! * HALF + b[x + 1]!
          const at = cnt[Math.floor(key / div) & (ns - 1)]!++
          stKey[at] = key
          stPer[at * 3] = b[x + 2]! & 0xffff
          stPer[at * 3 + 1] = b[x + 2]! >>> 16
          stPer[at * 3 + 2] = b[x + 3]!
        }
        // cnt[k] is now the end of sub-bucket k
        for (let k = 0, rs = 0; k < ns; rs = cnt[k++]!) {
          const re = cnt[k]!
          if (re === rs) continue
          sc.load(stKey, stPer, rs, re)
          for (let g = 0; g < sc.n; ) {
            const key = sc.key[sc.order[g]!]!
            let ge = g + 1
            while (ge < sc.n && sc.key[sc.order[ge]!] === key) ge++
            const np = sc.resolveGroup(g, ge, out, 0)
            const a = Math.floor(key / HALF)
            mStarts[(a >>> sh) + 1]!++
            writeBits(main.low, i * lb, lb, (a & lowMask) * HALF + (key - a * HALF))
            writeBits(count, i * COUNT_BITS, COUNT_BITS, np)
            if ((i & (SAMPLE_EVERY - 1)) === 0) sample[i / SAMPLE_EVERY] = p
            for (let q = 0; q < np; q++) {
              const to = out[q * 3 + 1]!
              const code = out[q * 3 + 2]!
              const bit = (p + q) * W
              writeBits(periods, bit, dayBits, out[q * 3]! - dayBase)
              writeBits(periods, bit + dayBits, dayBits, to === OPEN_DAY ? 2 ** dayBits - 1 : to - dayBase)
              writeBits(periods, bit + 2 * dayBits, mpidBits, code & 0x7fff)
              writeBits(periods, bit + 2 * dayBits + mpidBits, 1, code >>> 15)
            }
            p += np
            i++
            g = ge
          }
        }
      }
    } finally {
      rd.close()
    }
    for (let k = 1; k < mStarts.length; k++) mStarts[k]! += mStarts[k - 1]!
    main.n = i
    stKey = stPer = undefined
    rmSync(regFile, { force: true })
    lap('registrations-resolve')

    // 3. devices: the partitions, sorted and with their refs (packed-devices.ts), in key order ->
    // collapsed and appended, each as soon as the thread has its refs
    const dp = await job.parsed()
    lap('devices-parse-wait')
    job.refs(main)
    const devRows = dp.rows
    const refBits0 = bitsFor(Math.max(1, main.n - 1)) // orphans (refs past main.n) may widen it at the end
    const dbits = bucketBits(devRows)
    const hb = 32 - dbits
    const hiMask = (1 << hb) - 1
    const dev = {
      bits: dbits, rows: 0, devices: 0, starts: u32(2 ** dbits + 1), hi: u32(wordsFor(devRows, hb)), lo: u32(devRows),
      // room for the widest refs orphans could need: the pages past the used prefix are never touched
      refBits: refBits0, ref: u32(wordsFor(devRows, Math.min(32, bitsFor(main.n + devRows)))), meta: u8(devRows),
    }
    rd = new PartitionReader(dp.layout)
    let keptRef = new Uint32Array(SCAN_LINKS)
    const orphanRows: number[] = [] // [row, provisional number] of each link to an orphan
    let r = 0
    let devices = 0
    const dStarts = dev.starts
    const M = RECORD_WORDS
    try {
      for (let part = 0; part < 2 ** devBits; part++) {
        await job.ready(part)
        const n = rd.read(part)
        const b = rd.buf
        for (let g = 0; g < n; ) {
          const h = b[g * M]!
          const l = b[g * M + 1]!
          let ge = g + 1
          while (ge < n && b[ge * M] === h && b[ge * M + 1] === l) ge++
          // the last row in the file decides type and status
          const typeStatus = (b[(ge - 1) * M + 3]! >>> 12) & DEVICE_BITS
          const first = r
          const big = ge - g > SCAN_LINKS ? new Map<number, number>() : undefined
          if (!big && keptRef.length < ge - g) keptRef = new Uint32Array(ge - g)
          for (let x = g; x < ge; x++) {
            const ref = b[x * M + 2]!
            const role = (b[x * M + 3]! >>> 12) & ROLE_BIT
            // a link already kept (same MPxN): its place stays, the later row's role wins
            let dup = -1
            if (big) dup = big.get(ref) ?? -1
            else
              for (let q = first; q < r; q++)
                if (keptRef[q - first] === ref) {
                  dup = q
                  break
                }
            if (dup >= 0) {
              dev.meta[dup] = (dev.meta[dup]! & DEVICE_BITS) | role
              continue
            }
            if (big) big.set(ref, r)
            else keptRef[r - first] = ref
            dStarts[(h >>> hb) + 1]!++
            writeBits(dev.hi, r * hb, hb, h & hiMask)
            dev.lo[r] = l
            if (ref < main.n) writeBits(dev.ref, r * refBits0, refBits0, ref)
            else orphanRows.push(r, ref - main.n)
            dev.meta[r] = typeStatus | role
            r++
          }
          devices++
          g = ge
        }
      }
    } finally {
      rd.close()
    }
    for (let k = 1; k < dStarts.length; k++) dStarts[k]! += dStarts[k - 1]!
    const devDone = await job.done()
    await job.cancel() // the thread's work is done
    for (const [k, v] of Object.entries(devDone.ms)) ms[`devices-${k}`] = v
    stagingBytes = Math.max(stagingBytes, rd.buf.byteLength + devDone.bytes)
    rmSync(devFile, { force: true })

    // orphans: a key table of their permuted keys; their links get main.n + the orphan's entry
    const pairs = devDone.orphans // [provisional number, permuted key], from either thread
    const keys = new Float64Array(pairs.length / 2)
    for (let x = 0; x < keys.length; x++) keys[x] = pairs[2 * x + 1]!
    keys.sort()
    let nk = 0
    for (let x = 0; x < keys.length; x++) if (x === 0 || keys[x] !== keys[x - 1]) keys[nk++] = keys[x]!
    const orphans = keyTable(keys.subarray(0, nk))
    const refBits = bitsFor(Math.max(1, main.n + orphans.n - 1))
    if (refBits !== refBits0) widen(dev.ref, r, refBits0, refBits)
    if (orphanRows.length > 0) {
      const entryOfKey = new Map<number, number>()
      for (let e = 0; e < nk; e++) entryOfKey.set(keys[e]!, e)
      const entryOf = new Map<number, number>()
      for (let x = 0; x < pairs.length; x += 2) entryOf.set(pairs[x]!, entryOfKey.get(pairs[x + 1]!)!)
      for (let x = 0; x < orphanRows.length; x += 2) writeBits(dev.ref, orphanRows[x]! * refBits, refBits, main.n + entryOf.get(orphanRows[x + 1]!)!)
    }
    dev.refBits = refBits
    dev.rows = r
    dev.devices = devices
    lap('devices-resolve')

    const index: PackedIndex = {
      counts: { registrations: regRows, mpxns: main.n, devices, parties: parties.length, userIds: parties.reduce((n, x) => n + x.userIds.length, 0) },
      parties, mpids: mpids.names, dayBase, dayBits, mpidBits, nPeriods: p,
      main: { ...main, low: main.low.subarray(0, wordsFor(main.n, lb)) },
      count: count.subarray(0, wordsFor(main.n, COUNT_BITS)),
      sample: sample.subarray(0, Math.ceil(main.n / SAMPLE_EVERY)),
      periods: periods.subarray(0, wordsFor(p, W)),
      orphans,
      dev: { ...dev, hi: dev.hi.subarray(0, wordsFor(r, hb)), lo: dev.lo.subarray(0, r), ref: dev.ref.subarray(0, wordsFor(r, refBits)), meta: dev.meta.subarray(0, r) },
    }
    finished = true
    return {
      index,
      stats: {
        ms, stagingBytes, tempBytes: regLayout.bytes + dp.layout.bytes, thread,
        passes: { registrations: 1, devices: 1 },
        partitions: { registrations: 2 ** regBits, devices: 2 ** devBits },
      },
    }
  } finally {
    if (!finished) await job?.cancel().catch(() => {}) // the failure that got here is the one to report
    rmSync(regFile, { force: true })
    rmSync(devFile, { force: true })
  }
}

/** Fields 0..n) of `from` bits rewritten at `to` > from bits in place (from the end: a field only moves right). */
function widen(w: Uint32Array, n: number, from: number, to: number): void {
  for (let x = n - 1; x >= 0; x--) {
    const v = readBits(w, x * from, from)
    const bit = x * to
    const k = bit >>> 5
    const s = bit & 31
    // clear the field's bits, then set them (the old fields below it may share its first word)
    const m0 = to + s >= 32 ? ~0 << s : ((1 << to) - 1) << s
    w[k]! &= ~m0
    if (s + to > 32) w[k + 1]! &= ~((1 << (s + to - 32)) - 1)
    writeBits(w, bit, to, v)
  }
}

/** A key table of permuted MPxN keys (a * HALF + b), sorted (the orphans: a few). */
function keyTable(pv: Float64Array): KeyTable {
  const bits = bucketBits(pv.length)
  const lb = 44 - bits
  const sh = 22 - bits
  const t: KeyTable = { bits, n: pv.length, starts: u32(2 ** bits + 1), low: u32(wordsFor(pv.length, lb)) }
  pv.forEach((v, i) => {
    const a = Math.floor(v / HALF)
    t.starts[(a >>> sh) + 1]!++
    writeBits(t.low, i * lb, lb, (a & ((1 << sh) - 1)) * HALF + (v - a * HALF))
  })
  for (let b = 1; b < t.starts.length; b++) t.starts[b]! += t.starts[b - 1]!
  return t
}

// ---- a snapshot of the packed arrays (the shape a compiled snapshot would take) ----------------

/** Writes the index: an 8-byte header length, a JSON header, then each array 8-byte aligned. */
export function writePacked(file: string, x: PackedIndex): number {
  const arrays = arraysOf(x)
  const table: { name: string; kind: 'u32' | 'u8'; offset: number; bytes: number }[] = []
  const meta = { ...x, main: { bits: x.main.bits, n: x.main.n }, orphans: { bits: x.orphans.bits, n: x.orphans.n }, dev: { ...x.dev }, count: 0, sample: 0, periods: 0 }
  for (const k of ['starts', 'hi', 'lo', 'ref', 'meta'] as const) delete (meta.dev as Partial<typeof meta.dev>)[k]
  let off = 0
  for (const [name, a] of Object.entries(arrays)) {
    table.push({ name, kind: a instanceof Uint8Array ? 'u8' : 'u32', offset: off, bytes: a.byteLength })
    off += Math.ceil(a.byteLength / 8) * 8
  }
  const head = Buffer.from(JSON.stringify({ meta, table }))
  const start = Math.ceil((8 + head.length) / 8) * 8
  const fd = openSync(file, 'w')
  try {
    const len = Buffer.alloc(8)
    len.writeUInt32LE(head.length, 0)
    writeSync(fd, len, 0, 8, 0)
    writeSync(fd, head, 0, head.length, 8)
    for (const t of table) {
      const a = arrays[t.name]!
      writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength), 0, a.byteLength, start + t.offset)
    }
  } finally {
    closeSync(fd)
  }
  return start + off
}

/** Reads a writePacked file straight into SharedArrayBuffers. */
export function readPacked(file: string): PackedIndex {
  const fd = openSync(file, 'r')
  try {
    const len = Buffer.alloc(8)
    readSync(fd, len, 0, 8, 0)
    const hl = len.readUInt32LE(0)
    const head = Buffer.alloc(hl)
    readSync(fd, head, 0, hl, 8)
    const { meta, table } = JSON.parse(head.toString()) as {
      meta: PackedIndex & { main: { bits: number; n: number }; orphans: { bits: number; n: number } }
      table: { name: string; kind: 'u32' | 'u8'; offset: number; bytes: number }[]
    }
    const start = Math.ceil((8 + hl) / 8) * 8
    const a: Record<string, Uint32Array | Uint8Array> = {}
    for (const t of table) {
      const buf = new SharedArrayBuffer(Math.max(8, t.bytes))
      const view = new Uint8Array(buf, 0, t.bytes)
      for (let o = 0; o < t.bytes; ) o += readSync(fd, view, o, Math.min(t.bytes - o, 1 << 26), start + t.offset + o)
      a[t.name] = t.kind === 'u8' ? new Uint8Array(buf, 0, t.bytes) : new Uint32Array(buf, 0, t.bytes / 4)
    }
    const w = (n: string) => a[n] as Uint32Array
    return {
      ...meta,
      main: { bits: meta.main.bits, n: meta.main.n, starts: w('main.starts'), low: w('main.low') },
      count: w('main.count'), sample: w('main.sample'), periods: w('main.periods'),
      orphans: { bits: meta.orphans.bits, n: meta.orphans.n, starts: w('orphans.starts'), low: w('orphans.low') },
      dev: { ...meta.dev, starts: w('dev.starts'), hi: w('dev.hi'), lo: w('dev.lo'), ref: w('dev.ref'), meta: a['dev.meta'] as Uint8Array },
    }
  } finally {
    closeSync(fd)
  }
}
