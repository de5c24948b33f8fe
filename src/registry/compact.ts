// Compaction (docs/registry.md): folds a delta overlay into new packed tables, so lookups go back to
// the tables and the overlay stops growing. One ordered merge of the old sorted arrays with the
// overlay's entries sorted by permuted key (no hashing, no sort of the whole), writing new arrays
// whose field widths are computed afresh (a new MPID, a day beyond the old span or more MPxNs only
// widen the new arrays; nothing is written in place). O(index): runs in a worker thread
// (compact-worker.ts) while the gateway serves on the overlay index, and its result is written as
// a snapshot.
import { bitsFor, readBits } from './bit-fields.js'
import { OPEN_DAY } from './day.js'
import { perm, permEui, permutedMpxn } from './key-permutation.js'
import { parseEui, eui } from './keys.js'
import {
  COUNT_BITS, eachEntry, entryOfKey, flatPeriod, keyOfEntry, keyOfPermuted, keyTableOf, MpxnTableWriter, periodFrom, periodTo, periodWidths,
  type PackedMpxnTable,
} from './packed-mpxn-table.js'
import { DeviceTableWriter, eachPermutedRow, metaOf, refAt, type PackedDeviceTable } from './packed-device-table.js'
import type { RegistrySnapshot } from './registry-index.js'

/** The overlay's MPxNs sorted by permuted key: [permuted key, key, flat periods]. */
type OvMpxn = [number, number, number[]]

/**
 * The merge of the table's entries with the overlay's, in permuted-key order: `fn(permuted, i,
 * p, n, ov)` with the old entry i and its periods [p, p + n), or i = -1 and the overlay's flat
 * periods `ov` (an overlay entry replaces the table's entry of its key; [] = no registration rows).
 */
function eachMerged(t: PackedMpxnTable, ov: OvMpxn[], fn: (permuted: number, i: number, p: number, n: number, ov: number[] | undefined) => void): void {
  let j = 0
  let p = 0
  eachEntry(t, (v, i) => {
    const n = readBits(t.count, i * COUNT_BITS, COUNT_BITS)
    while (j < ov.length && ov[j]![0] < v) {
      fn(ov[j]![0], -1, 0, 0, ov[j]![2])
      j++
    }
    if (j < ov.length && ov[j]![0] === v) {
      fn(v, i, p, n, ov[j]![2])
      j++
    } else fn(v, i, p, n, undefined)
    p += n
  })
  for (; j < ov.length; j++) fn(ov[j]![0], -1, 0, 0, ov[j]![2])
}

