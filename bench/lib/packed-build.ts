// Builds a PackedIndex (packed-index.ts) from registrations.csv and devices.csv with a bounded
// working set: one pass counts the rows per fine bucket of the permuted key (2^20 buckets), then
// the rows are staged chunk by chunk (a range of fine buckets of about `chunkRows` rows per pass
// over the file), sorted per fine bucket, resolved by today's rules (dist/registry period-rules.js
// for periods; load-devices.ts's for device rows) and appended to the packed arrays in key order.
// The arrays are allocated for one entry per row (an upper bound) and only their used prefix is
// ever written: the pages past it are never touched, so they cost address space, not RSS, and a
// snapshot holds the used part only. Row checks are today's (registrationCheck, checkDevice); the
// files are read through one reused 1 MB buffer (no garbage per chunk: a streamed read leaves
// tens of MB of spent chunks to the collector, which a reload's peak would carry), and a pass for
// one chunk decodes only the first field of the rows outside it.
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import type { CsvKind, RowCheck } from '../../dist/registry/csv-pass.js'
import { fields, splitFields } from '../../dist/registry/csv-rows.js'
import { eui, mpxnKeyCodes, parseEuiCodes } from '../../dist/registry/keys.js'
import { REGISTRATIONS, registrationCheck, regRow } from '../../dist/registry/load-registrations.js'
import { checkDevice, DEVICES, devRow } from '../../dist/registry/load-devices.js'
import { MpidTable } from '../../dist/registry/mpid-table.js'
import { PeriodScratch } from '../../dist/registry/period-rules.js'
import { loadParties } from '../../dist/registry/parties.js'
import { OPEN_DAY } from '../../dist/registry/day.js'
import type { RegistryPaths } from '../../dist/registry/index.js'
import {
  arraysOf, bitsFor, COUNT_BITS, findEntry, HALF, perm, permEui, permMpxn, SAMPLE_EVERY, wordsFor, writeBits, type KeyTable, type PackedIndex,
} from './packed-index.js'

const FINE = 20
const NF = 2 ** FINE
/** entries per bucket the bucket bits aim at (a binary search of ~4 steps in a bucket) */
const PER_BUCKET = 16
const DEVICE_BITS = 0x7f
const ROLE_BIT = 0x80

const u32 = (n: number) => new Uint32Array(new SharedArrayBuffer(Math.max(1, n) * 4))
const u8 = (n: number) => new Uint8Array(new SharedArrayBuffer(Math.max(1, n)))
const bucketBits = (n: number) => Math.max(12, Math.min(22, Math.round(Math.log2(Math.max(1, n) / PER_BUCKET))))

export interface BuildStats {
  ms: Record<string, number>
  passes: { registrations: number; devices: number }
  stagingBytes: number
}

/** Fine-bucket ranges of about `chunkRows` rows each: [f0, f1) pairs. */
function chunksOf(fineStart: Uint32Array, chunkRows: number): [number, number][] {
  const out: [number, number][] = []
  let f0 = 0
  for (let f = 1; f <= NF; f++) {
    if (f === NF || fineStart[f + 1]! - fineStart[f0]! > chunkRows) {
      out.push([f0, f])
      f0 = f
    }
  }
  return out
}

const BUF = Buffer.allocUnsafe(1 << 20)

/**
 * Calls `onRow` for each valid data row of a CSV (csv-pass.ts csvPass's rules: blank lines, a header,
 * the column count, then `check`); `skip`, asked before `check`, passes over a row early.
 */
