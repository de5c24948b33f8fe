// Static hash layout shared by the MPxN and device tables: entries are stored grouped by the top
// `bits` bits of a 32-bit hash, and `starts[b]..starts[b+1]` is bucket b (a counting sort, O(n),
// so 30M rows build without a comparison sort). With ~2 entries per bucket a lookup is one hash,
// two adjacent reads of `starts` and a short scan: 2–3 cache misses, no empty slots to pay for.

export function sharedF64(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(n * 8))
}
export function sharedU32(n: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(n * 4))
}
export function sharedU16(n: number): Uint16Array {
  return new Uint16Array(new SharedArrayBuffer(n * 2))
}
export function sharedU8(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(n))
}

/**
 * Bucket bits for `n` entries at `perBucket / 2` to `perBucket` entries per bucket (a power of two
 * of buckets); at least 16 buckets. Each doubling of `perBucket` halves the `starts` array and
 * lengthens a lookup's scan of its bucket (mpxn-table.ts SLOTS_PER_BUCKET).
 */
export function bucketBitsFor(n: number, perBucket = 2): number {
  return Math.max(4, Math.min(30, Math.ceil(Math.log2(Math.max(n, 1) / perBucket))))
}

/**
 * Turns per-bucket row counts in `starts[0..nb-1]` into each bucket's first row (prefix sums), in
 * place, with the total in `starts[nb]`; returns the total.
 */
export function countsToStarts(starts: Uint32Array, nb: number): number {
  let at = 0
  for (let b = 0; b < nb; b++) {
    const c = starts[b]!
    starts[b] = at
    at += c
  }
  starts[nb] = at
  return at
}

/** Partitions for a cache-friendly two-level build (partition.ts): ~1024 write streams. */
export const PART_BITS = 10

export interface BucketOrder {
  bits: number
  /** row-level bucket starts (length 2^bits + 1) */
  starts: Uint32Array
  /** item indices grouped by bucket, file order kept inside a bucket */
  order: Uint32Array
}

/** Stable counting sort of `n` items by `hashOf(i) >>> (32 - bits)`. */
export function bucketSort(n: number, bits: number, hashOf: (i: number) => number): BucketOrder {
  const shift = 32 - bits
  const nb = 2 ** bits
  const starts = new Uint32Array(nb + 1)
  const bucketOf = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    const b = hashOf(i) >>> shift
    bucketOf[i] = b
    starts[b + 1]!++
  }
  for (let b = 0; b < nb; b++) starts[b + 1]! += starts[b]!
  const fill = starts.slice(0, nb)
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[fill[bucketOf[i]!]!++] = i
  return { bits, starts, order }
}

/** Stable insertion sort of order[s..e) by `less` (buckets hold a handful of items). */
export function sortRange(order: Uint32Array, s: number, e: number, less: (a: number, b: number) => boolean): void {
  for (let i = s + 1; i < e; i++) {
    const x = order[i]!
    let j = i - 1
    while (j >= s && less(x, order[j]!)) {
      order[j + 1] = order[j]!
      j--
    }
    order[j + 1] = x
  }
}
