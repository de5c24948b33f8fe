// devices.csv (contract §5): `device_id,device_type,mpxn[,device_status[,mpxn_role]]`, one row per
// device and MPxN. device_id is an EUI-64 `00-12-34-56-78-AB-CD-EF` (any case); device_type one of
// the DUIS DeviceType values; device_status (optional) one of the DUIS DeviceStatus values (SR 8.2);
// mpxn_role (optional) `import` or `export`, empty or absent = import (SR 8.2 ImportMPxN /
// ExportMPAN); export only for a 13-digit MPAN.
// An MPxN without registration rows is kept in a small side table (MpxnFacts.known = false).
import { buildKeyTable, lookupBatch, type MpxnTable } from './mpxn-table.js'
import { readLines, fields, splitFields } from './csv-rows.js'
import { acceptHeader, columnCountProblem, fieldText, FileTally } from './file-tally.js'
import { eui, mpxnKeyCodes, parseEuiCodes } from './keys.js'
import { DEVICE_STATUSES, DEVICE_TYPES } from './registry-index.js'
import type { LoadProgress, LoadReport } from './report.js'
import { DeviceRows, MPXN_ROLE_EXPORT, MPXN_ROLE_IMPORT, ORPHAN_BIT } from './staging.js'

export const DEVICE_COLUMNS = ['device_id', 'device_type', 'mpxn', 'device_status', 'mpxn_role'] as const
const ROLE_CODES = new Map([['import', MPXN_ROLE_IMPORT], ['export', MPXN_ROLE_EXPORT]])
const MPAN_DIGITS = 13

function pack(a: Uint8Array, s: number, e: number): number {
  let v = 0
  for (let i = s; i < e; i++) v = v * 256 + (a[i]! >= 97 && a[i]! <= 122 ? a[i]! - 32 : a[i]!)
  return v
}
const TYPE_CODES = new Map(DEVICE_TYPES.map((t, i) => [pack(Buffer.from(t), 0, t.length), i + 1]))
const STATUS_CODES = new Map(DEVICE_STATUSES.map((t, i) => [t.toLowerCase(), i + 1]))

export async function readDevices(
  file: string,
  main: MpxnTable,
  report: LoadReport,
  onProgress?: (p: LoadProgress) => void,
): Promise<{ rows: DeviceRows; orphans: MpxnTable; tally: FileTally }> {
  const tally = new FileTally(file, report)
  const rows = new DeviceRows(1 << 16)
  let first = true

  const onLine = (buf: Buffer, s: number, e: number, line: number): void => {
    const n = splitFields(buf, s, e)
    if (n === 1 && fields[0] === fields[1]) return tally.skip(line)
    if (first) {
      first = false
      if (!parseEuiCodes(buf, fields[0]!, fields[1]!) && /^[a-z_ ]+$/i.test(buf.toString('latin1', fields[0]!, fields[1]!))) {
        return acceptHeader(buf, n, DEVICE_COLUMNS, 2, file, tally, line)
      }
    }
    if (n < 3 || n > 5) return tally.reject(line, columnCountProblem(n, DEVICE_COLUMNS, 3))
    if (!parseEuiCodes(buf, fields[0]!, fields[1]!) || fields[1]! - fields[0]! !== 23)
      return tally.reject(line, `device_id ${fieldText(buf, fields[0]!, fields[1]!)} is not an EUI-64 like 00-12-34-56-78-AB-CD-EF`)
    const type = fields[3]! - fields[2]! <= 6 ? TYPE_CODES.get(pack(buf, fields[2]!, fields[3]!)) : undefined
    if (type === undefined) return tally.reject(line, `device_type ${fieldText(buf, fields[2]!, fields[3]!)} is not one of ${DEVICE_TYPES.join(' ')}`)
    const key = mpxnKeyCodes(buf, fields[4]!, fields[5]!)
    if (key < 0) return tally.reject(line, `mpxn ${fieldText(buf, fields[4]!, fields[5]!)} is not 1–13 digits`)
    let status = 0
    if (n >= 4 && fields[7]! > fields[6]!) {
      status = STATUS_CODES.get(buf.toString('latin1', fields[6]!, fields[7]!).toLowerCase()) ?? -1
      if (status < 0) return tally.reject(line, `device_status ${fieldText(buf, fields[6]!, fields[7]!)} is not a DUIS DeviceStatus (${DEVICE_STATUSES.join(', ')})`)
    }
    let role = MPXN_ROLE_IMPORT
    if (n === 5 && fields[9]! > fields[8]!) {
      role = ROLE_CODES.get(buf.toString('latin1', fields[8]!, fields[9]!).toLowerCase()) ?? -1
      if (role < 0) return tally.reject(line, `mpxn_role ${fieldText(buf, fields[8]!, fields[9]!)} is not import or export`)
      if (role === MPXN_ROLE_EXPORT && fields[5]! - fields[4]! !== MPAN_DIGITS)
        return tally.reject(line, `mpxn_role export needs a 13-digit MPAN (mpxn ${fieldText(buf, fields[4]!, fields[5]!)})`)
    }
    tally.accept()
    if (role === MPXN_ROLE_EXPORT) report.exportMpanLinks++
    rows.push(eui.hi, eui.lo, key, type, status, role)
  }

  const { bytes } = await readLines(file, onLine, (_lines, b, total) =>
    onProgress?.({ file, rows: tally.rows, bytes: b, totalBytes: total }))
  tally.bytes = bytes
  const orphanOf = resolveRefs(rows, main, report)

  // Orphan MPxNs: provisional numbers (first-seen order) -> slots in their own key table.
  const { table: orphans, order } = buildKeyTable(Float64Array.from(orphanOf.keys()))
  if (orphanOf.size > 0) {
    const slotOf = new Uint32Array(order.length)
    for (let i = 0; i < order.length; i++) slotOf[order[i]!] = i
    for (let i = 0; i < rows.n; i++) {
      const r = rows.ref[i]!
      if (r & ORPHAN_BIT) rows.ref[i] = (ORPHAN_BIT | slotOf[r & 0x7fffffff]!) >>> 0
    }
  }
  return { rows, orphans, tally }
}

/**
 * MPxN key -> main-table slot for every staged row, in batches (mpxn-table.ts lookupBatch: the
 * random lookups overlap instead of stalling one by one; issue #5 measured 12.3 s of a 29.8 s load
 * in per-row lookups at 10M). Unregistered MPxNs get provisional orphan numbers, first-seen order.
 */
function resolveRefs(rows: DeviceRows, main: MpxnTable, report: LoadReport): Map<number, number> {
  const n = rows.n
  const ref = new Uint32Array(n)
  const slots = new Int32Array(n)
  lookupBatch(main, rows.mkey, 0, n, -1, slots)
  const orphanOf = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const s = slots[i]!
    if (s >= 0) {
      ref[i] = s
      continue
    }
    report.devicesWithUnregisteredMpxn++
    const key = rows.mkey[i]!
    let o = orphanOf.get(key)
    if (o === undefined) orphanOf.set(key, (o = orphanOf.size))
    ref[i] = (ORPHAN_BIT | o) >>> 0
  }
  rows.ref = ref
  rows.mkey = new Float64Array(0)
  return orphanOf
}
