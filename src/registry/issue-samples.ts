// Conflicts the build resolves by rule (duplicate, same-start and overlapping periods; duplicate
// and conflicting device rows) are counted, and the first MAX_REASONS are reported with file:line.
// The bounded build does not keep each row's line number (4 bytes a row): a sample names its row
// by identity and occurrence, and csv-pass.ts locateRows finds the lines in one quiet pass.
import { MAX_REASONS, type LoadReport } from './report.js'

interface Sample {
  id: number | string
  occ: number
  otherOcc: number
  reason: string
}

export class IssueSamples {
  readonly samples: Sample[] = []
  constructor(readonly report: LoadReport) {}

  /** One resolved conflict: row `occ` of identity `id`, because of row `otherOcc` of it. */
  add(id: number | string, occ: number, otherOcc: number, reason: string): void {
    this.report.overlaps++
    if (this.report.overlapSamples.length + this.samples.length < MAX_REASONS) this.samples.push({ id, occ, otherOcc, reason })
  }
  /** The rows whose lines are wanted. */
  wanted(): { id: number | string; occ: number }[] {
    return this.samples.flatMap((s) => [{ id: s.id, occ: s.occ }, { id: s.id, occ: s.otherOcc }])
  }
  /** Into the report, with the lines found (locateRows). */
  finish(file: string, lines: Map<string, number>): void {
    const line = (id: number | string, occ: number) => lines.get(`${id}#${occ}`) ?? 0
    for (const s of this.samples)
      this.report.overlapSamples.push({ file, line: line(s.id, s.occ), reason: `${s.reason} (see line ${line(s.id, s.otherOcc)})` })
    this.samples.length = 0
  }
}
