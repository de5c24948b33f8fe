// Per-file bookkeeping while rows stream in: counts, the first reasons, and the lines that did
// not become staged rows (so a staged row's line number can be recovered without storing it).
import { fields } from './csv-rows.js'
import { RegistryLoadError, type RowProblem } from './errors.js'
import { MAX_REASONS, type FileReport, type LoadReport } from './report.js'

export class FileTally {
  rows = 0
  rejected = 0
  header = false
  /** 1-based lines that are not staged rows (header, blank, rejected), ascending */
  readonly skipped: number[] = []
  readonly t0 = performance.now()
  bytes = 0

  constructor(readonly file: string, readonly report: LoadReport) {}

  skip(line: number): void {
    this.skipped.push(line)
  }
  reject(line: number, reason: string): void {
    this.rows++
    this.rejected++
    this.skipped.push(line)
    if (this.report.reasons.length < MAX_REASONS) this.report.reasons.push({ file: this.file, line, reason })
  }
  accept(): void {
    this.rows++
  }

  /** Line of the staged row number `idx` (0-based, in file order). */
  lineOf(idx: number): number {
    let line = idx + 1
    for (const s of this.skipped) {
      if (s <= line) line++
      else break
    }
    return line
  }

  /** No valid rows, or more than maxRejectRatio rejected, is fatal. */
  finish(maxRejectRatio: number): FileReport {
    const loaded = this.rows - this.rejected
    const mine = this.report.reasons.filter((r) => r.file === this.file)
    if (loaded === 0)
      throw new RegistryLoadError('DCCGW_ERR_REGISTRY_EMPTY', this.file, `no valid rows (${this.rejected} rejected)`, mine)
    if (this.rejected / this.rows > maxRejectRatio)
      throw new RegistryLoadError('DCCGW_ERR_REGISTRY_REJECT_RATIO', this.file,
        `${this.rejected} of ${this.rows} rows rejected (${((100 * this.rejected) / this.rows).toFixed(2)}%), above registry.maxRejectRatio ${maxRejectRatio}`, mine)
    const f: FileReport = { file: this.file, rows: this.rows, loaded, rejected: this.rejected, bytes: this.bytes, ms: performance.now() - this.t0 }
    this.report.files.push(f)
    return f
  }
}

/** Text of a field for a reason message, shortened. */
export function fieldText(buf: Buffer, a: number, b: number): string {
  const s = buf.toString('latin1', a, Math.min(b, a + 40))
  return JSON.stringify(b - a > 40 ? s + '…' : s)
}

/**
 * A first line is a header when its first field does not look like data (a header row is
 * optional); its columns must then be the documented ones (README, "Configuration"), in order, or
 * the file is fatal.
 */
/**
 * The header row just split into `fields` (csv-rows.ts): its names must be `expected` (the last
 * `optional` columns may be missing), else the file is fatal. Marks the tally and skips the line.
 */
export function acceptHeader(buf: Buffer, n: number, expected: readonly string[], optional: number, file: string, tally: FileTally, line: number): void {
  const names: string[] = []
  for (let i = 0; i < Math.min(n, 6); i++) names.push(buf.toString('latin1', fields[i * 2]!, fields[i * 2 + 1]!))
  const want = expected.slice(0, expected.length - optional)
  const ok = names.length >= want.length && names.length <= expected.length &&
    names.every((name, i) => name.toLowerCase() === expected[i])
  if (!ok) throw new RegistryLoadError('DCCGW_ERR_REGISTRY_HEADER', file,
    `header "${names.join(',')}" is not "${expected.join(',')}"${optional ? ' (last column optional)' : ''}`)
  tally.header = true
  tally.skip(line)
}

/** The reason for a row with the wrong number of columns. */
export function columnCountProblem(n: number, expected: readonly string[], min = expected.length - 1): string {
  const counts = min === expected.length - 1 ? `${min} or ${expected.length}` : `${min} to ${expected.length}`
  return `expected ${counts} columns (${expected.join(',')}), got ${n > 6 ? 'more than 6' : n}`
}

export type { RowProblem }
