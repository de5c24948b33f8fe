// Registration rows -> the MPxN table (mpxn-table.ts): per MPxN, its supply periods sorted by start.
//
// Rules (contract §5: "a period ends where the next begins"), applied per MPxN to rows sorted by
// effective_from, ties in file order:
//  1. exact duplicates (same start, MPID and end) collapse to one row            -> 'duplicate'
//  2. same start, different MPID or end: the later row in the file wins          -> 'same-start'
//  3. a period ends the day before the next period's start; an explicit effective_to (inclusive,
//     the last day supplied; stored as the exclusive day after) before that leaves a gap; one on or
//     after the next start (a one-day overlap at least) is cut: the later start wins -> 'overlap'
//  4. consecutive periods of the same MPID that touch are merged (a re-registration by the same
//     supplier is not a change of supplier; counted, not reported)
//  5. at most MAX_PERIODS (63) periods per MPxN are kept: the most recent ones   -> 'history'
//     (63 changes of supplier for one meter point is far past anything real; responsibility is
//     judged at recent dates, so the oldest history is what goes)
import { bucketBitsFor, sharedF64, sharedU16, sharedU32, sortRange } from './key-table.js'
import { hashMpxnKey } from './keys.js'
import { COUNT_UNIT, MAX_PERIODS, SLOTS_PER_BUCKET, type MpxnTable } from './mpxn-table.js'
import { partitionRows, rowsOf, scatter, sortPartition } from './partition.js'
import { OPEN_DAY, type RegistrationRows } from './staging.js'

export type { MpxnTable } from './mpxn-table.js'
export { findSlot, buildKeyTable } from './mpxn-table.js'

export type PeriodIssueKind = 'duplicate' | 'same-start' | 'overlap' | 'history'
export type PeriodIssueSink = (row: number, kind: PeriodIssueKind, otherRow: number) => void

const DROPPED = OPEN_DAY // a start day can never be OPEN_DAY, so it marks a dropped row

export function buildPeriods(rows: RegistrationRows, onIssue: PeriodIssueSink): { table: MpxnTable; merged: number } {
  const n = rows.n
  const bits = bucketBitsFor(n, SLOTS_PER_BUCKET)
  const bucketOf = new Uint32Array(n)
  for (let i = 0; i < n; i++) bucketOf[i] = hashMpxnKey(rows.key[i]!) >>> (32 - bits)
  const part = partitionRows(bucketOf, n, bits)
  const key = scatter(rows.key, n, part)
  const from = scatter(rows.from, n, part)
  const to = scatter(rows.to, n, part)
  const mpid = scatter(rows.mpid, n, part)
  const bucket = scatter(bucketOf, n, part)
  const row = rowsOf(n, part) // file row of each position, for line numbers in reports
  rows.release()

  const nb = 2 ** bits
  const starts = sharedU32(2 * nb + 2)
  const slotsTmp = new Float64Array(n)
  const perTmp = new Uint16Array(3 * n)
  const order = new Uint32Array(part.maxSize)
  const lstarts = new Uint32Array(2 ** part.lbits + 1)
  const less = (a: number, b: number) =>
    key[a]! < key[b]! || (key[a] === key[b] && (from[a]! < from[b]! || (from[a] === from[b] && row[a]! < row[b]!)))
  const issue = (x: number, kind: PeriodIssueKind, other: number) => onIssue(row[x]!, kind, row[other]!)
  const kept: number[] = []
  let merged = 0
  let slot = 0
  let p = 0

  for (let q = 0; q < part.parts; q++) {
    const ps = part.starts[q]!
    sortPartition(bucket, ps, part.starts[q + 1]!, part.lbits, order, lstarts)
    const nl = 2 ** part.lbits
    for (let lb = 0; lb < nl; lb++) {
      const b = q * nl + lb
      starts[2 * b] = slot
      starts[2 * b + 1] = p
      const s = lstarts[lb]!
      const e = lstarts[lb + 1]!
      if (e - s > 1) sortRange(order, s, e, less)
      for (let g = s; g < e; ) {
        const k = key[order[g]!]!
        let ge = g + 1
        while (ge < e && key[order[ge]!] === k) ge++
        resolveGroup(order, g, ge)
        const first = p
        for (const r of kept) {
          if (from[r] === DROPPED) continue
          perTmp[p * 3] = from[r]!
          perTmp[p * 3 + 1] = to[r]!
          perTmp[p * 3 + 2] = mpid[r]!
          p++
        }
        slotsTmp[slot++] = k * COUNT_UNIT + (p - first)
        g = ge
      }
    }
  }
  starts[2 * nb] = slot
  starts[2 * nb + 1] = p

  /** Rules 1–5 on one MPxN's rows order[g..ge) (sorted by start); survivors left in `kept`. */
  function resolveGroup(ord: Uint32Array, g: number, ge: number): void {
    kept.length = 0
    for (let j = g; j < ge; j++) {
      const r = ord[j]!
      const last = kept.length > 0 ? kept[kept.length - 1]! : -1
      if (last >= 0 && from[last] === from[r]) {
        const dup = mpid[last] === mpid[r] && to[last] === to[r]
        issue(r, dup ? 'duplicate' : 'same-start', last)
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
    for (let j = 0; j < kept.length && count > MAX_PERIODS; j++) {
      const r = kept[j]!
      if (from[r] === DROPPED) continue
      issue(r, 'history', kept[kept.length - 1]!)
      from[r] = DROPPED
      count--
    }
  }

  // exact-size shared arrays (the temporaries are garbage, or freed with the load worker)
  const table: MpxnTable = { bits, starts, slots: sharedF64(slot), periods: sharedU16(3 * p) }
  table.slots.set(slotsTmp.subarray(0, slot))
  table.periods.set(perTmp.subarray(0, 3 * p))
  return { table, merged }
}
