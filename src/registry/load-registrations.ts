// registrations.csv (contract §5): `mpxn,supplier_mpid,effective_from[,effective_to]`.
// Row rules: MPxN 1–13 digits (DUIS ImportMPxN); MPID 4 alphanumerics; dates real calendar dates
// YYYY-MM-DD; effective_to (the last day supplied, inclusive, as in the industry's registration
// data) on or after effective_from. A failing check digit or an MPID no party holds is a counted
// warning; the row is kept. Stored ends are exclusive (effective_to + 1): staging.ts, mpxn-table.ts.
import { checkMpxnKey } from './check-digits.js'
import { OPEN_DAY, parseDayCodes } from './day.js'
import { readLines, fields, splitFields } from './csv-rows.js'
import { acceptHeader, columnCountProblem, fieldText, FileTally } from './file-tally.js'
import { mpxnKeyCodes } from './keys.js'
import type { MpidTable } from './mpid-table.js'
import type { LoadProgress, LoadReport } from './report.js'
import { RegistrationRows } from './staging.js'

export const REGISTRATION_COLUMNS = ['mpxn', 'supplier_mpid', 'effective_from', 'effective_to'] as const

export async function readRegistrations(
  file: string,
  mpids: MpidTable,
  report: LoadReport,
  onProgress?: (p: LoadProgress) => void,
): Promise<{ rows: RegistrationRows; tally: FileTally }> {
  const tally = new FileTally(file, report)
  const rows = new RegistrationRows(1 << 16)
  const unknown = new Set<number>()
  let first = true

  const onLine = (buf: Buffer, s: number, e: number, line: number): void => {
    const n = splitFields(buf, s, e)
    if (n === 1 && fields[0] === fields[1]) return tally.skip(line) // blank line
    if (first) {
      first = false
      const c = buf[fields[0]!]!
      if (!(c >= 48 && c <= 57)) {
        return acceptHeader(buf, n, REGISTRATION_COLUMNS, 1, file, tally, line)
      }
    }
    if (n < 3 || n > 4) return tally.reject(line, columnCountProblem(n, REGISTRATION_COLUMNS))
    const key = mpxnKeyCodes(buf, fields[0]!, fields[1]!)
    if (key < 0) return tally.reject(line, `mpxn ${fieldText(buf, fields[0]!, fields[1]!)} is not 1–13 digits`)
    const mpid = mpids.code(buf, fields[2]!, fields[3]!)
    if (mpid < 0) return tally.reject(line, `supplier_mpid ${fieldText(buf, fields[2]!, fields[3]!)} is not 4 letters or digits`)
    const from = parseDayCodes(buf, fields[4]!, fields[5]! - fields[4]!)
    if (from < 0) return tally.reject(line, `effective_from ${fieldText(buf, fields[4]!, fields[5]!)} is not a calendar date YYYY-MM-DD (1970–2149)`)
    let to = OPEN_DAY
    if (n === 4 && fields[7]! > fields[6]!) {
      const last = parseDayCodes(buf, fields[6]!, fields[7]! - fields[6]!)
      if (last < 0) return tally.reject(line, `effective_to ${fieldText(buf, fields[6]!, fields[7]!)} is not a calendar date YYYY-MM-DD (1970–2149)`)
      if (last < from) return tally.reject(line, `effective_to ${fieldText(buf, fields[6]!, fields[7]!)} is before effective_from`)
      to = last + 1 // inclusive last day -> exclusive end (MAX_DAY + 1 = OPEN_DAY: open, in 2149)
    }
    tally.accept()
    if (!checkMpxnKey(key)) report.checkDigitWarnings++
    if (!mpids.held(mpid)) {
      report.unknownMpidWarnings++
      if (unknown.size < 10 && !unknown.has(mpid)) {
        unknown.add(mpid)
        report.unknownMpids.push(mpids.names[mpid]!)
      }
    }
    rows.push(key, from, to, mpid)
  }

  const { bytes } = await readLines(file, onLine, (_lines, b, total) =>
    onProgress?.({ file, rows: tally.rows, bytes: b, totalBytes: total }))
  tally.bytes = bytes
  return { rows, tally }
}
