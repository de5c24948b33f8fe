// Two-level build (issue #5, load time at 30M rows). A one-level counting sort over millions of
// buckets writes every row to a random place (a cache and TLB miss per row per column). Instead,
// rows are first scattered into ~1024 partitions by the top bits of their bucket number (1024
// write streams stay in L2), then each partition (~35K rows, fits in cache) is sorted by bucket
// locally. Buckets come out in ascending order, so the final tables are written sequentially.
import { PART_BITS } from './key-table.js'

type Column = Float64Array | Uint32Array | Uint16Array | Uint8Array

export interface Partition {
  /** partition q holds positions starts[q]..starts[q+1] */
  starts: Uint32Array
  /** position of input row i in partition order */
  dest: Uint32Array
  /** number of partitions (2^pbits) and the bucket bits left inside a partition */
  parts: number
  lbits: number
  /** size of the largest partition (for scratch arrays) */
  maxSize: number
}

/** Partition rows by the top bits of their bucket number (`bucket[i]` < 2^bits). Stable. */
export function partitionRows(bucket: Uint32Array, n: number, bits: number): Partition {
  const pbits = Math.min(bits, PART_BITS)
  const lbits = bits - pbits
  const parts = 2 ** pbits
  const starts = new Uint32Array(parts + 1)
  for (let i = 0; i < n; i++) starts[(bucket[i]! >>> lbits) + 1]!++
  let maxSize = 0
  for (let q = 0; q < parts; q++) {
    if (starts[q + 1]! > maxSize) maxSize = starts[q + 1]!
    starts[q + 1]! += starts[q]!
  }
  const fill = starts.slice(0, parts)
  const dest = new Uint32Array(n)
  for (let i = 0; i < n; i++) dest[i] = fill[bucket[i]! >>> lbits]!++
  return { starts, dest, parts, lbits, maxSize }
}

/** src[i] -> out[dest[i]], one column at a time (one write stream per partition). */
export function scatter<T extends Column>(src: T, n: number, p: Partition): T {
  const out = new (src.constructor as new (n: number) => T)(n)
  const dest = p.dest
  for (let i = 0; i < n; i++) out[dest[i]!] = src[i]!
  return out
}

/** Row indices in partition order (the file row of each position, for line numbers). */
export function rowsOf(n: number, p: Partition): Uint32Array {
  const out = new Uint32Array(n)
  for (let i = 0; i < n; i++) out[p.dest[i]!] = i
  return out
}

/**
 * Counting sort of partition positions [s, e) by local bucket (`bucket[x] & mask`): fills
 * `order` (positions) and `lstarts` (local bucket b is order[lstarts[b]..lstarts[b+1]]).
 */
export function sortPartition(bucket: Uint32Array, s: number, e: number, lbits: number, order: Uint32Array, lstarts: Uint32Array): void {
  const nl = 2 ** lbits
  const mask = nl - 1
  lstarts.fill(0, 0, nl + 1)
  for (let x = s; x < e; x++) lstarts[(bucket[x]! & mask) + 1]!++
  for (let b = 0; b < nl; b++) lstarts[b + 1]! += lstarts[b]!
  for (let x = s; x < e; x++) {
    const b = bucket[x]! & mask
    order[lstarts[b]!++] = x
  }
  // lstarts[b] now holds the end of bucket b: shift back by one bucket
  for (let b = nl; b > 0; b--) lstarts[b] = lstarts[b - 1]!
  lstarts[0] = 0
}
