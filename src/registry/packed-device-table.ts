// The device table (docs/registry.md, "The index"): one row per device and MPxN (a CHF or GPF lists
// the meters of its premises: docs/decisions.md, "Import, export, gas"), sorted by the permuted
// EUI-64 (key-permutation.ts), a device's rows adjacent in the order of its rows in devices.csv
// (the link order: docs/registry.md).
//   starts[2^bits + 1]  first row of each bucket (the top `bits` of the permuted high half)
//   hi[]                32 - bits bits per row: the rest of the permuted high half
//   lo[]                Uint32 per row: the permuted low half
//   ref[]               refBits per row: the MPxN's main-table entry, or main.n + its orphan entry
//   meta[]              Uint8 per row: type - 1 | status << 3 | role << 7 (metaOf)
import { readBits, sharedU32, sharedU8, wordsFor, writeBits } from './bit-fields.js'
import { perm, permEui, unpermEui } from './key-permutation.js'
import { formatEui } from './keys.js'

export interface PackedDeviceTable {
  /** bucket bits (12-22) */
  bits: number
  rows: number
  devices: number
  starts: Uint32Array
  hi: Uint32Array
  lo: Uint32Array
  refBits: number
  ref: Uint32Array
  /**
   * Per row (device -> MPxN link), one byte (metaOf): bits 0-2 the device type code - 1
   * (DEVICE_TYPES), bits 3-6 its DUIS DeviceStatus code (index + 1 in DEVICE_STATUSES; 0 = not
   * given), bit 7 the devices.csv mpxn_role of the MPxN for this device (set = export;
   * docs/decisions.md: import and export MPANs are judged separately).
   */
  meta: Uint8Array
}

/** devices.csv mpxn_role, stored per device -> MPxN link */
export const MPXN_ROLE_IMPORT = 0
export const MPXN_ROLE_EXPORT = 1
/** meta: the device's bits (type and status, the same on all its rows) and the link's role bit */
export const DEVICE_BITS = 0x7f
export const ROLE_BIT = 0x80
/** device rows per bucket the bucket bits aim at */
const PER_BUCKET = 16

/** meta byte of a device type code (1-8), a status code (0-9) and an mpxn_role code */
export function metaOf(type: number, status: number, role: number): number {
  return (type - 1) | (status << 3) | (role << 7)
}
/** device type code of row r (1-8: DEVICE_TYPES index + 1) */
export function typeAt(t: PackedDeviceTable, r: number): number {
  return (t.meta[r]! & 7) + 1
}
/** DUIS DeviceStatus code of row r (0 = not given) */
export function statusAt(t: PackedDeviceTable, r: number): number {
  return (t.meta[r]! >>> 3) & 15
}
/** mpxn_role code of row r: MPXN_ROLE_IMPORT or MPXN_ROLE_EXPORT */
export function roleAt(t: PackedDeviceTable, r: number): number {
  return t.meta[r]! >>> 7
}
/** MPxN ref of row r: a main-table entry, or main.n + an orphan entry */
export function refAt(t: PackedDeviceTable, r: number): number {
  return readBits(t.ref, r * t.refBits, t.refBits)
}

export function deviceBucketBits(rows: number): number {
  return Math.max(12, Math.min(22, Math.round(Math.log2(Math.max(1, rows) / PER_BUCKET))))
}

/** First row of the device (hi, lo), or -1. */
export function findDeviceRow(t: PackedDeviceTable, hi: number, lo: number): number {
  permEui(hi, lo)
  const hb = 32 - t.bits
  const bucket = perm.a >>> hb
  const wantHi = perm.a & ((1 << hb) - 1)
  const wantLo = perm.b
  let l = t.starts[bucket]!
  let h = t.starts[bucket + 1]!
  const end = h
  while (l < h) {
    const mid = (l + h) >>> 1
    const vh = readBits(t.hi, mid * hb, hb)
    if (vh < wantHi || (vh === wantHi && t.lo[mid]! < wantLo)) l = mid + 1
    else h = mid
  }
  return l < end && t.lo[l] === wantLo && readBits(t.hi, l * hb, hb) === wantHi ? l : -1
}

