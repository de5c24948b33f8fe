// The device table: rows grouped per device (EUI-64 as two Uint32 halves), one row per device and
// MPxN (a CHF or GPF lists the meters of its premises: docs/decisions.md, "Import, export, gas"), ~4 rows per hash bucket.
import { hash2 } from './keys.js'

export interface DeviceTable {
  bits: number
  /** bucket b holds rows starts[b]..starts[b+1]; a device's rows are contiguous */
  starts: Uint32Array
  hi: Uint32Array
  lo: Uint32Array
  /** MPxN slot (main table) or ORPHAN_BIT | orphan slot */
  ref: Uint32Array
  type: Uint8Array
  status: Uint8Array
  /**
   * Per row (device -> MPxN link), parallel to `ref`: the devices.csv mpxn_role of the MPxN for
   * this device, MPXN_ROLE_IMPORT (0) or MPXN_ROLE_EXPORT (1) (docs/decisions.md: import and export MPANs
   * are judged separately).
   */
  role: Uint8Array
  devices: number
}

/** device rows per hash bucket, on average (see key-table.ts) */
export const ROWS_PER_BUCKET = 4

/** A device row's ref to an MPxN with no registration rows: its slot in the orphan table. */
export const ORPHAN_BIT = 0x80000000

/** devices.csv mpxn_role, stored per device -> MPxN link (DeviceTable.role) */
export const MPXN_ROLE_IMPORT = 0
export const MPXN_ROLE_EXPORT = 1

/** First row of a device, or -1. */
export function findDeviceRow(t: DeviceTable, h: number, l: number): number {
  const b = hash2(h, l) >>> (32 - t.bits)
  const e = t.starts[b + 1]!
  for (let i = t.starts[b]!; i < e; i++) if (t.lo[i] === l && t.hi[i] === h) return i
  return -1
}
