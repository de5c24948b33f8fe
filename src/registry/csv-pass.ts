// Passes over a registry CSV (docs/registry.md, "Bounded peak"): the index is built straight into its final
// arrays by reading each file twice (count rows per bucket, then validate and fill), instead of
// staging every row in memory. The pass that validates reports with file:line (a FileTally); a
// later pass (locateRows) sees the same rows and skips the same ones quietly.
import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'
import { fields, scanRows } from './csv-rows.js'
import { acceptHeader, columnCountProblem, type FileTally } from './file-tally.js'
import { bucketBitsFor } from './key-table.js'
import type { LoadProgress } from './report.js'
import { RunningCrc } from './sources.js'
import { RegistryLoadError } from './errors.js'

/** Rows parsed before their random writes into the final arrays are done together (the fill passes batch too). */
export const ROW_BATCH = 4096

export interface CsvKind {
  columns: readonly string[]
  /** trailing columns that may be missing */
  optional: number
  /** the fewest columns a data row has */
  minColumns: number
  /** the first line is a header (its first field does not look like data) */
  isHeader(buf: Buffer, n: number): boolean
}

/**
 * A row's fields are split into `fields` (csv-rows.ts): returns undefined when the row is valid
 * (its values left in the kind's scratch), else the reason.
 */
export type RowCheck = (buf: Buffer, n: number) => string | undefined

export interface PassOptions {
  /** validate and report: rejected rows, header errors (a pass without one skips them quietly) */
  tally?: FileTally
  onProgress?: (p: LoadProgress) => void
  /** progress label: the file name plus which pass */
  label?: string
  crc?: RunningCrc
}

/** Calls `onRow(line)` for each valid data row of `file`, in file order. */
export async function csvPass(file: string, kind: CsvKind, check: RowCheck, onRow: (line: number) => void, o: PassOptions = {}): Promise<number> {
  const tally = o.tally
  let first = true
  let valid = 0
  const label = o.label ?? file
  const { bytes } = await scanRows(file, (buf, n, line) => {
    if (n === 1 && fields[0] === fields[1]) return tally?.skip(line) // blank line
    if (first) {
      first = false
      if (kind.isHeader(buf, n)) {
        if (tally) acceptHeader(buf, n, kind.columns, kind.optional, file, tally, line)
        return
      }
    }
    if (n < kind.minColumns || n > kind.columns.length) return tally?.reject(line, columnCountProblem(n, kind.columns, kind.minColumns))
    const why = check(buf, n)
    if (why !== undefined) return tally?.reject(line, why)
    tally?.accept()
    valid++
    onRow(line)
  }, o.onProgress && ((_l, b, total) => o.onProgress!({ file: label, rows: valid, bytes: b, totalBytes: total })), o.crc)
  if (tally) tally.bytes = bytes
  return valid
}

/** Hash-bucket bits for a file: `perBucket` rows per bucket over its lines (a raw newline count). */
export async function bucketBitsOf(file: string, perBucket: number): Promise<number> {
  return bucketBitsFor(await countLines(file), perBucket)
}

/**
 * Rows per hash bucket, counted cheaply (docs/registry.md) straight into the final table's bucket array
 * (`counts[bucket * stride]`, no other allocation): the identity field only, no validation (the fill
 * pass validates). Rows it counts that the fill pass rejects leave a gap at the end of their
 * bucket's range, which the compaction skips. `hashOf` returns the row's 32-bit hash, or -1 when its
 * first field is not an identity (a header, a malformed row). Returns the CRC-32 of the bytes read.
 */
export async function countPass(
  file: string,
  bits: number,
  hashOf: (buf: Buffer, n: number) => number,
  counts: Uint32Array,
  stride: number,
): Promise<number> {
  const shift = 32 - bits
  const crc = new RunningCrc()
  // the increments land all over the bucket array (a cache and TLB miss each): done in batches
  // by a tight loop whose misses overlap, not one per row between the parsing (2.4 vs 1.2 s for
  // the 10M world's registrations.csv)
  const at = new Uint32Array(ROW_BATCH)
  let n = 0
  const flush = () => {
    for (let j = 0; j < n; j++) counts[at[j]!]!++
    n = 0
  }
  try {
    await scanRows(file, (buf, nf) => {
      const h = hashOf(buf, nf)
      if (h < 0) return
      at[n++] = (h >>> shift) * stride
      if (n === ROW_BATCH) flush()
    }, undefined, crc)
    flush()
  } catch {
    // unreadable: the fill pass reports it with the file name
  }
  return crc.value
}

/** The fill pass must read the bytes the count pass read: else its rows overflow their buckets. */
export function sameBytes(file: string, countCrc: number, fillCrc: number): void {
  if (countCrc !== fillCrc) throw new RegistryLoadError('DCCGW_ERR_REGISTRY_READ', file, 'the file changed while it was being read (replace registry files by renaming a complete file into place); the previous index is kept')
}

/** Lines in a file, without parsing (sizes the hash buckets). */
async function countLines(file: string): Promise<number> {
  let n = 0
  let last = 10
  await readLinesRaw(file, (chunk) => {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++
    if (chunk.length > 0) last = chunk[chunk.length - 1]!
  })
  return last === 10 ? n : n + 1
}

async function readLinesRaw(file: string, onChunk: (b: Buffer) => void): Promise<void> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 })
  const src = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw
  if (src !== raw) raw.on('error', (e) => src.destroy(e))
  try {
    for await (const chunk of src as AsyncIterable<Buffer>) onChunk(chunk)
  } catch {
    // unreadable or bad gzip: the validating pass reports it with the file name
  }
}

/**
 * Where the samples of resolved conflicts are in the file: a sample names a row by its identity
 * (MPxN key, device EUI-64) and its occurrence among that identity's valid rows in file order.
 * One more quiet pass, only when there are samples (at most MAX_REASONS).
 */
export async function locateRows(
  file: string,
  kind: CsvKind,
  check: RowCheck,
  identity: () => number | string,
  wanted: { id: number | string; occ: number }[],
): Promise<Map<string, number>> {
  const lines = new Map<string, number>()
  if (wanted.length === 0) return lines
  const want = new Map<number | string, Set<number>>()
  for (const w of wanted) (want.get(w.id) ?? want.set(w.id, new Set()).get(w.id)!).add(w.occ)
  const seen = new Map<number | string, number>()
  await csvPass(file, kind, check, (line) => {
    const id = identity()
    const occs = want.get(id)
    if (!occs) return
    const k = seen.get(id) ?? 0
    seen.set(id, k + 1)
    if (occs.has(k)) lines.set(`${id}#${k}`, line)
  })
  return lines
}
