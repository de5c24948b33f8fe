// registrations.csv (README, "Configuration"): `mpxn,supplier_mpid,effective_from[,effective_to]` -> the
// packed MPxN table (packed-mpxn-table.ts), built straight into its final arrays (docs/registry.md,
// "Bounded peak"; fine-buckets.ts):
//   1. a validating pass (rejections reported with file:line) counts the rows per fine bucket of
//      the permuted MPxN key, the days spanned and the MPIDs: the table's field widths;
//   2. per chunk of fine buckets (about CHUNK_ROWS rows), a quiet pass stages that chunk's rows;
//      each fine bucket's rows are sorted by MPxN and start, resolved by the period rules
//      (period-rules.ts) and appended to the packed arrays in key order.
// Peak memory is the final table (allocated for one entry per row; the pages past the used part
// are never touched) plus one chunk's staging and the per-fine-bucket counts.
// Row rules: MPxN 1–13 digits (DUIS ImportMPxN); MPID 4 alphanumerics; dates real calendar dates
// YYYY-MM-DD; effective_to (the last day supplied, inclusive, as in the industry's registration
// data) on or after effective_from. A failing check digit or an MPID no party holds is a counted
// warning; the row is kept. Stored ends are exclusive (effective_to + 1): mpxn-table.ts, period-rules.ts.
import { checkMpxnKey } from './check-digits.js'
import { OPEN_DAY, parseDayCodes } from './day.js'
import { fields } from './csv-rows.js'
import { csvPass, locateRows, sameBytes, type CsvKind } from './csv-pass.js'
import { fieldText, FileTally } from './file-tally.js'
import { BuildScratch, chunksOf, countsToFirstRows, largestChunk } from './fine-buckets.js'
import { IssueSamples } from './issue-samples.js'
import { HALF, perm, permMpxn } from './key-permutation.js'
import { mpxnKeyCodes } from './keys.js'
import type { MpidTable } from './mpid-table.js'
import { keyOfPermuted, MpxnTableWriter, periodWidths, type PackedMpxnTable } from './packed-mpxn-table.js'
import { MAX_PERIODS, PERIOD_RULES, PeriodScratch } from './period-rules.js'
import type { LoadProgress, LoadReport } from './report.js'
import { RunningCrc } from './sources.js'

export const REGISTRATION_COLUMNS = ['mpxn', 'supplier_mpid', 'effective_from', 'effective_to'] as const

export const REGISTRATIONS: CsvKind = {
  columns: REGISTRATION_COLUMNS, optional: 1, minColumns: 3,
  isHeader: (buf) => {
    const c = buf[fields[0]!]!
    return !(c >= 48 && c <= 57)
  },
}

/** Values of the last row checkRegistration accepted (scratch). */
export const regRow = { key: 0, mpid: 0, from: 0, to: 0 }

/** Field checks of one registration row (fields split, 3–4 of them). */
export function registrationCheck(mpids: MpidTable): (buf: Buffer, n: number) => string | undefined {
  return (buf, n) => {
    const key = mpxnKeyCodes(buf, fields[0]!, fields[1]!)
    if (key < 0) return `mpxn ${fieldText(buf, fields[0]!, fields[1]!)} is not 1–13 digits`
    const mpid = mpids.code(buf, fields[2]!, fields[3]!)
    if (mpid < 0) return `supplier_mpid ${fieldText(buf, fields[2]!, fields[3]!)} is not 4 letters or digits`
    const from = parseDayCodes(buf, fields[4]!, fields[5]! - fields[4]!)
    if (from < 0) return `effective_from ${fieldText(buf, fields[4]!, fields[5]!)} is not a calendar date YYYY-MM-DD (1970–2149)`
    let to = OPEN_DAY
    if (n === 4 && fields[7]! > fields[6]!) {
      const last = parseDayCodes(buf, fields[6]!, fields[7]! - fields[6]!)
      if (last < 0) return `effective_to ${fieldText(buf, fields[6]!, fields[7]!)} is not a calendar date YYYY-MM-DD (1970–2149)`
      if (last < from) return `effective_to ${fieldText(buf, fields[6]!, fields[7]!)} is before effective_from`
      to = last + 1 // inclusive last day -> exclusive end (MAX_DAY + 1 = OPEN_DAY: open, in 2149)
    }
    regRow.key = key
    regRow.mpid = mpid
    regRow.from = from
    regRow.to = to
    return undefined
  }
}

/** a row outside the chunk a pass stages (never reported: the staging passes have no tally) */
const OTHER_CHUNK = 'outside this pass'

