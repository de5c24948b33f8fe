// The MPxN tables (docs/registry.md, "The index"): MPxN keys sorted by their permuted value
// (key-permutation.ts) under a bucket table, only the bits below the bucket stored per key, and
// each MPxN's supply periods bit-packed:
//   starts[2^bits + 1]  first entry of each bucket (the top `bits` of the permuted key's high half)
//   low[]               44 - bits bits per entry: the rest of the permuted key
//   count[]             COUNT_BITS per entry: its number of periods (1-63)
//   sample[]            first period of entries 0, 32, 64, ... (an entry's first period is its
//                       sample plus the counts of at most 31 entries before it)
//   periods[]           per period: from, to (dayBits each: days since dayBase; all ones = open),
//                       MPID code (mpidBits), implied end (1 bit: the end is the next start)
// The orphan table (MPxNs devices name without registration rows) is a KeyTable: keys only.
// The field widths come from the data (days spanned, MPIDs, entries), so a build or a compaction
// computes them and a snapshot states them; nothing is ever written in place.
import { OPEN_DAY } from './day.js'
import { bitsFor, readBits, sharedU32, wordsFor, writeBits } from './bit-fields.js'
import { HALF, perm, permMpxn, unpermMpxn } from './key-permutation.js'
import { IMPLIED_END, MPID_MASK } from './period-rules.js'

/** bits of an entry's period count: period-rules.ts MAX_PERIODS (63) fits */
export const COUNT_BITS = 6
export const SAMPLE_EVERY = 32
const SAMPLE_SHIFT = 5
/** entries per bucket the bucket bits aim at (a binary search of ~4 steps in a bucket) */
const PER_BUCKET = 16

/** Sorted MPxN keys: entry i's permuted key is (its bucket, low[i]). */
export interface KeyTable {
  /** bucket bits (12-22): a bucket is the top `bits` of the permuted key's high half */
  bits: number
  n: number
  starts: Uint32Array
  /** 44 - bits bits per entry */
  low: Uint32Array
}

export interface PackedMpxnTable extends KeyTable {
  /** COUNT_BITS per entry: its period count */
  count: Uint32Array
  /** first period of entries 0, 32, 64, ... */
  sample: Uint32Array
  /** 2 * dayBits + mpidBits + 1 bits per period */
  periods: Uint32Array
  nPeriods: number
  /** day number of stored day 0 */
  dayBase: number
  dayBits: number
  mpidBits: number
}

/** Where a found MPxN's periods are: [p, p + n). Each caller owns one (no allocation per lookup). */
export interface PeriodRange {
  p: number
  n: number
}

/** Bucket bits for `n` keys: about PER_BUCKET keys a bucket, 12-22 bits. */
export function keyBucketBits(n: number): number {
  return Math.max(12, Math.min(22, Math.round(Math.log2(Math.max(1, n) / PER_BUCKET))))
}

/** Entry of permuted halves (a, b) in a key table, or -1. */
export function findEntry(t: KeyTable, a: number, b: number): number {
  const sh = 22 - t.bits
  const bucket = a >>> sh
  const want = (a & ((1 << sh) - 1)) * HALF + b
  const lb = 44 - t.bits
  const w = t.low
  let lo = t.starts[bucket]!
  let hi = t.starts[bucket + 1]!
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const v = readBits(w, mid * lb, lb)
    if (v < want) lo = mid + 1
    else if (v > want) hi = mid
    else return mid
  }
  return -1
}

/** Entry of an MPxN key (keys.ts mpxnKey) in a key table, or -1. */
export function entryOfKey(t: KeyTable, key: number): number {
  permMpxn(key)
  return findEntry(t, perm.a, perm.b)
}

