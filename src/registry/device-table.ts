// The device table: rows grouped per device (EUI-64 as two Uint32 halves), one row per device and
// MPxN (a CHF or GPF lists the meters of its premises: docs/decisions.md, "Import, export, gas"), 4–8 rows per hash bucket.
import { hash2 } from './keys.js'

export interface DeviceTable {
  bits: number
  /** bucket b holds rows starts[b]..starts[b+1]; a device's rows are contiguous */
  starts: Uint32Array
  hi: Uint32Array
  lo: Uint32Array
  /** MPxN slot (main table) or ORPHAN_BIT | orphan slot */
  ref: Uint32Array
  /**
   * Per row (device -> MPxN link), one byte (metaOf): bits 0–2 the device type code - 1
   * (DEVICE_TYPES), bits 3–6 its DUIS DeviceStatus code (index + 1 in DEVICE_STATUSES; 0 = not
   * given), bit 7 the devices.csv mpxn_role of the MPxN for this device (set = export;
   * docs/decisions.md: import and export MPANs are judged separately). One byte for the three
   * instead of a byte array each: 2 bytes per device row less (docs/registry.md, bounded peak).
   */
  meta: Uint8Array
  devices: number
}

/** device rows per hash bucket, at most (see key-table.ts, mpxn-table.ts SLOTS_PER_BUCKET: 8 halves the bucket array) */
export const ROWS_PER_BUCKET = 8

/** A device row's ref to an MPxN with no registration rows: its slot in the orphan table. */
export const ORPHAN_BIT = 0x80000000

/** devices.csv mpxn_role, stored per device -> MPxN link (DeviceTable.role) */
export const MPXN_ROLE_IMPORT = 0
export const MPXN_ROLE_EXPORT = 1

/** DeviceTable.meta: the device's bits (type and status, the same on all its rows) and the link's role bit */
export const DEVICE_BITS = 0x7f
export const ROLE_BIT = 0x80
/** a meta byte no row has (status code 15): marks the unfilled rows of a build */
export const NO_ROW = 0xff

/** meta byte of a device type code (1–8), a status code (0–9) and an mpxn_role code */
export function metaOf(type: number, status: number, role: number): number {
  return (type - 1) | (status << 3) | (role << 7)
}
/** device type code of row r (1–8: DEVICE_TYPES index + 1) */
export function typeAt(t: DeviceTable, r: number): number {
  return (t.meta[r]! & 7) + 1
}
/** DUIS DeviceStatus code of row r (0 = not given) */
export function statusAt(t: DeviceTable, r: number): number {
  return (t.meta[r]! >>> 3) & 15
}
/** mpxn_role code of row r: MPXN_ROLE_IMPORT or MPXN_ROLE_EXPORT */
export function roleAt(t: DeviceTable, r: number): number {
  return t.meta[r]! >>> 7
}

/** First row of a device, or -1. */
export function findDeviceRow(t: DeviceTable, h: number, l: number): number {
  const b = hash2(h, l) >>> (32 - t.bits)
  const e = t.starts[b + 1]!
  for (let i = t.starts[b]!; i < e; i++) if (t.lo[i] === l && t.hi[i] === h) return i
  return -1
}
