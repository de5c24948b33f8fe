// The MPxN table: a static hash of MPxN keys -> supply periods, laid out so that a lookup costs
// about three dependent cache misses (one array per field measured five):
//   1. starts[2b..2b+2]   the bucket's first slot and first period (adjacent: one line)
//   2. slots[s..e)        the bucket's keys, ~4 x 8 bytes (one line); each slot packs its key and
//                         its period count, so no separate period-start array is read
//   3. periods[3p..]      the MPxN's periods, [from, to, mpid] interleaved (one line)
// A slot's first period = the bucket's first period + the counts of the slots before it in the
// bucket (summed during the scan that finds it).
import { bucketBitsFor, bucketSort, sharedF64, sharedU16, sharedU32 } from './key-table.js'
import { hashMpxnKey } from './keys.js'

/** Periods per MPxN held in a slot's count field (key * 64 + count stays below 2^53). */
export const MAX_PERIODS = 63
export const COUNT_UNIT = 64
/** MPxN slots per hash bucket, on average */
export const SLOTS_PER_BUCKET = 4

export interface MpxnTable {
  bits: number
  /** [2b] first slot of bucket b, [2b+1] first period of bucket b; length 2^(bits+1) + 2 */
  starts: Uint32Array
  /** per slot: MPxN key (keys.ts) * 64 + number of periods */
  slots: Float64Array
  /** per period p: [3p] from day, [3p+1] to day (exclusive; OPEN_DAY when open), [3p+2] MPID code */
  periods: Uint16Array
}

/** Period count packed in a slot value. Not `v % 64`: a double modulo is a C call in V8, ~10x a floor. */
function countOf(v: number): number {
  return v - Math.floor(v * INV_UNIT) * COUNT_UNIT
}
const INV_UNIT = 1 / COUNT_UNIT // a power of two: v * INV_UNIT is exact

/** Period range of the last findSlot/slotRange hit (module scratch: no allocation per lookup). */
export const hit = { p: 0, n: 0 }

/** Slot of an MPxN key, or -1; on a hit sets `hit.p` (first period) and `hit.n` (count). */
export function findSlot(t: MpxnTable, k: number): number {
  const b = (hashMpxnKey(k) >>> (32 - t.bits)) * 2
  const st = t.starts
  const slots = t.slots
  const k64 = k * COUNT_UNIT
  let p = st[b + 1]!
  const e = st[b + 2]!
  for (let i = st[b]!; i < e; i++) {
    const c = slots[i]! - k64
    if (c >= 0 && c < COUNT_UNIT) {
      hit.p = p
      hit.n = c
      return i
    }
    p += countOf(slots[i]!)
  }
  return -1
}

export function keyOfSlot(t: MpxnTable, slot: number): number {
  return Math.floor(t.slots[slot]! * INV_UNIT)
}

/** Period range of a known slot (e.g. a device's ref) into `hit`. */
export function slotRange(t: MpxnTable, slot: number): void {
  findSlot(t, keyOfSlot(t, slot))
}

/** Period covering day number `day` among periods [p, p + n), or -1. */
export function periodIn(per: Uint16Array, p: number, n: number, day: number): number {
  for (let q = p + n - 1; q >= p; q--) {
    if (per[q * 3]! <= day) return day < per[q * 3 + 1]! ? q : -1
  }
  return -1
}

const B = 64
const bA = new Uint32Array(B)
const sA = new Int32Array(B)
const pA = new Uint32Array(B)
const nA = new Uint32Array(B)

/**
 * Batched lookup: for keys[off..off+n), out[off+j] = period covering `day`, -1 when none, -2 when
 * the MPxN is unknown (`day` < 0: the slot instead). Each phase issues independent loads for the
 * whole batch, so the CPU waits on several cache misses at once instead of one after another.
 */
export function lookupBatch(t: MpxnTable, keys: Float64Array, off: number, count: number, day: number, out: Int32Array): void {
  const st = t.starts
  const slots = t.slots
  const per = t.periods
  const shift = 32 - t.bits
  for (let base = 0; base < count; base += B) {
    const n = Math.min(B, count - base)
    for (let j = 0; j < n; j++) {
      const b = (hashMpxnKey(keys[off + base + j]!) >>> shift) * 2
      bA[j] = b
      pA[j] = st[b + 1]! // touch the bucket now; its slots are read in the next loop
    }
    let touch = 0
    for (let j = 0; j < n; j++) {
      const b = bA[j]!
      const k64 = keys[off + base + j]! * COUNT_UNIT
      const e = st[b + 2]!
      let p = pA[j]!
      let found = -1
      for (let i = st[b]!; i < e; i++) {
        const c = slots[i]! - k64
        if (c >= 0 && c < COUNT_UNIT) {
          found = i
          nA[j] = c
          break
        }
        p += countOf(slots[i]!)
      }
      sA[j] = found
      pA[j] = p
      if (found >= 0 && day >= 0) touch |= per[p * 3]! // start loading the first period
    }
    for (let j = 0; j < n; j++) {
      const s = sA[j]!
      out[off + base + j] = s < 0 ? -2 : day < 0 ? s : periodIn(per, pA[j]!, nA[j]!, day)
    }
    sink = touch
  }
}
/** keeps the touching loads observable */
export let sink = 0

/** A key-only table (MPxNs named by devices but absent from registrations). */
export function buildKeyTable(keys: Float64Array): { table: MpxnTable; order: Uint32Array } {
  const bits = bucketBitsFor(keys.length, SLOTS_PER_BUCKET)
  const { starts, order } = bucketSort(keys.length, bits, (i) => hashMpxnKey(keys[i]!))
  const nb = 2 ** bits
  const t: MpxnTable = { bits, starts: sharedU32(2 * nb + 2), slots: sharedF64(keys.length), periods: sharedU16(0) }
  for (let b = 0; b <= nb; b++) t.starts[2 * b] = starts[b]!
  for (let i = 0; i < order.length; i++) t.slots[i] = keys[order[i]!]! * COUNT_UNIT
  return { table: t, order }
}
