// The period rules (docs/registry.md, "Period rules": a period ends the day before the next begins), applied per MPxN to its
// rows sorted by effective_from, ties in file order:
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
// A stored period keeps whether its end came from the row (an explicit effective_to) or from the
// next period's start (IMPLIED_END on its MPID code): a delta (delta.ts) turns an MPxN's periods
// back into rows, applies its changes and runs these rules again, as a rebuild of the changed
// files would.
import { OPEN_DAY } from './day.js'

export type PeriodIssueKind = 'duplicate' | 'same-start' | 'overlap' | 'history'

export const PERIOD_RULES = {
  duplicate: 'duplicate period, collapsed',
  'same-start': 'same effective_from as another row with a different supplier or end; the later row in the file wins',
  overlap: 'effective_to is on or after the next effective_from (a one-day overlap or more); the later start wins, the period ends the day before it',
  history: 'more than 63 supply periods for this MPxN; the oldest are dropped',
} as const

/** Flag on a stored period's MPID code: its end is the next period's start, not an effective_to. */
export const IMPLIED_END = 0x8000
/** Periods per MPxN at most (rule 5; packed-mpxn-table.ts stores the count in 6 bits). */
export const MAX_PERIODS = 63
export const MPID_MASK = 0x7fff

const DROPPED = OPEN_DAY // a start day can never be OPEN_DAY, so it marks a dropped row

/**
 * Rows of one bucket (or of one MPxN) in file order, sorted by (MPxN, start, file order); grows as
 * needed, so the build's working set is the largest bucket, not the file.
 */
export class PeriodScratch {
  n = 0
  key = new Float64Array(64)
  from = new Uint16Array(64)
  to = new Uint16Array(64)
  mpid = new Uint16Array(64)
  implied = new Uint8Array(64)
  order = new Uint32Array(64)
  merged = 0
  readonly #kept: number[] = []

  /** `onIssue(key, occ, otherOcc, kind)`: occurrences count the MPxN's rows in file order from 0. */
  constructor(readonly onIssue: (key: number, occ: number, otherOcc: number, kind: PeriodIssueKind) => void) {}

  #reserve(n: number): void {
    if (n <= this.key.length) return
    const cap = Math.max(n, this.key.length * 2)
    this.key = new Float64Array(cap)
    this.from = new Uint16Array(cap)
    this.to = new Uint16Array(cap)
    this.mpid = new Uint16Array(cap)
    this.implied = new Uint8Array(cap)
    this.order = new Uint32Array(cap)
  }

  /** Insertion sort of order[0..n) by (key, from, file order); no closure: it runs per bucket. */
  #sort(): void {
    const { key, from, order } = this
    for (let i = 0; i < this.n; i++) {
      let j = i - 1
      const k = key[i]!
      const f = from[i]!
      while (j >= 0) {
        const o = order[j]!
        if (key[o]! < k || (key[o] === k && from[o]! <= f)) break // equal (key, from): o is earlier in the file
        order[j + 1] = o
        j--
      }
      order[j + 1] = i
    }
  }

  /** Rows [rs, re) as staged by the build: key in slots[i], [from, to, mpid] in periods[3i..]. */
  load(slots: Float64Array, periods: Uint16Array, rs: number, re: number): void {
    this.n = re - rs
    this.#reserve(this.n)
    for (let i = 0; i < this.n; i++) {
      const x = rs + i
      this.key[i] = slots[x]!
      this.from[i] = periods[x * 3]!
      this.to[i] = periods[x * 3 + 1]!
      this.mpid[i] = periods[x * 3 + 2]!
    }
    this.#sort()
  }

  /** Rows of one MPxN given as [from, to, mpid] triples, in file order. */
  loadRows(key: number, rows: readonly (readonly [number, number, number])[]): void {
    this.n = rows.length
    this.#reserve(this.n)
    rows.forEach(([f, t, m], i) => {
      this.key[i] = key
      this.from[i] = f
      this.to[i] = t
      this.mpid[i] = m
    })
    this.#sort()
  }

  /** Occurrence of row r among the rows of its MPxN, order[g..ge), in file order. */
  #occ(r: number, g: number, ge: number): number {
    let k = 0
    for (let j = g; j < ge; j++) if (this.order[j]! < r) k++
    return k
  }

  #issue(r: number, kind: PeriodIssueKind, other: number, g: number, ge: number): void {
    this.onIssue(this.key[r]!, this.#occ(r, g, ge), this.#occ(other, g, ge), kind)
  }

  /** Rules 1–5 on one MPxN's rows order[g..ge); writes its periods at `out[3p..]`, returns the next p. */
  resolveGroup(g: number, ge: number, out: Uint16Array, p: number): number {
    const { from, to, mpid, implied, order } = this
    const kept = this.#kept
    kept.length = 0
    for (let j = g; j < ge; j++) {
      const r = order[j]!
      implied[r] = 0
      const last = kept.length > 0 ? kept[kept.length - 1]! : -1
      if (last >= 0 && from[last] === from[r]) {
        const dup = mpid[last] === mpid[r] && to[last] === to[r]
        this.#issue(r, dup ? 'duplicate' : 'same-start', last, g, ge)
        if (!dup) kept[kept.length - 1] = r
        continue
      }
      kept.push(r)
    }
    for (let j = 0; j + 1 < kept.length; j++) {
      const cur = kept[j]!
      const nextFrom = from[kept[j + 1]!]!
      if (to[cur] === OPEN_DAY || to[cur]! > nextFrom) {
        if (to[cur] !== OPEN_DAY) this.#issue(cur, 'overlap', kept[j + 1]!, g, ge)
        to[cur] = nextFrom
        implied[cur] = 1
      }
    }
    let prev = kept[0]!
    let count = 1
    for (let j = 1; j < kept.length; j++) {
      const cur = kept[j]!
      if (mpid[cur] === mpid[prev] && to[prev] === from[cur]) {
        to[prev] = to[cur]!
        implied[prev] = implied[cur]!
        from[cur] = DROPPED
        this.merged++
      } else {
        prev = cur
        count++
      }
    }
    for (let j = 0; j < kept.length && count > MAX_PERIODS; j++) {
      const r = kept[j]!
      if (from[r] === DROPPED) continue
      this.#issue(r, 'history', kept[kept.length - 1]!, g, ge)
      from[r] = DROPPED
      count--
    }
    for (const r of kept) {
      if (from[r] === DROPPED) continue
      out[p * 3] = from[r]!
      out[p * 3 + 1] = to[r]!
      out[p * 3 + 2] = mpid[r]! | (implied[r] && to[r] !== OPEN_DAY ? IMPLIED_END : 0)
      p++
    }
    return p
  }
}
