// Passes over a registry CSV (docs/registry.md, "Build from the files"): the build reads each file
// once, validating and reporting with file:line (a FileTally); when conflicts were sampled, one
// more quiet pass (locateRows) sees the same rows, skips the same ones and finds the samples' lines.
import { fields, scanRows } from './csv-rows.js'
import { acceptHeader, columnCountProblem, type FileTally } from './file-tally.js'
import type { LoadProgress } from './report.js'
import type { RunningCrc } from './sources.js'

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
