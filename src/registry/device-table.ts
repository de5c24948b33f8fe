// The device table: rows grouped per device (EUI-64 as two Uint32 halves), one row per device and
// MPxN (contract §5: a CHF or GPF lists the meters of its premises), ~4 rows per hash bucket.
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
  /**
   * Per row (device -> MPxN link): the device's DUIS DeviceStatus code in bits 0–6 (index + 1 in
   * DEVICE_STATUSES; 0 = not given) and, in bit 7, the devices.csv mpxn_role of the MPxN for this
   * device (ROLE_BIT set = export; issue #14: import and export MPANs are judged separately). The
   * role shares the status byte instead of a byte array of its own: 1 byte per device row less.
   */
  statusRole: Uint8Array
  devices: number
}

/** device rows per hash bucket, on average (see key-table.ts) */
export const ROWS_PER_BUCKET = 4

/** A device row's ref to an MPxN with no registration rows: its slot in the orphan table. */
export const ORPHAN_BIT = 0x80000000

/** devices.csv mpxn_role, stored per device -> MPxN link (DeviceTable.role) */
export const MPXN_ROLE_IMPORT = 0
export const MPXN_ROLE_EXPORT = 1

/** DeviceTable.statusRole: the status code bits and the mpxn_role bit */
export const STATUS_MASK = 0x7f
export const ROLE_SHIFT = 7

/** statusRole byte of a status code and an mpxn_role code */
export function statusRoleOf(status: number, role: number): number {
  return status | (role << ROLE_SHIFT)
}
/** DUIS DeviceStatus code of row r (0 = not given) */
export function statusAt(t: DeviceTable, r: number): number {
  return t.statusRole[r]! & STATUS_MASK
}
/** mpxn_role code of row r: MPXN_ROLE_IMPORT or MPXN_ROLE_EXPORT */
export function roleAt(t: DeviceTable, r: number): number {
  return t.statusRole[r]! >>> ROLE_SHIFT
}

/** First row of a device, or -1. */
export function findDeviceRow(t: DeviceTable, h: number, l: number): number {
  const b = hash2(h, l) >>> (32 - t.bits)
  const e = t.starts[b + 1]!
  for (let i = t.starts[b]!; i < e; i++) if (t.lo[i] === l && t.hi[i] === h) return i
  return -1
}