function eachRow(file: string, kind: CsvKind, check: RowCheck, onRow: () => void, skip?: (buf: Buffer) => boolean): number {
  let first = true
  let valid = 0
  const line = (s: number, e: number) => {
    const n = splitFields(BUF, s, e)
    if (n === 1 && fields[0] === fields[1]) return
    if (first) {
      first = false
      if (kind.isHeader(BUF, n)) return
    }
    if (n < kind.minColumns || n > kind.columns.length) return
    if (skip?.(BUF) || check(BUF, n) !== undefined) return
    valid++
    onRow()
  }
  const fd = openSync(file, 'r')
  try {
    let have = 0
    let bom = true
    for (;;) {
      const got = readSync(fd, BUF, have, BUF.length - have, null)
      const end = have + got
      let s = 0
      if (bom && end >= 3 && BUF[0] === 0xef && BUF[1] === 0xbb && BUF[2] === 0xbf) s = 3
      bom = false
      const view = BUF.subarray(0, end)
      for (;;) {
        const nl = view.indexOf(10, s)
        if (nl < 0) break
        line(s, nl > s && BUF[nl - 1] === 13 ? nl - 1 : nl)
        s = nl + 1
      }
      if (got === 0) {
        if (s < end) line(s, BUF[end - 1] === 13 ? end - 1 : end)
        break
      }
      BUF.copy(BUF, 0, s, end)
      have = end - s
      if (have === BUF.length) throw new Error(`${file}: a line longer than ${BUF.length} bytes`)
    }
  } finally {
    closeSync(fd)
  }
  return valid
}

function prefix(counts: Uint32Array): void {
  let at = 0
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!
    counts[i] = at
    at += c
  }
}