/** Bucket of entry i: the last bucket b with starts[b] <= i. */
function bucketOf(t: KeyTable, i: number): number {
  let lo = 0
  let hi = t.starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if (t.starts[mid]! <= i) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** Permuted key (below 2^44) of entry i, its bucket known. */
function permutedAt(t: KeyTable, i: number, bucket: number): number {
  return bucket * 2 ** (44 - t.bits) + readBits(t.low, i * (44 - t.bits), 44 - t.bits)
}

/** MPxN key of entry i of a key table. */
export function keyOfEntry(t: KeyTable, i: number): number {
  const v = permutedAt(t, i, bucketOf(t, i))
  const a = Math.floor(v / HALF)
  return unpermMpxn(a, v - a * HALF)
}

/** Each entry in order: its permuted key (below 2^44) and index. */
export function eachEntry(t: KeyTable, fn: (permuted: number, i: number) => void): void {
  let b = 0
  for (let i = 0; i < t.n; i++) {
    while (t.starts[b + 1]! <= i) b++
    fn(permutedAt(t, i, b), i)
  }
}

/** MPxN key of a permuted key (below 2^44). */
export function keyOfPermuted(v: number): number {
  const a = Math.floor(v / HALF)
  return unpermMpxn(a, v - a * HALF)
}

/** Period range of entry i into `hit`. */
export function periodRange(t: PackedMpxnTable, i: number, hit: PeriodRange): void {
  const c = t.count
  let p = t.sample[i >>> SAMPLE_SHIFT]!
  for (let j = i & ~(SAMPLE_EVERY - 1); j < i; j++) p += readBits(c, j * COUNT_BITS, COUNT_BITS)
  hit.p = p
  hit.n = readBits(c, i * COUNT_BITS, COUNT_BITS)
}

/** Entry of an MPxN key, or -1; on a hit sets its period range. */
export function findMpxn(t: PackedMpxnTable, key: number, hit: PeriodRange): number {
  const i = entryOfKey(t, key)
  if (i >= 0) periodRange(t, i, hit)
  return i
}

const widthOf = (t: PackedMpxnTable) => 2 * t.dayBits + t.mpidBits + 1

/** From day (day number) of period q. */
export function periodFrom(t: PackedMpxnTable, q: number): number {
  return readBits(t.periods, q * widthOf(t), t.dayBits) + t.dayBase
}
/** Exclusive end day of period q, OPEN_DAY when open. */
export function periodTo(t: PackedMpxnTable, q: number): number {
  const v = readBits(t.periods, q * widthOf(t) + t.dayBits, t.dayBits)
  return v === 2 ** t.dayBits - 1 ? OPEN_DAY : v + t.dayBase
}
/** MPID code of period q. */
export function periodMpid(t: PackedMpxnTable, q: number): number {
  return readBits(t.periods, q * widthOf(t) + 2 * t.dayBits, t.mpidBits)
}
/** 1 when period q's end was implied by the next start (period-rules.ts IMPLIED_END). */
export function periodImplied(t: PackedMpxnTable, q: number): number {
  return readBits(t.periods, q * widthOf(t) + 2 * t.dayBits + t.mpidBits, 1)
}

/** Period covering day number `day` among periods [p, p + n), or -1. */
export function periodIn(t: PackedMpxnTable, p: number, n: number, day: number): number {
  for (let q = p + n - 1; q >= p; q--) {
    if (periodFrom(t, q) <= day) return day < periodTo(t, q) ? q : -1
  }
  return -1
}

/** The field widths of periods spanning days [minDay, maxDay] (maxDay: the largest finite end) and `mpids` MPID codes. */
export function periodWidths(minDay: number, maxDay: number, mpids: number): { dayBase: number; dayBits: number; mpidBits: number } {
  const dayBase = minDay <= maxDay ? minDay : 0
  // all ones means open, so the largest stored day must stay below it
  return { dayBase, dayBits: bitsFor(Math.max(0, maxDay - dayBase) + 1), mpidBits: bitsFor(Math.max(1, mpids - 1)) }
}

/** Writes a key table in key order (entries added sorted by permuted key). */
export class KeyTableWriter {
  readonly t: KeyTable
  readonly #sh: number
  readonly #lb: number

  /** `capacity`: entries at most (the arrays are sized for it; only the used part is kept). */
  constructor(capacity: number, bits = keyBucketBits(capacity)) {
    this.#sh = 22 - bits
    this.#lb = 44 - bits
    this.t = { bits, n: 0, starts: sharedU32(2 ** bits + 1), low: sharedU32(wordsFor(capacity, this.#lb)) }
  }

  /** Appends the next key (permuted, below 2^44, larger than the last); returns its entry. */
  add(permuted: number): number {
    const a = Math.floor(permuted / HALF)
    const i = this.t.n++
    this.t.starts[(a >>> this.#sh) + 1]!++
    writeBits(this.t.low, i * this.#lb, this.#lb, permuted - (a >>> this.#sh) * 2 ** this.#lb)
    return i
  }

  finish(): KeyTable {
    const s = this.t.starts
    for (let b = 1; b < s.length; b++) s[b]! += s[b - 1]!
    return { ...this.t, low: this.t.low.subarray(0, wordsFor(this.t.n, this.#lb)) }
  }
}

/** A key table of MPxN keys in any order (the orphans: few). */
export function keyTableOf(keys: Iterable<number>): KeyTable {
  const pv = Float64Array.from(keys, (k) => {
    permMpxn(k)
    return perm.a * HALF + perm.b
  }).sort()
  const w = new KeyTableWriter(pv.length)
  for (const v of pv) w.add(v)
  return w.finish()
}

/** Writes an MPxN table in key order: entries with their periods, sorted by permuted key. */
export class MpxnTableWriter {
  readonly #keys: KeyTableWriter
  readonly #count: Uint32Array
  readonly #sample: Uint32Array
  readonly #periods: Uint32Array
  readonly #w: { dayBase: number; dayBits: number; mpidBits: number }
  readonly #W: number
  readonly #open: number
  #p = 0

  /** `entries`, `periods`: upper bounds; `widths`: periodWidths of every period to be added. */
  constructor(entries: number, periods: number, widths: { dayBase: number; dayBits: number; mpidBits: number }) {
    this.#keys = new KeyTableWriter(entries, keyBucketBits(entries / 1.2))
    this.#count = sharedU32(wordsFor(entries, COUNT_BITS))
    this.#sample = sharedU32(Math.ceil(entries / SAMPLE_EVERY) + 1)
    this.#w = widths
    this.#W = 2 * widths.dayBits + widths.mpidBits + 1
    this.#open = 2 ** widths.dayBits - 1
    this.#periods = sharedU32(wordsFor(periods, this.#W))
  }

  get entries(): number {
    return this.#keys.t.n
  }

  /**
   * Appends the next MPxN (permuted key larger than the last) and its n (1-63) periods, flat
   * [from, to (exclusive, OPEN_DAY open), MPID code | IMPLIED_END] triples from per[3 * at].
   */
  add(permuted: number, per: ArrayLike<number>, at: number, n: number): number {
    const i = this.#keys.add(permuted)
    const { dayBase, dayBits, mpidBits } = this.#w
    writeBits(this.#count, i * COUNT_BITS, COUNT_BITS, n)
    if ((i & (SAMPLE_EVERY - 1)) === 0) this.#sample[i >>> SAMPLE_SHIFT] = this.#p
    for (let q = 0; q < n; q++) {
      const from = per[3 * (at + q)]!
      const to = per[3 * (at + q) + 1]!
      const code = per[3 * (at + q) + 2]!
      const bit = (this.#p + q) * this.#W
      writeBits(this.#periods, bit, dayBits, from - dayBase)
      writeBits(this.#periods, bit + dayBits, dayBits, to === OPEN_DAY ? this.#open : to - dayBase)
      writeBits(this.#periods, bit + 2 * dayBits, mpidBits, code & MPID_MASK)
      writeBits(this.#periods, bit + 2 * dayBits + mpidBits, 1, code & IMPLIED_END ? 1 : 0)
    }
    this.#p += n
    return i
  }

  finish(): PackedMpxnTable {
    const k = this.#keys.finish()
    return {
      ...k,
      count: this.#count.subarray(0, wordsFor(k.n, COUNT_BITS)),
      sample: this.#sample.subarray(0, Math.ceil(k.n / SAMPLE_EVERY)),
      periods: this.#periods.subarray(0, wordsFor(this.#p, this.#W)),
      nPeriods: this.#p,
      ...this.#w,
    }
  }
}

/** Period q of a table as a flat triple [from, to, MPID code | IMPLIED_END] into out[3 * at]. */
export function flatPeriod(t: PackedMpxnTable, q: number, out: number[] | Uint16Array, at: number): void {
  out[3 * at] = periodFrom(t, q)
  out[3 * at + 1] = periodTo(t, q)
  out[3 * at + 2] = periodMpid(t, q) | (periodImplied(t, q) ? IMPLIED_END : 0)
}
