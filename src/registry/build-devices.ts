// Device rows -> the device table: rows grouped per device (EUI-64 as two Uint32 halves), one row
// per device and MPxN (contract §5: a CHF or GPF lists the meters of its premises).
// Exact duplicate rows (same device, same MPxN) collapse. A device listed with different types or
// statuses keeps the last row's values on all its rows (reported as 'type-conflict').
import { bucketBitsFor, bucketSort, sharedU32, sharedU8, sortRange } from './key-table.js'
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
  devices: number
}

export type DeviceIssueSink = (row: number, kind: 'duplicate' | 'type-conflict', otherRow: number) => void

export function buildDevices(rows: DeviceRows, onIssue: DeviceIssueSink): DeviceTable {
  const n = rows.n
  const bits = bucketBitsFor(n)
  const { starts: rowStarts, order } = bucketSort(n, bits, (i) => hash2(rows.hi[i]!, rows.lo[i]!))
  // gather into bucket order once (see build-periods.ts); order[x] is the file row of position x
  const hi = new Uint32Array(n)
  const lo = new Uint32Array(n)
  const ref = new Uint32Array(n)
  const type = new Uint8Array(n)
  const status = new Uint8Array(n)
  for (let x = 0; x < n; x++) {
    const r = order[x]!
    hi[x] = rows.hi[r]!
    lo[x] = rows.lo[r]!
    ref[x] = rows.ref[r]!
    type[x] = rows.type[r]!
    status[x] = rows.status[r]!
  }
  rows.release()
  const pos = new Uint32Array(n)
  for (let x = 0; x < n; x++) pos[x] = x
  const nb = 2 ** bits
  const less = (a: number, b: number) =>
    hi[a]! < hi[b]! || (hi[a] === hi[b] && (lo[a]! < lo[b]! || (lo[a] === lo[b] && ref[a]! < ref[b]!)))
  const drop = new Uint8Array(n)
  let kept = 0
  let devices = 0
  for (let b = 0; b < nb; b++) {
    const s = rowStarts[b]!
    const e = rowStarts[b + 1]!
    if (e - s > 1) sortRange(pos, s, e, less)
    for (let g = s; g < e; ) {
      const h = hi[pos[g]!]!
      const l = lo[pos[g]!]!
      let ge = g + 1
      while (ge < e && hi[pos[ge]!] === h && lo[pos[ge]!] === l) ge++
      // the last row in the file decides type and status (positions keep file order per bucket)
      let last = pos[g]!
      for (let j = g + 1; j < ge; j++) if (pos[j]! > last) last = pos[j]!
      for (let j = g; j < ge; j++) {
        const x = pos[j]!
        if (j > g && ref[x] === ref[pos[j - 1]!]) {
          drop[x] = 1
          onIssue(order[x]!, 'duplicate', order[pos[j - 1]!]!)
          continue
        }
        if (type[x] !== type[last] || status[x] !== status[last]) {
          onIssue(order[x]!, 'type-conflict', order[last]!)
          type[x] = type[last]!
          status[x] = status[last]!
        }
        kept++
      }
      devices++
      g = ge
    }
  }
  const t: DeviceTable = {
    bits,
    starts: sharedU32(nb + 1),
    hi: sharedU32(kept),
    lo: sharedU32(kept),
    ref: sharedU32(kept),
    type: sharedU8(kept),
    status: sharedU8(kept),
    devices,
  }
  let o = 0
  for (let b = 0; b < nb; b++) {
    t.starts[b] = o
    for (let j = rowStarts[b]!; j < rowStarts[b + 1]!; j++) {
      const x = pos[j]!
      if (drop[x]) continue
      t.hi[o] = hi[x]!
      t.lo[o] = lo[x]!
      t.ref[o] = ref[x]!
      t.type[o] = type[x]!
      t.status[o] = status[x]!
      o++
    }
  }
  t.starts[nb] = o
  return t
}

/** First row of a device, or -1. */
export function findDeviceRow(t: DeviceTable, h: number, l: number): number {
  const b = hash2(h, l) >>> (32 - t.bits)
  const e = t.starts[b + 1]!
  for (let i = t.starts[b]!; i < e; i++) if (t.lo[i] === l && t.hi[i] === h) return i
  return -1
}
