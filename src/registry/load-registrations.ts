// registrations.csv (README, "Configuration"): `mpxn,supplier_mpid,effective_from[,effective_to]` -> the MPxN
// table (mpxn-table.ts), built straight into its final arrays (docs/registry.md, "Bounded peak"):
//   1. count the lines (sizes the hash buckets), then the rows per bucket, reading only the MPxN of
//      each line (csv-pass.ts countPass), straight into the table's bucket array;
//   2. read again, validating each row (rejections reported with file:line), and write it at its
//      bucket's next free place in the final arrays (a rows-sized `slots` and `periods`), file
//      order kept inside a bucket;
//   3. per bucket, in place: sort its rows by MPxN and start, apply the period rules
//      (period-rules.ts) and compact them to the front (slots and periods only ever move left).
// Peak memory is the final table plus the slack of rows that become no period (duplicates, merges)
// and a few per-bucket scratch arrays; nothing is proportional to the file beyond the table itself.
// Row rules: MPxN 1–13 digits (DUIS ImportMPxN); MPID 4 alphanumerics; dates real calendar dates
// YYYY-MM-DD; effective_to (the last day supplied, inclusive, as in the industry's registration
// data) on or after effective_from. A failing check digit or an MPID no party holds is a counted
// warning; the row is kept. Stored ends are exclusive (effective_to + 1): mpxn-table.ts, period-rules.ts.
import { checkMpxnKey } from './check-digits.js'
import { OPEN_DAY, parseDayCodes } from './day.js'
import { fields } from './csv-rows.js'
import { bucketBitsOf, countPass, csvPass, locateRows, ROW_BATCH, sameBytes, type CsvKind } from './csv-pass.js'
import { fieldText, FileTally } from './file-tally.js'
import { IssueSamples } from './issue-samples.js'
import { sharedF64, sharedU16, sharedU32 } from './key-table.js'
import { hashMpxnKey, mpxnKeyCodes } from './keys.js'
import type { MpidTable } from './mpid-table.js'
import { COUNT_UNIT, SLOTS_PER_BUCKET, type MpxnTable } from './mpxn-table.js'
import { PERIOD_RULES, PeriodScratch } from './period-rules.js'
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

export async function buildRegistrations(
  file: string,
  mpids: MpidTable,
  report: LoadReport,
  maxRejectRatio: number,
  onProgress?: (p: LoadProgress) => void,
  crc?: RunningCrc,
): Promise<{ table: MpxnTable; merged: number; tally: FileTally }> {
  const check = registrationCheck(mpids)
  const bits = await bucketBitsOf(file, SLOTS_PER_BUCKET)
  const shift = 32 - bits
  const nb = 2 ** bits
  // [2b] counts bucket b's rows, then (prefix sums) is its next free row while [2b+1] is its first
  const starts = sharedU32(2 * nb + 2)
  const countCrc = await countPass(file, bits, (buf) => {
    const k = mpxnKeyCodes(buf, fields[0]!, fields[1]!)
    return k < 0 ? -1 : hashMpxnKey(k)
  }, starts, 2)
  let at = 0
  for (let b = 0; b < nb; b++) {
    const c = starts[2 * b]!
    starts[2 * b] = starts[2 * b + 1] = at
    at += c
  }
  starts[2 * nb] = starts[2 * nb + 1] = at
  const slots = sharedF64(at) // MPxN key per row now; one slot per MPxN after the compaction
  const periods = sharedU16(3 * at)

  const tally = new FileTally(file, report)
  const unknown = new Set<number>()
  const fillCrc = crc ?? new RunningCrc() // a fresh one: the CRC of this pass alone
  // rows are parsed into a batch, then written to their buckets' places by tight loops (csv-pass.ts ROW_BATCH)
  const bKey = new Float64Array(ROW_BATCH)
  const bAt = new Uint32Array(ROW_BATCH) // 2 * bucket, then the row's place
  const bPer = new Uint16Array(3 * ROW_BATCH)
  let inBatch = 0
  const flush = () => {
    for (let j = 0; j < inBatch; j++) bAt[j] = starts[bAt[j]!]!++
    for (let j = 0; j < inBatch; j++) slots[bAt[j]!] = bKey[j]!
    for (let j = 0; j < inBatch; j++) {
      const q = bAt[j]! * 3
      periods[q] = bPer[3 * j]!
      periods[q + 1] = bPer[3 * j + 1]!
      periods[q + 2] = bPer[3 * j + 2]!
    }
    inBatch = 0
  }
  await csvPass(file, REGISTRATIONS, check, () => {
    const j = inBatch++
    bKey[j] = regRow.key
    bAt[j] = 2 * (hashMpxnKey(regRow.key) >>> shift)
    bPer[3 * j] = regRow.from
    bPer[3 * j + 1] = regRow.to
    bPer[3 * j + 2] = regRow.mpid
    if (inBatch === ROW_BATCH) flush()
    if (!checkMpxnKey(regRow.key)) report.checkDigitWarnings++
    if (!mpids.held(regRow.mpid)) {
      report.unknownMpidWarnings++
      if (unknown.size < 10 && !unknown.has(regRow.mpid)) {
        unknown.add(regRow.mpid)
        report.unknownMpids.push(mpids.names[regRow.mpid]!)
      }
    }
  }, { tally, ...(onProgress && { onProgress }), crc: fillCrc })
  flush()
  sameBytes(file, countCrc, fillCrc.value)
  tally.finish(maxRejectRatio)

  // per bucket: rows [starts[2b+1], starts[2b]) -> slots and periods written from the front
  const issues = new IssueSamples(report)
  const sc = new PeriodScratch((key, occ, otherOcc, kind) => {
    if (kind === 'overlap') report.endOverlaps++
    issues.add(key, occ, otherOcc, PERIOD_RULES[kind])
  })
  let slot = 0
  let p = 0
  for (let b = 0; b < nb; b++) {
    const rs = starts[2 * b + 1]!
    const re = starts[2 * b]!
    starts[2 * b] = slot
    starts[2 * b + 1] = p
    if (re === rs) continue
    sc.load(slots, periods, rs, re)
    for (let g = 0; g < sc.n; ) {
      const k = sc.key[sc.order[g]!]!
      let ge = g + 1
      while (ge < sc.n && sc.key[sc.order[ge]!] === k) ge++
      const first = p
      p = sc.resolveGroup(g, ge, periods, p)
      slots[slot++] = k * COUNT_UNIT + (p - first)
      g = ge
    }
  }
  starts[2 * nb] = slot
  starts[2 * nb + 1] = p
  if (issues.samples.length > 0) issues.finish(file, await locateRows(file, REGISTRATIONS, check, () => regRow.key, issues.wanted()))
  const table: MpxnTable = {
    bits, starts,
    slots: new Float64Array(slots.buffer, 0, slot),
    periods: new Uint16Array(periods.buffer, 0, 3 * p),
  }
  return { table, merged: sc.merged, tally }
}
