// The bounded build from the files (docs/registry.md, "Bounded peak"): the validating pass counts
// the rows per fine bucket of the permuted key (2^20 buckets), then each further pass over the
// file stages the rows of one chunk of fine buckets (about CHUNK_ROWS rows) in one reused buffer,
// which the caller sorts per fine bucket, resolves and appends to the packed arrays in key order.
// The working set is the staging of one chunk and the per-fine-bucket counts, not the file.

export const FINE_BITS = 20
export const FINE = 2 ** FINE_BITS
/** rows staged per pass over a file, about */
export const CHUNK_ROWS = 1_000_000

/** Per-fine-bucket row counts -> each fine bucket's first row, in place (length FINE + 1). */
export function countsToFirstRows(counts: Uint32Array): void {
  let at = 0
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!
    counts[i] = at
    at += c
  }
}

/** Fine-bucket ranges [f0, f1) of about `chunkRows` rows each (first rows in `first`, length FINE + 1). */
export function chunksOf(first: Uint32Array, chunkRows = CHUNK_ROWS): [number, number][] {
  const out: [number, number][] = []
  let f0 = 0
  for (let f = 1; f <= FINE; f++) {
    if (f === FINE || first[f + 1]! - first[f0]! > chunkRows) {
      out.push([f0, f])
      f0 = f
    }
  }
  return out
}

/** Rows of the largest chunk. */
export function largestChunk(first: Uint32Array, chunks: [number, number][]): number {
  let m = 0
  for (const [f0, f1] of chunks) m = Math.max(m, first[f1]! - first[f0]!)
  return m
}

/** Bytes of staging a row needs at most (devices: permuted halves, ref, order, meta). */
export const STAGED_ROW_BYTES = 17

/**
 * The working arrays of a build, shared by the two files (the collector frees an ArrayBuffer when it
 * likes: a second set for devices.csv would sit beside the first's garbage in a reload's peak).
 */
export class BuildScratch {
  /** per fine bucket: its rows, then its first row (length FINE + 1) */
  readonly first = new Uint32Array(FINE + 1)
  /** per fine bucket: the next staged row of a pass */
  readonly fill = new Uint32Array(FINE)
  #staging = new ArrayBuffer(0)

  /** Staging for chunks of at most `rows` rows (one buffer, grown when a chunk needs more). */
  staging(rows: number): ArrayBuffer {
    // sized for the usual chunk at once: growing it later would leave the smaller one as garbage
    const want = STAGED_ROW_BYTES * (rows > CHUNK_ROWS / 2 ? Math.max(rows, CHUNK_ROWS + CHUNK_ROWS / 8) : rows)
    if (this.#staging.byteLength < want) this.#staging = new ArrayBuffer(want)
    return this.#staging
  }
}