/** `s` with its overlay folded into new tables (the old arrays are not changed). */
export function compactSnapshot(s: RegistrySnapshot): RegistrySnapshot {
  const old = s.main
  const ovM: OvMpxn[] = (s.overlay?.mpxns ?? []).map(([key, flat]) => [permutedMpxn(key), key, flat])
  ovM.sort((x, y) => x[0] - y[0])

  // MPxNs: count and the days spanned, then write
  let nm = 0
  let np = 0
  let minDay = OPEN_DAY
  let maxDay = -1
  const span = (from: number, to: number) => {
    if (from < minDay) minDay = from
    if (from > maxDay) maxDay = from
    if (to !== OPEN_DAY && to > maxDay) maxDay = to
  }
  eachMerged(old, ovM, (_v, _i, p, n, ov) => {
    if (ov) {
      if (ov.length === 0) return
      nm++
      np += ov.length / 3
      for (let k = 0; k < ov.length; k += 3) span(ov[k]!, ov[k + 1]!)
      return
    }
    nm++
    np += n
    for (let q = p; q < p + n; q++) span(periodFrom(old, q), periodTo(old, q))
  })
  const out = new MpxnTableWriter(nm, np, periodWidths(minDay, maxDay, s.mpids.length))
  // old entry -> new entry: the shift changes only at overlay entries (breakpoints: first old entry, shift)
  const shiftAt: number[] = []
  const shiftBy: number[] = []
  const replaced = new Map<number, number>() // old entry the overlay replaced -> its key
  const scratch: number[] = []
  eachMerged(old, ovM, (v, i, p, n, ov) => {
    if (ov) {
      if (i >= 0) replaced.set(i, keyOfPermuted(v))
      if (ov.length > 0) out.add(v, ov, 0, ov.length / 3)
      return
    }
    const shift = out.entries - i
    if (shiftBy.length === 0 || shiftBy[shiftBy.length - 1] !== shift) {
      shiftAt.push(i)
      shiftBy.push(shift)
    }
    for (let q = 0; q < n; q++) flatPeriod(old, p + q, scratch, q)
    out.add(v, scratch, 0, n)
  })
  const main = out.finish()
  const newEntryOfOld = (i: number): number => {
    let lo = 0
    let hi = shiftAt.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (shiftAt[mid]! <= i) lo = mid
      else hi = mid - 1
    }
    return i + shiftBy[lo]!
  }

  // devices: the tables' rows of devices the overlay does not replace, merged with the overlay's
  const d = s.devices
  type OvDev = [number, number, number, number, number[], number[]] // permuted a, b, type, status, keys, roles
  const ovD: OvDev[] = (s.overlay?.devices ?? []).map(([id, type, status, keys, roles]) => {
    parseEui(id)
    permEui(eui.hi, eui.lo)
    return [perm.a, perm.b, type, status, keys, roles]
  })
  ovD.sort((x, y) => x[0] - y[0] || x[1] - y[1])
  /** MPxN key of an old ref (a main entry, or main.n + an orphan entry) */
  const keyOfOldRef = (ref: number) => (ref < old.n ? keyOfEntry(old, ref) : keyOfEntry(s.orphans, ref - old.n))
  /** new main entry of an old ref, or -1 (no registration rows now: an orphan) */
  const entryOfOldRef = (ref: number): number => {
    if (ref < old.n && !replaced.has(ref)) return newEntryOfOld(ref)
    return entryOfKey(main, ref < old.n ? replaced.get(ref)! : keyOfOldRef(ref))
  }
  /** Each row of the merged table in order: `fn(a, b, ref | -1 - key, meta)`. */
  const eachRow = (fn: (a: number, b: number, entry: number, key: number, meta: number) => void) => {
    let j = 0
    let skip = false
    const emit = (o: OvDev) => {
      if (o[2] !== 0) o[4].forEach((k, x) => fn(o[0], o[1], entryOfKey(main, k), k, metaOf(o[2], o[3], o[5][x]!)))
    }
    eachPermutedRow(d, (r, a, b, first) => {
      if (first) {
        while (j < ovD.length && (ovD[j]![0] < a || (ovD[j]![0] === a && ovD[j]![1] < b))) emit(ovD[j++]!)
        skip = j < ovD.length && ovD[j]![0] === a && ovD[j]![1] === b
        if (skip) emit(ovD[j++]!)
      }
      if (skip) return
      const ref = refAt(d, r)
      const e = entryOfOldRef(ref)
      fn(a, b, e, e < 0 ? keyOfOldRef(ref) : -1, d.meta[r]!)
    })
    for (; j < ovD.length; j++) emit(ovD[j]!)
  }
  let rows = 0
  const orphanKeys = new Set<number>()
  eachRow((_a, _b, e, key) => {
    rows++
    if (e < 0) orphanKeys.add(key)
  })
  const orphans = keyTableOf(orphanKeys)
  const dev = new DeviceTableWriter(rows, bitsFor(Math.max(1, main.n + orphans.n - 1)))
  eachRow((a, b, e, key, meta) => dev.add(a, b, e >= 0 ? e : main.n + entryOfKey(orphans, key), meta))
  const devices: PackedDeviceTable = dev.finish()
  const { overlay, ...rest } = s
  return {
    ...rest,
    counts: { ...s.counts, registrations: main.nPeriods, mpxns: main.n, devices: devices.devices },
    main, orphans, devices,
    baked: [...(s.baked ?? []), ...(overlay?.deltas ?? [])],
  }
}
