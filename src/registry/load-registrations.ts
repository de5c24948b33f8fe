// registrations.csv (README, "Configuration"): `mpxn,supplier_mpid,effective_from[,effective_to]` -> the
// packed MPxN table (packed-mpxn-table.ts), built straight into its final arrays (docs/registry.md,
// "Build from the files"), reading the file ONCE:
//   1. the one pass validates each row (rejections reported with file:line), counts the warnings,
//      the days spanned and the MPIDs (the table's field widths), and appends the row as a 16-byte
//      record to a partition by the top bits of its permuted MPxN key (partition-files.ts):
//      a (22 bits), b (22 bits), from | to << 16, MPID code;
//   2. partition by partition in key order, the records are read back (file order), counting-sorted
//      into sub-buckets of the next key bits, each sub-bucket sorted by MPxN and start, resolved by
//      the period rules (period-rules.ts) and appended to the packed arrays in key order.
// Peak memory is the final table (allocated for one entry per row; the pages past the used part
// are never touched) plus the write blocks and one partition's records and staging (a few MB).
// Row rules: MPxN 1–13 digits (DUIS ImportMPxN); MPID 4 alphanumerics; dates real calendar dates
// YYYY-MM-DD; effective_to (the last day supplied, inclusive, as in the industry's registration
// data) on or after effective_from. A failing check digit or an MPID no party holds is a counted
// warning; the row is kept. Stored ends are exclusive (effective_to + 1): packed-mpxn-table.ts, period-rules.ts.
import { checkMpxnKey } from './check-digits.js'
import { OPEN_DAY, parseDayCodes } from './day.js'
import { fields } from './csv-rows.js'
import { csvPass, locateRows, type CsvKind } from './csv-pass.js'
import { fieldText, FileTally } from './file-tally.js'
import { IssueSamples } from './issue-samples.js'
import { HALF, perm, permMpxn } from './key-permutation.js'
import { mpxnKeyCodes } from './keys.js'
import type { MpidTable } from './mpid-table.js'
import { keyOfPermuted, MpxnTableWriter, periodWidths, type PackedMpxnTable } from './packed-mpxn-table.js'
import { MAX_PERIODS, PERIOD_RULES, PeriodScratch } from './period-rules.js'
import type { LoadProgress, LoadReport } from './report.js'
import type { RunningCrc } from './sources.js'
import { PartitionReader, PartitionWriter, RECORD_WORDS, subBits, type PartitionLayout, type TempFiles } from './partition-files.js'

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

export async function buildRegistrations(
  file: string,
  mpids: MpidTable,
  report: LoadReport,
  maxRejectRatio: number,
  temp: TempFiles,
  onProgress?: (p: LoadProgress) => void,
  crc?: RunningCrc,
): Promise<{ table: PackedMpxnTable; merged: number; tally: FileTally }> {
  const check = registrationCheck(mpids)
  // 1. the one pass: validate, warn, and append each valid row's record to its partition
  const tally = new FileTally(file, report)
  const unknown = new Set<number>()
  const bits = temp.bitsFor(file)
  const rsh = 22 - bits
  const w = new PartitionWriter(temp.name('registrations'), bits)
  const wb = w.buf
  let minDay = OPEN_DAY
  let maxDay = -1
  let layout: PartitionLayout
  let rows: number
  try {
    rows = await csvPass(file, REGISTRATIONS, check, () => {
      permMpxn(regRow.key)
      const at = w.slot(perm.a >>> rsh)
      wb[at] = perm.a
      wb[at + 1] = perm.b
      wb[at + 2] = (regRow.from | (regRow.to << 16)) >>> 0
      wb[at + 3] = regRow.mpid
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
    }, { tally, ...(onProgress && { onProgress }), ...(crc && { crc }) })
    layout = w.finish()
  } finally {
    w.close()
  }
  tally.finish(maxRejectRatio)
  const out = new MpxnTableWriter(rows, rows, periodWidths(minDay, maxDay, mpids.names.length))

  // 2. partitions in key order: read back (file order), counting-sorted by the key bits below the
  // partition's (stable), each sub-bucket sorted and resolved by the period rules, appended
  const rd = new PartitionReader(layout)
  const maxP = Math.max(1, ...layout.records)
  const subMax = 44 - bits
  const cnt = new Uint32Array(2 ** subBits(maxP, subMax) + 1)
  const stKey = new Float64Array(maxP)
  const stPer = new Uint16Array(3 * maxP)
  const resolved = new Uint16Array(3 * (MAX_PERIODS + 1))
  const issues = new IssueSamples(report)
  const sc = new PeriodScratch((permuted, occ, otherOcc, kind) => {
    if (kind === 'overlap') report.endOverlaps++
    issues.add(keyOfPermuted(permuted), occ, otherOcc, PERIOD_RULES[kind])
  })
  const M = RECORD_WORDS
  try {
    for (let part = 0; part < 2 ** bits; part++) {
      const n = rd.read(part)
      if (n === 0) continue
      const b = rd.buf
      const s = subBits(n, subMax)
      const ns = 2 ** s
      const div = 2 ** (subMax - s)
      cnt.fill(0, 0, ns)
      for (let r = 0; r < n; r++) cnt[Math.floor((b[r * M]! * HALF + b[r * M + 1]!) / div) & (ns - 1)]!++
      for (let k = 0, at = 0; k < ns; k++) {
        const c = cnt[k]!
        cnt[k] = at
        at += c
      }
      for (let r = 0; r < n; r++) {
        const x = r * M
        const key = b[x]! * HALF + b[x + 1]!
        const at = cnt[Math.floor(key / div) & (ns - 1)]!++
        stKey[at] = key
        stPer[at * 3] = b[x + 2]! & 0xffff
        stPer[at * 3 + 1] = b[x + 2]! >>> 16
        stPer[at * 3 + 2] = b[x + 3]!
      }
      // cnt[k] is now the end of sub-bucket k
      for (let k = 0, rs = 0; k < ns; rs = cnt[k++]!) {
        const re = cnt[k]!
        if (re === rs) continue
        sc.load(stKey, stPer, rs, re)
        for (let g = 0; g < sc.n; ) {
          const key = sc.key[sc.order[g]!]!
          let ge = g + 1
          while (ge < sc.n && sc.key[sc.order[ge]!] === key) ge++
          const np = sc.resolveGroup(g, ge, resolved, 0) // at most MAX_PERIODS
          out.add(key, resolved, 0, np)
          g = ge
        }
      }
    }
  } finally {
    rd.close()
  }
  temp.drop(layout.file)
  if (issues.samples.length > 0) issues.finish(file, await locateRows(file, REGISTRATIONS, check, () => regRow.key, issues.wanted()))
  return { table: out.finish(), merged: sc.merged, tally }
}