export async function buildRegistrations(
  file: string,
  mpids: MpidTable,
  report: LoadReport,
  maxRejectRatio: number,
  onProgress?: (p: LoadProgress) => void,
  crc?: RunningCrc,
  scratch = new BuildScratch(),
): Promise<{ table: PackedMpxnTable; merged: number; tally: FileTally }> {
  const check = registrationCheck(mpids)
  // 1. validate, count per fine bucket (the top 20 of the 22 bits of the permuted high half), days and MPIDs
  const { first, fill } = scratch
  first.fill(0)
  const tally = new FileTally(file, report)
  const unknown = new Set<number>()
  const readCrc = crc ?? new RunningCrc() // a fresh one: the CRC of this pass alone
  let rows = 0
  let minDay = OPEN_DAY
  let maxDay = -1
  await csvPass(file, REGISTRATIONS, check, () => {
    permMpxn(regRow.key)
    first[perm.a >>> 2]!++
    rows++
    if (regRow.from < minDay) minDay = regRow.from
    if (regRow.from > maxDay) maxDay = regRow.from
    if (regRow.to !== OPEN_DAY && regRow.to > maxDay) maxDay = regRow.to
    if (!checkMpxnKey(regRow.key)) report.checkDigitWarnings++
    if (!mpids.held(regRow.mpid)) {
      report.unknownMpidWarnings++
      if (unknown.size < 10 && !unknown.has(regRow.mpid)) {
        unknown.add(regRow.mpid)
        report.unknownMpids.push(mpids.names[regRow.mpid]!)
      }
    }
  }, { tally, ...(onProgress && { onProgress }), crc: readCrc })
  tally.finish(maxRejectRatio)
  countsToFirstRows(first)
  const out = new MpxnTableWriter(rows, rows, periodWidths(minDay, maxDay, mpids.names.length))

  // 2. per chunk of fine buckets: stage its rows (permuted key, from, to, MPID), resolve, append
  const chunks = chunksOf(first)
  const most = largestChunk(first, chunks)
  const staging = scratch.staging(most)
  const stKey = new Float64Array(staging, 0, most)
  const stPer = new Uint16Array(staging, 8 * most, 3 * most)
  const resolved = new Uint16Array(3 * (MAX_PERIODS + 1))
  const issues = new IssueSamples(report)
  const sc = new PeriodScratch((permuted, occ, otherOcc, kind) => {
    if (kind === 'overlap') report.endOverlaps++
    issues.add(keyOfPermuted(permuted), occ, otherOcc, PERIOD_RULES[kind])
  })
  let pass = 0
  for (const [f0, f1] of chunks) {
    pass++
    const base = first[f0]!
    fill.set(first.subarray(f0, f1), f0)
    let permuted = 0
    let fb = 0
    const passCrc = new RunningCrc()
    await csvPass(file, REGISTRATIONS, (buf, n) => {
      const k = mpxnKeyCodes(buf, fields[0]!, fields[1]!)
      if (k >= 0) {
        permMpxn(k)
        fb = perm.a >>> 2
        if (fb < f0 || fb >= f1) return OTHER_CHUNK
        permuted = perm.a * HALF + perm.b
      }
      return check(buf, n)
    }, () => {
      const at = fill[fb]!++ - base
      stKey[at] = permuted
      stPer[at * 3] = regRow.from
      stPer[at * 3 + 1] = regRow.to
      stPer[at * 3 + 2] = regRow.mpid
    }, { crc: passCrc, label: `${file} (pass ${pass + 1} of ${chunks.length + 1})`, ...(onProgress && { onProgress }) })
    sameBytes(file, readCrc.value, passCrc.value)
    for (let f = f0; f < f1; f++) {
      const rs = first[f]! - base
      const re = first[f + 1]! - base
      if (re === rs) continue
      sc.load(stKey, stPer, rs, re)
      for (let g = 0; g < sc.n; ) {
        const k = sc.key[sc.order[g]!]!
        let ge = g + 1
        while (ge < sc.n && sc.key[sc.order[ge]!] === k) ge++
        const n = sc.resolveGroup(g, ge, resolved, 0) // at most MAX_PERIODS
        out.add(k, resolved, 0, n)
        g = ge
      }
    }
  }
  if (issues.samples.length > 0) issues.finish(file, await locateRows(file, REGISTRATIONS, check, () => regRow.key, issues.wanted()))
  return { table: out.finish(), merged: sc.merged, tally }
}
