// Growable column buffers for rows as they stream in (plain ArrayBuffers: dropped after the build).
import { OPEN_DAY } from './day.js'

type Typed = Float64Array | Uint32Array | Uint16Array | Uint8Array

function grow<T extends Typed>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap)
  b.set(a)
  return b
}

/** Accepted registration rows, in file order. `to` = effective_to + 1 (exclusive end), OPEN_DAY when absent. */
export class RegistrationRows {
  n = 0
  key: Float64Array
  from: Uint16Array
  to: Uint16Array
  mpid: Uint16Array
  constructor(cap = 1024) {
    this.key = new Float64Array(cap)
    this.from = new Uint16Array(cap)
    this.to = new Uint16Array(cap)
    this.mpid = new Uint16Array(cap)
  }
  /** drop the buffers (after the build) */
  release(): void {
    this.n = 0
    this.key = new Float64Array(0)
    this.from = this.to = this.mpid = new Uint16Array(0)
  }
  push(key: number, from: number, to: number, mpid: number): void {
    if (this.n === this.key.length) {
      const cap = Math.ceil(this.n * 1.5) + 1024
      this.key = grow(this.key, cap)
      this.from = grow(this.from, cap)
      this.to = grow(this.to, cap)
      this.mpid = grow(this.mpid, cap)
    }
    const i = this.n++
    this.key[i] = key
    this.from[i] = from
    this.to[i] = to
    this.mpid[i] = mpid
  }
}

/**
 * Accepted device rows. `mkey` = the MPxN key as read; `ref` (MPxN slot in the main table, or
 * ORPHAN_BIT | orphan number) is filled in one batch after the file (load-devices.ts), not per row.
 */
export class DeviceRows {
  n = 0
  hi: Uint32Array
  lo: Uint32Array
  mkey: Float64Array
  ref: Uint32Array = new Uint32Array(0)
  type: Uint8Array
  status: Uint8Array
  /** mpxn_role per row: MPXN_ROLE_IMPORT (0) or MPXN_ROLE_EXPORT (1) */
  role: Uint8Array
  constructor(cap = 1024) {
    this.hi = new Uint32Array(cap)
    this.lo = new Uint32Array(cap)
    this.mkey = new Float64Array(cap)
    this.type = new Uint8Array(cap)
    this.status = new Uint8Array(cap)
    this.role = new Uint8Array(cap)
  }
  release(): void {
    this.n = 0
    this.hi = this.lo = this.ref = new Uint32Array(0)
    this.mkey = new Float64Array(0)
    this.type = this.status = this.role = new Uint8Array(0)
  }
  push(hi: number, lo: number, mkey: number, type: number, status: number, role: number): void {
    if (this.n === this.hi.length) {
      const cap = Math.ceil(this.n * 1.5) + 1024
      this.hi = grow(this.hi, cap)
      this.lo = grow(this.lo, cap)
      this.mkey = grow(this.mkey, cap)
      this.type = grow(this.type, cap)
      this.status = grow(this.status, cap)
      this.role = grow(this.role, cap)
    }
    const i = this.n++
    this.hi[i] = hi
    this.lo[i] = lo
    this.mkey[i] = mkey
    this.type[i] = type
    this.status[i] = status
    this.role[i] = role
  }
}

export const ORPHAN_BIT = 0x80000000
/** devices.csv mpxn_role, stored per device -> MPxN link (DeviceTable.role) */
export const MPXN_ROLE_IMPORT = 0
export const MPXN_ROLE_EXPORT = 1
export { OPEN_DAY }
