// Device rows -> the device table: rows grouped per device (EUI-64 as two Uint32 halves), one row
// per device and MPxN (contract §5: a CHF or GPF lists the meters of its premises).
// Exact duplicate rows (same device, same MPxN) collapse; when they differ in mpxn_role the last
// row's role is kept. A device listed with different types or statuses keeps the last row's values
// on all its rows (reported as 'type-conflict').
import { bucketBitsFor, sharedU32, sharedU8, sortRange } from './key-table.js'
import { partitionRows, rowsOf, scatter, sortPartition } from './partition.js'
import { hash2 } from './keys.js'
import type { DeviceRows } from './staging.js'

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
   * this device, MPXN_ROLE_IMPORT (0) or MPXN_ROLE_EXPORT (1) (issue #14: import and export MPANs
   * are judged separately).
   */
  role: Uint8Array
  devices: number
}

/** device rows per hash bucket, on average (see key-table.ts) */
export const ROWS_PER_BUCKET = 4

export type DeviceIssueSink = (row: number, kind: 'duplicate' | 'type-conflict', otherRow: number) => void

export function buildDevices(rows: DeviceRows, onIssue: DeviceIssueSink): DeviceTable {
  const n = rows.n
  const bits = bucketBitsFor(n, ROWS_PER_BUCKET)
  const bucketOf = new Uint32Array(n)
  for (let i = 0; i < n; i++) bucketOf[i] = hash2(rows.hi[i]!, rows.lo[i]!) >>> (32 - bits)
  // two-level build (partition.ts); row[x] is the file row of position x
  const part = partitionRows(bucketOf, n, bits)
  const hi = scatter(rows.hi, n, part)
  const lo = scatter(rows.lo, n, part)
  const ref = scatter(rows.ref, n, part)
  const type = scatter(rows.type, n, part)
  const status = scatter(rows.status, n, part)
  const role = scatter(rows.role, n, part)
  const bucket = scatter(bucketOf, n, part)
  const row = rowsOf(n, part)
  rows.release()
  const nb = 2 ** bits
  const less = (a: number, b: number) =>
    hi[a]! < hi[b]! || (hi[a] === hi[b] && (lo[a]! < lo[b]! || (lo[a] === lo[b] && (ref[a]! < ref[b]! || (ref[a] === ref[b] && row[a]! < row[b]!)))))
  const drop = new Uint8Array(n)
  const order = new Uint32Array(n) // positions in final (bucket, device, ref) order
  const lstarts = new Uint32Array(2 ** part.lbits + 1)
  const starts = sharedU32(nb + 1)
  let kept = 0
  let devices = 0
  for (let q = 0; q < part.parts; q++) {
    const ps = part.starts[q]!
    const view = order.subarray(ps)
    sortPartition(bucket, ps, part.starts[q + 1]!, part.lbits, view, lstarts)
    const nl = 2 ** part.lbits
    for (let lb = 0; lb < nl; lb++) {
      starts[q * nl + lb] = kept
      const s = lstarts[lb]!
      const e = lstarts[lb + 1]!
      if (e - s > 1) sortRange(view, s, e, less)
      for (let g = s; g < e; ) {
        const h = hi[view[g]!]!
        const l = lo[view[g]!]!
        let ge = g + 1
        while (ge < e && hi[view[ge]!] === h && lo[view[ge]!] === l) ge++
        // the last row in the file decides type and status
        let last = view[g]!
        for (let j = g + 1; j < ge; j++) if (row[view[j]!]! > row[last]!) last = view[j]!
        for (let j = g; j < ge; j++) {
          const x = view[j]!
          if (j > g && ref[x] === ref[view[j - 1]!]) {
            // sorted by row within a ref: x is the later row; its role wins on the kept row
            let k = j - 1
            while (drop[view[k]!]) k--
            role[view[k]!] = role[x]!
            drop[x] = 1
            onIssue(row[x]!, 'duplicate', row[view[j - 1]!]!)
            continue
          }
          if (type[x] !== type[last] || status[x] !== status[last]) {
            onIssue(row[x]!, 'type-conflict', row[last]!)
            type[x] = type[last]!
            status[x] = status[last]!
          }
          kept++
        }
        devices++
        g = ge
      }
    }
  }
  starts[nb] = kept
  const t: DeviceTable = {
    bits,
    starts,
    hi: sharedU32(kept),
    lo: sharedU32(kept),
    ref: sharedU32(kept),
    type: sharedU8(kept),
    status: sharedU8(kept),
    role: sharedU8(kept),
    devices,
  }
  let o = 0
  for (let j = 0; j < n; j++) {
    const x = order[j]!
    if (drop[x]) continue
    t.hi[o] = hi[x]!
    t.lo[o] = lo[x]!
    t.ref[o] = ref[x]!
    t.type[o] = type[x]!
    t.status[o] = status[x]!
    t.role[o] = role[x]!
    o++
  }
  return t
}

/** First row of a device, or -1. */
export function findDeviceRow(t: DeviceTable, h: number, l: number): number {
  const b = hash2(h, l) >>> (32 - t.bits)
  const e = t.starts[b + 1]!
  for (let i = t.starts[b]!; i < e; i++) if (t.lo[i] === l && t.hi[i] === h) return i
  return -1
}