/** End (exclusive) of the device's rows starting at its first row `row`. */
export function deviceRowsEnd(t: PackedDeviceTable, row: number): number {
  const hb = 32 - t.bits
  const h = readBits(t.hi, row * hb, hb)
  let e = row + 1
  while (e < t.rows && t.lo[e] === t.lo[row] && readBits(t.hi, e * hb, hb) === h) e++
  return e
}

/**
 * Each row in order with its device's EUI-64 halves: `fn(r, hi, lo, first)`, `first` on a
 * device's first row.
 */
export function eachDeviceRow(t: PackedDeviceTable, fn: (r: number, hi: number, lo: number, first: boolean) => void): void {
  eachPermutedRow(t, (r, a, b, first) => {
    unpermEui(a, b)
    fn(r, perm.a, perm.b, first)
  })
}

/** Each row in order with its device's permuted halves: `fn(r, a, b, first)`. */
export function eachPermutedRow(t: PackedDeviceTable, fn: (r: number, a: number, b: number, first: boolean) => void): void {
  const hb = 32 - t.bits
  let bucket = 0
  let pa = -1
  let pb = -1
  for (let r = 0; r < t.rows; r++) {
    while (t.starts[bucket + 1]! <= r) bucket++
    const a = (bucket * 2 ** hb + readBits(t.hi, r * hb, hb)) >>> 0
    const b = t.lo[r]!
    const first = a !== pa || b !== pb
    pa = a
    pb = b
    fn(r, a, b, first)
  }
}

/** Writes a device table: rows added sorted by permuted EUI-64, a device's rows adjacent. */
export class DeviceTableWriter {
  readonly #t: PackedDeviceTable
  readonly #hb: number
  #lastA = -1
  #lastB = -1

  /** `capacity`: rows at most; `refBits`: bits of a ref (main entries + orphan entries). */
  constructor(capacity: number, refBits: number) {
    const bits = deviceBucketBits(capacity)
    this.#hb = 32 - bits
    this.#t = {
      bits, rows: 0, devices: 0, starts: sharedU32(2 ** bits + 1), hi: sharedU32(wordsFor(capacity, this.#hb)), lo: sharedU32(capacity),
      refBits, ref: sharedU32(wordsFor(capacity, refBits)), meta: sharedU8(capacity),
    }
  }

  /** Appends a row of the device with permuted halves (a, b). */
  add(a: number, b: number, ref: number, meta: number): void {
    const t = this.#t
    const r = t.rows++
    const hb = this.#hb
    t.starts[(a >>> hb) + 1]!++
    writeBits(t.hi, r * hb, hb, a & ((1 << hb) - 1))
    t.lo[r] = b
    writeBits(t.ref, r * t.refBits, t.refBits, ref)
    t.meta[r] = meta
    if (a !== this.#lastA || b !== this.#lastB) t.devices++
    this.#lastA = a
    this.#lastB = b
  }

  finish(): PackedDeviceTable {
    const t = this.#t
    for (let b = 1; b < t.starts.length; b++) t.starts[b]! += t.starts[b - 1]!
    return {
      ...t,
      hi: t.hi.subarray(0, wordsFor(t.rows, this.#hb)), lo: t.lo.subarray(0, t.rows),
      ref: t.ref.subarray(0, wordsFor(t.rows, t.refBits)), meta: t.meta.subarray(0, t.rows),
    }
  }
}

/** Device ID (upper-case, dashed EUI-64) of row r. */
export function deviceIdOfRow(t: PackedDeviceTable, r: number): string {
  let lo = 0
  let hi = t.starts.length - 1 // the bucket: last b with starts[b] <= r
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if (t.starts[mid]! <= r) lo = mid
    else hi = mid - 1
  }
  const hb = 32 - t.bits
  unpermEui((lo * 2 ** hb + readBits(t.hi, r * hb, hb)) >>> 0, t.lo[r]!)
  return formatEui(perm.a, perm.b)
}