export async function buildPacked(paths: RegistryPaths, chunkRows = 1_000_000): Promise<{ index: PackedIndex; stats: BuildStats }> {
  const t0 = performance.now()
  const ms: Record<string, number> = {}
  const lap = (k: string) => (ms[k] = Math.round(performance.now() - t0))
  const parties = await loadParties(paths.parties)
  const mpids = new MpidTable(parties.flatMap((p) => p.mpids))
  const check = registrationCheck(mpids)

  // registrations, pass 1: rows per fine bucket, the day range, the MPID codes
  const fineStart = new Uint32Array(NF + 1)
  let rows = 0
  let minDay = OPEN_DAY
  let maxDay = 0
  const regRows = eachRow(paths.registrations, REGISTRATIONS, check, () => {
    permMpxn(regRow.key)
    fineStart[perm.a >>> 2]!++
    rows++
    if (regRow.from < minDay) minDay = regRow.from
    if (regRow.from > maxDay) maxDay = regRow.from
    if (regRow.to !== OPEN_DAY && regRow.to > maxDay) maxDay = regRow.to
  })
  lap('registrations-count')
  prefix(fineStart)
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

  const regChunks = chunksOf(fineStart, chunkRows)
  let maxChunk = 0
  let maxFine = 0
  for (const [f0, f1] of regChunks) maxChunk = Math.max(maxChunk, fineStart[f1]! - fineStart[f0]!)
  for (let f = 0; f < NF; f++) maxFine = Math.max(maxFine, fineStart[f + 1]! - fineStart[f]!)
  // one staging buffer for both files (the collector frees an ArrayBuffer when it likes: a second
  // one for the devices would sit beside this one's garbage)
  let staging = new ArrayBuffer(17 * Math.max(maxChunk, chunkRows)) // sized for the devices' 17 B a row too
  const stKey = new Float64Array(staging, 0, maxChunk)
  const stPer = new Uint16Array(staging, 8 * maxChunk, 3 * maxChunk)
  const out = new Uint16Array(3 * Math.max(1, maxFine))
  const fill = new Uint32Array(NF)
  const sc = new PeriodScratch(() => {})
  let stagingBytes = staging.byteLength + out.byteLength + fill.byteLength + fineStart.byteLength
  let i = 0
  let p = 0
  const mStarts = main.starts
  for (const [f0, f1] of regChunks) {
    const base = fineStart[f0]!
    fill.set(fineStart.subarray(f0, f1), f0)
    eachRow(paths.registrations, REGISTRATIONS, check, () => {
      permMpxn(regRow.key)
      const f = perm.a >>> 2
      const at = fill[f]!++ - base
      stKey[at] = perm.a * HALF + perm.b
      stPer[at * 3] = regRow.from
      stPer[at * 3 + 1] = regRow.to
      stPer[at * 3 + 2] = regRow.mpid
    }, (buf) => {
      const k = mpxnKeyCodes(buf, fields[0]!, fields[1]!)
      if (k < 0) return false // for the check to reject
      permMpxn(k)
      const f = perm.a >>> 2
      return f < f0 || f >= f1
    })
    for (let f = f0; f < f1; f++) {
      const rs = fineStart[f]! - base
      const re = fineStart[f + 1]! - base
      if (re === rs) continue
      sc.load(stKey, stPer, rs, re)
      for (let g = 0; g < sc.n; ) {
        const k = sc.key[sc.order[g]!]!
        let ge = g + 1
        while (ge < sc.n && sc.key[sc.order[ge]!] === k) ge++
        const n = sc.resolveGroup(g, ge, out, 0)
        const a = Math.floor(k / HALF)
        const sh = 22 - bits
        mStarts[(a >>> sh) + 1]!++
        writeBits(main.low, i * lb, lb, (a & ((1 << sh) - 1)) * HALF + (k - a * HALF))
        writeBits(count, i * COUNT_BITS, COUNT_BITS, n)
        if ((i & (SAMPLE_EVERY - 1)) === 0) sample[i / SAMPLE_EVERY] = p
        for (let q = 0; q < n; q++) {
          const to = out[q * 3 + 1]!
          const code = out[q * 3 + 2]!
          const bit = (p + q) * W
          writeBits(periods, bit, dayBits, out[q * 3]! - dayBase)
          writeBits(periods, bit + dayBits, dayBits, to === OPEN_DAY ? 2 ** dayBits - 1 : to - dayBase)
          writeBits(periods, bit + 2 * dayBits, mpidBits, code & 0x7fff)
          writeBits(periods, bit + 2 * dayBits + mpidBits, 1, code >>> 15)
        }
        p += n
        i++
        g = ge
      }
    }
  }
  for (let b = 1; b < mStarts.length; b++) mStarts[b]! += mStarts[b - 1]!
  main.n = i
  lap('registrations-fill')

  // devices, pass 1: rows per fine bucket of the permuted EUI-64; MPxNs without registration rows
  fineStart.fill(0)
  let devRows = 0
  const orphanKeys = new Set<number>()
  eachRow(paths.devices, DEVICES, checkDevice, () => {
    permEui(devRow.hi, devRow.lo)
    fineStart[perm.a >>> (32 - FINE)]!++
    devRows++
    permMpxn(devRow.key)
    if (findEntry(main, perm.a, perm.b) < 0) orphanKeys.add(devRow.key)
  })
  lap('devices-count')
  prefix(fineStart)
  const orphans = keyTable([...orphanKeys])
  orphanKeys.clear()
  const refBits = bitsFor(Math.max(1, main.n + orphans.n - 1))
  const dbits = bucketBits(devRows)
  const hb = 32 - dbits
  const dev = {
    bits: dbits, rows: 0, devices: 0, starts: u32(2 ** dbits + 1), hi: u32(wordsFor(devRows, hb)), lo: u32(devRows),
    refBits, ref: u32(wordsFor(devRows, refBits)), meta: u8(devRows),
  }
  const devChunks = chunksOf(fineStart, chunkRows)
  maxChunk = 0
  for (const [f0, f1] of devChunks) maxChunk = Math.max(maxChunk, fineStart[f1]! - fineStart[f0]!)
  if (staging.byteLength < 17 * maxChunk) staging = new ArrayBuffer(17 * maxChunk)
  const sHi = new Uint32Array(staging, 0, maxChunk)
  const sLo = new Uint32Array(staging, 4 * maxChunk, maxChunk)
  const sRef = new Uint32Array(staging, 8 * maxChunk, maxChunk)
  const order = new Uint32Array(staging, 12 * maxChunk, maxChunk)
  const sMeta = new Uint8Array(staging, 16 * maxChunk, maxChunk)
  stagingBytes = Math.max(stagingBytes, staging.byteLength + fill.byteLength + fineStart.byteLength)
  let r = 0
  let devices = 0
  for (const [f0, f1] of devChunks) {
    const base = fineStart[f0]!
    fill.set(fineStart.subarray(f0, f1), f0)
    eachRow(paths.devices, DEVICES, checkDevice, () => {
      permEui(devRow.hi, devRow.lo)
      const f = perm.a >>> (32 - FINE)
      const at = fill[f]!++ - base
      sHi[at] = perm.a
      sLo[at] = perm.b
      sMeta[at] = (devRow.type - 1) | (devRow.status << 3) | (devRow.role << 7)
      permMpxn(devRow.key)
      const e = findEntry(main, perm.a, perm.b)
      sRef[at] = e >= 0 ? e : main.n + findEntry(orphans, perm.a, perm.b)
    }, (buf) => {
      if (fields[1]! - fields[0]! !== 23 || !parseEuiCodes(buf, fields[0]!, fields[1]!)) return false // for the check to reject
      permEui(eui.hi, eui.lo)
      const f = perm.a >>> (32 - FINE)
      return f < f0 || f >= f1
    })
    for (let f = f0; f < f1; f++) {
      const rs = fineStart[f]! - base
      const re = fineStart[f + 1]! - base
      // insertion sort of the fine bucket by (device, MPxN entry, file order): a handful of rows
      for (let x = rs; x < re; x++) {
        let j = x - 1
        while (j >= rs) {
          const o = order[j]!
          if (sHi[o]! < sHi[x]! || (sHi[o] === sHi[x] && (sLo[o]! < sLo[x]! || (sLo[o] === sLo[x] && sRef[o]! <= sRef[x]!)))) break
          order[j + 1] = o
          j--
        }
        order[j + 1] = x
      }
      for (let g = rs; g < re; ) {
        const h = sHi[order[g]!]!
        const l = sLo[order[g]!]!
        let ge = g + 1
        while (ge < re && sHi[order[ge]!] === h && sLo[order[ge]!] === l) ge++
        let last = order[g]! // the last row in the file decides type and status
        for (let j = g + 1; j < ge; j++) if (order[j]! > last) last = order[j]!
        for (let j = g; j < ge; j++) {
          const x = order[j]!
          if (j > g && sRef[x] === sRef[order[j - 1]!]) {
            dev.meta[r - 1] = (dev.meta[r - 1]! & DEVICE_BITS) | (sMeta[x]! & ROLE_BIT) // the later row's role
            continue
          }
          dev.starts[(h >>> hb) + 1]!++
          writeBits(dev.hi, r * hb, hb, h & ((1 << hb) - 1))
          dev.lo[r] = l
          writeBits(dev.ref, r * refBits, refBits, sRef[x]!)
          dev.meta[r] = (sMeta[last]! & DEVICE_BITS) | (sMeta[x]! & ROLE_BIT)
          r++
        }
        devices++
        g = ge
      }
    }
  }
  for (let b = 1; b < dev.starts.length; b++) dev.starts[b]! += dev.starts[b - 1]!
  dev.rows = r
  dev.devices = devices
  lap('devices-fill')

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
  return {
    index,
    stats: {
      ms, stagingBytes,
      passes: { registrations: 1 + regChunks.length, devices: 1 + devChunks.length },
    },
  }
}

/** A key table of MPxN keys (the orphans: a few). */
function keyTable(keys: number[]): KeyTable {
  const pv = Float64Array.from(keys, (k) => {
    permMpxn(k)
    return perm.a * HALF + perm.b
  }).sort()
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
