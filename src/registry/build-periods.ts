// Registration rows -> the MPxN table: per MPxN, its supply periods sorted by start.
//
// Rules (contract §5: "a period ends where the next begins"), applied per MPxN to rows sorted by
// effective_from, ties in file order:
//  1. exact duplicates (same start, MPID and end) collapse to one row            -> 'duplicate'
//  2. same start, different MPID or end: the later row in the file wins          -> 'same-start'
//  3. a period ends at the next period's start; an explicit effective_to before it leaves a gap;
//     one past it is truncated to the next start                                -> 'overlap'
//  4. consecutive periods of the same MPID that touch are merged (a re-registration by the same
//     supplier is not a change of supplier; counted, not reported)
import { bucketBitsFor, bucketSort, sharedF64, sharedU16, sharedU32, sortRange } from './key-table.js'
import { hashMpxnKey } from './keys.js'
import { OPEN_DAY, type RegistrationRows } from './staging.js'

export interface MpxnTable {
  bits: number
  /** bucket b holds MPxN slots starts[b]..starts[b+1] */
  starts: Uint32Array
  keys: Float64Array
  /** periods of slot i are pStart[i]..pStart[i+1] */
  pStart: Uint32Array
  pFrom: Uint16Array
  /** effective end (exclusive), OPEN_DAY when open */
  pTo: Uint16Array
  pMpid: Uint16Array
}

export type PeriodIssueKind = 'duplicate' | 'same-start' | 'overlap'
export type PeriodIssueSink = (row: number, kind: PeriodIssueKind, otherRow: number) => void

const DROPPED = OPEN_DAY // a start day can never be OPEN_DAY, so it marks a dropped row

export function buildPeriods(rows: RegistrationRows, onIssue: PeriodIssueSink): { table: MpxnTable; merged: number } {
  const n = rows.n
  const bits = bucketBitsFor(n)
  const { starts: rowStarts, order } = bucketSort(n, bits, (i) => hashMpxnKey(rows.key[i]!))
  // Gather the columns into bucket order once: every later pass then reads memory sequentially
  // (reading through `order` instead costs a cache miss per column per row, ~3x the build time).
  // order[x] stays the file row of position x, for line numbers in reports.
  const key = new Float64Array(n)
  const from = new Uint16Array(n)
  const to = new Uint16Array(n)
  const mpid = new Uint16Array(n)
  for (let x = 0; x < n; x++) {
    const r = order[x]!
    key[x] = rows.key[r]!
    from[x] = rows.from[r]!
    to[x] = rows.to[r]!
    mpid[x] = rows.mpid[r]!
  }
  rows.release()
  const pos = new Uint32Array(n)
  for (let x = 0; x < n; x++) pos[x] = x
  const nb = 2 ** bits
  const less = (a: number, b: number) => key[a]! < key[b]! || (key[a] === key[b] && from[a]! < from[b]!)
  const issue = (x: number, kind: PeriodIssueKind, other: number) => onIssue(order[x]!, kind, order[other]!)
  const kept: number[] = []
  let merged = 0
  let slots = 0
  let periods = 0

  // Pass 1: sort each bucket, resolve each MPxN's rows in place (ends into `to`, drops marked).
  for (let b = 0; b < nb; b++) {
    const s = rowStarts[b]!
    const e = rowStarts[b + 1]!
    if (e - s > 1) sortRange(pos, s, e, less)
    for (let g = s; g < e; ) {
      const k = key[pos[g]!]!
      let ge = g + 1
      while (ge < e && key[pos[ge]!] === k) ge++
      kept.length = 0
      for (let j = g; j < ge; j++) {
        const r = pos[j]!
        const last = kept.length > 0 ? kept[kept.length - 1]! : -1
        if (last >= 0 && from[last] === from[r]) {
          const dup = mpid[last] === mpid[r] && to[last] === to[r]
          issue(r, dup ? 'duplicate' : 'same-start', last)
          from[dup ? r : last] = DROPPED
          if (!dup) kept[kept.length - 1] = r
          continue
        }
        kept.push(r)
      }
      for (let j = 0; j + 1 < kept.length; j++) {
        const cur = kept[j]!
        const nextFrom = from[kept[j + 1]!]!
        if (to[cur] === OPEN_DAY || to[cur]! >= nextFrom) {
          if (to[cur] !== OPEN_DAY && to[cur]! > nextFrom) issue(cur, 'overlap', kept[j + 1]!)
          to[cur] = nextFrom
        }
      }
      let prev = kept[0]!
      let count = 1
      for (let j = 1; j < kept.length; j++) {
        const cur = kept[j]!
        if (mpid[cur] === mpid[prev] && to[prev] === from[cur]) {
          to[prev] = to[cur]!
          from[cur] = DROPPED
          merged++
        } else {
          prev = cur
          count++
        }
      }
      slots++
      periods += count
      g = ge
    }
  }

  // Pass 2: copy survivors into exact-size shared arrays.
  const table: MpxnTable = {
    bits,
    starts: sharedU32(nb + 1),
    keys: sharedF64(slots),
    pStart: sharedU32(slots + 1),
    pFrom: sharedU16(periods),
    pTo: sharedU16(periods),
    pMpid: sharedU16(periods),
  }
  let slot = 0
  let p = 0
  for (let b = 0; b < nb; b++) {
    table.starts[b] = slot
    const e = rowStarts[b + 1]!
    for (let g = rowStarts[b]!; g < e; ) {
      const k = key[pos[g]!]!
      table.keys[slot] = k
      table.pStart[slot] = p
      for (; g < e && key[pos[g]!] === k; g++) {
        const r = pos[g]!
        if (from[r] === DROPPED) continue
        table.pFrom[p] = from[r]!
        table.pTo[p] = to[r]!
        table.pMpid[p] = mpid[r]!
        p++
      }
      slot++
    }
  }
  table.starts[nb] = slot
  table.pStart[slot] = p
  return { table, merged }
}

/** Slot of an MPxN key, or -1. */
export function findSlot(t: MpxnTable, k: number): number {
  const b = hashMpxnKey(k) >>> (32 - t.bits)
  const e = t.starts[b + 1]!
  for (let i = t.starts[b]!; i < e; i++) if (t.keys[i] === k) return i
  return -1
}

/** A key-only table (MPxNs named by devices but absent from registrations). */
export function buildKeyTable(keys: Float64Array): { table: MpxnTable; order: Uint32Array } {
  const bits = bucketBitsFor(keys.length)
  const { starts, order } = bucketSort(keys.length, bits, (i) => hashMpxnKey(keys[i]!))
  const t: MpxnTable = {
    bits,
    starts: sharedU32(starts.length),
    keys: sharedF64(keys.length),
    pStart: sharedU32(keys.length + 1),
    pFrom: sharedU16(0),
    pTo: sharedU16(0),
    pMpid: sharedU16(0),
  }
  t.starts.set(starts)
  for (let i = 0; i < order.length; i++) t.keys[i] = keys[order[i]!]!
  return { table: t, order }
}
