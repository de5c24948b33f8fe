// devices.csv (README, "Configuration"): `device_id,device_type,mpxn[,device_status[,mpxn_role]]`, one row per
// device and MPxN. device_id is an EUI-64 `00-12-34-56-78-AB-CD-EF` (any case); device_type one of
// the DUIS DeviceType values; device_status (optional) one of the DUIS DeviceStatus values (SR 8.2);
// mpxn_role (optional) `import` or `export`, empty or absent = import (SR 8.2 ImportMPxN /
// ExportMPAN); export only for a 13-digit MPAN.
// An MPxN without registration rows is kept in a small side table (MpxnFacts.known = false).
//
// Built straight into the final packed device table like the MPxN table (load-registrations.ts:
// a validating pass counts per fine bucket of the permuted EUI-64, then chunk by chunk the rows are
// staged, sorted by device and appended in key order). A device's links keep the order of its
// rows in the file (docs/registry.md, "Link order"). Exact duplicate rows (same device, same MPxN)
// collapse into the first one's place, keeping the last row's mpxn_role when they differ in it; a
// device listed with different types or statuses keeps the last row's values on all its rows
// ('type-conflict').
import { csvPass, locateRows, sameBytes, type CsvKind } from './csv-pass.js'
import { fields } from './csv-rows.js'
import { bitsFor } from './bit-fields.js'
import { DEVICE_BITS, DeviceTableWriter, metaOf, MPXN_ROLE_EXPORT, MPXN_ROLE_IMPORT, ROLE_BIT, type PackedDeviceTable } from './packed-device-table.js'
import { fieldText, FileTally } from './file-tally.js'
import { BuildScratch, chunksOf, countsToFirstRows, FINE_BITS, largestChunk } from './fine-buckets.js'
import { IssueSamples } from './issue-samples.js'
import { perm, permEui, permMpxn, unpermEui } from './key-permutation.js'
import { eui, parseEuiCodes, mpxnKeyCodes } from './keys.js'
import { entryOfKey, findEntry, keyTableOf, type KeyTable, type PackedMpxnTable } from './packed-mpxn-table.js'
import { DEVICE_STATUSES, DEVICE_TYPES } from './registry-index.js'
import type { LoadProgress, LoadReport } from './report.js'
import { RunningCrc } from './sources.js'

export const DEVICE_COLUMNS = ['device_id', 'device_type', 'mpxn', 'device_status', 'mpxn_role'] as const
const ROLE_CODES = new Map([['import', MPXN_ROLE_IMPORT], ['export', MPXN_ROLE_EXPORT]])
const MPAN_DIGITS = 13

export const DEVICES: CsvKind = {
  columns: DEVICE_COLUMNS, optional: 2, minColumns: 3,
  isHeader: (buf) => !parseEuiCodes(buf, fields[0]!, fields[1]!) && /^[a-z_ ]+$/i.test(buf.toString('latin1', fields[0]!, fields[1]!)),
}

function pack(a: Uint8Array, s: number, e: number): number {
  let v = 0
  for (let i = s; i < e; i++) v = v * 256 + (a[i]! >= 97 && a[i]! <= 122 ? a[i]! - 32 : a[i]!)
  return v
}
const TYPE_CODES = new Map(DEVICE_TYPES.map((t, i) => [pack(Buffer.from(t), 0, t.length), i + 1]))
const STATUS_CODES = new Map(DEVICE_STATUSES.map((t, i) => [t.toLowerCase(), i + 1]))

/** Values of the last row checkDevice accepted (scratch); the EUI-64 is in keys.ts `eui`. */
export const devRow = { hi: 0, lo: 0, key: 0, type: 0, status: 0, role: MPXN_ROLE_IMPORT }

/** Field checks of the 3–5 columns of a device row (fields split). */
export function checkDevice(buf: Buffer, n: number): string | undefined {
  if (!parseEuiCodes(buf, fields[0]!, fields[1]!) || fields[1]! - fields[0]! !== 23)
    return `device_id ${fieldText(buf, fields[0]!, fields[1]!)} is not an EUI-64 like 00-12-34-56-78-AB-CD-EF`
  const type = fields[3]! - fields[2]! <= 6 ? TYPE_CODES.get(pack(buf, fields[2]!, fields[3]!)) : undefined
  if (type === undefined) return `device_type ${fieldText(buf, fields[2]!, fields[3]!)} is not one of ${DEVICE_TYPES.join(' ')}`
  const key = mpxnKeyCodes(buf, fields[4]!, fields[5]!)
  if (key < 0) return `mpxn ${fieldText(buf, fields[4]!, fields[5]!)} is not 1–13 digits`
  let status = 0
  if (n >= 4 && fields[7]! > fields[6]!) {
    status = STATUS_CODES.get(buf.toString('latin1', fields[6]!, fields[7]!).toLowerCase()) ?? -1
    if (status < 0) return `device_status ${fieldText(buf, fields[6]!, fields[7]!)} is not a DUIS DeviceStatus (${DEVICE_STATUSES.join(', ')})`
  }
  let role = MPXN_ROLE_IMPORT
  if (n >= 5 && fields[9]! > fields[8]!) {
    role = ROLE_CODES.get(buf.toString('latin1', fields[8]!, fields[9]!).toLowerCase()) ?? -1
    if (role < 0) return `mpxn_role ${fieldText(buf, fields[8]!, fields[9]!)} is not import or export`
    if (role === MPXN_ROLE_EXPORT && fields[5]! - fields[4]! !== MPAN_DIGITS)
      return `mpxn_role export needs a 13-digit MPAN (mpxn ${fieldText(buf, fields[4]!, fields[5]!)})`
  }
  devRow.hi = eui.hi
  devRow.lo = eui.lo
  devRow.key = key
  devRow.type = type
  devRow.status = status
  devRow.role = role
  return undefined
}

/** a row outside the chunk a pass stages (never reported: the staging passes have no tally) */
const OTHER_CHUNK = 'outside this pass'
const FINE_SHIFT = 32 - FINE_BITS

/**
 * devices.csv -> the packed device table and the orphan table (MPxNs the rows name that `main`
 * does not hold), once `main` is built. Rejections, duplicates and conflicts go to `report`
 * (conflicts sampled with file:line).
 */
export async function buildDevices(
  file: string,
  main: PackedMpxnTable,
  report: LoadReport,
  maxRejectRatio: number,
  onProgress?: (p: LoadProgress) => void,
  crc?: RunningCrc,
  scratch = new BuildScratch(),
): Promise<{ table: PackedDeviceTable; orphans: KeyTable }> {
  // 1. validate, count per fine bucket of the permuted EUI-64, collect the MPxNs without registration rows
  const { first, fill } = scratch
  first.fill(0)
  const tally = new FileTally(file, report)
  const readCrc = crc ?? new RunningCrc()
  const orphanKeys = new Set<number>()
  let rows = 0
  await csvPass(file, DEVICES, checkDevice, () => {
    permEui(devRow.hi, devRow.lo)
    first[perm.a >>> FINE_SHIFT]!++
    rows++
    if (entryOfKey(main, devRow.key) < 0) {
      report.devicesWithUnregisteredMpxn++
      orphanKeys.add(devRow.key)
    }
  }, { tally, ...(onProgress && { onProgress }), crc: readCrc })
  tally.finish(maxRejectRatio)
  countsToFirstRows(first)
  const orphans = keyTableOf(orphanKeys)
  orphanKeys.clear()
  const out = new DeviceTableWriter(rows, bitsFor(Math.max(1, main.n + orphans.n - 1)))

  // 2. per chunk of fine buckets: stage its rows in file order, group them per device, append
  const chunks = chunksOf(first)
  const most = largestChunk(first, chunks)
  const staging = scratch.staging(most)
  const sHi = new Uint32Array(staging, 0, most)
  const sLo = new Uint32Array(staging, 4 * most, most)
  const sRef = new Uint32Array(staging, 8 * most, most)
  const order = new Uint32Array(staging, 12 * most, most)
  const sMeta = new Uint8Array(staging, 16 * most, most)
  const kept: number[] = [] // a device's links: staged rows, first of each MPxN
  const keptRole: number[] = []
  const issues = new IssueSamples(report)
  const idOf = (a: number, b: number) => {
    unpermEui(a, b)
    return `${perm.a}:${perm.b}`
  }
  let pass = 0
  for (const [f0, f1] of chunks) {
    pass++
    const base = first[f0]!
    fill.set(first.subarray(f0, f1), f0)
    let fb = 0
    const passCrc = new RunningCrc()
    await csvPass(file, DEVICES, (buf, n) => {
      if (fields[1]! - fields[0]! === 23 && parseEuiCodes(buf, fields[0]!, fields[1]!)) {
        permEui(eui.hi, eui.lo)
        fb = perm.a >>> FINE_SHIFT
        if (fb < f0 || fb >= f1) return OTHER_CHUNK
      }
      return checkDevice(buf, n)
    }, () => {
      const at = fill[fb]!++ - base
      permEui(devRow.hi, devRow.lo)
      sHi[at] = perm.a
      sLo[at] = perm.b
      sMeta[at] = metaOf(devRow.type, devRow.status, devRow.role)
      permMpxn(devRow.key)
      const e = findEntry(main, perm.a, perm.b)
      sRef[at] = e >= 0 ? e : main.n + findEntry(orphans, perm.a, perm.b)
    }, { crc: passCrc, label: `${file} (pass ${pass + 1} of ${chunks.length + 1})`, ...(onProgress && { onProgress }) })
    sameBytes(file, readCrc.value, passCrc.value)
    for (let f = f0; f < f1; f++) {
      const rs = first[f]! - base
      const re = first[f + 1]! - base
      // stable insertion sort of the fine bucket by device (a handful of rows): file order within a device
      for (let x = rs; x < re; x++) {
        let j = x - 1
        while (j >= rs) {
          const o = order[j]!
          if (sHi[o]! < sHi[x]! || (sHi[o] === sHi[x] && sLo[o]! <= sLo[x]!)) break
          order[j + 1] = o
          j--
        }
        order[j + 1] = x
      }
      for (let g = rs; g < re; ) {
        const h = sHi[order[g]!]!
        const l = sLo[order[g]!]!
        let ge = g + 1
        while (ge < re && sHi[order[ge]!] === h && sLo[order[ge]!] === l) ge++
        const last = order[ge - 1]! // the last row in the file decides type and status
        kept.length = 0
        keptRole.length = 0
        for (let j = g; j < ge; j++) {
          const x = order[j]!
          const dup = kept.findIndex((y) => sRef[y] === sRef[x])
          if (dup >= 0) {
            keptRole[dup] = sMeta[x]! & ROLE_BIT // the later row's role, in the first row's place
            issues.add(idOf(h, l), j - g, order.indexOf(kept[dup]!, g) - g, 'duplicate device row, collapsed')
            continue
          }
          if ((sMeta[x]! & DEVICE_BITS) !== (sMeta[last]! & DEVICE_BITS))
            issues.add(idOf(h, l), j - g, ge - 1 - g, 'device listed with another type or status; the last row wins')
          kept.push(x)
          keptRole.push(sMeta[x]! & ROLE_BIT)
        }
        for (let k = 0; k < kept.length; k++) {
          if (keptRole[k]) report.exportMpanLinks++
          out.add(h, l, sRef[kept[k]!]!, (sMeta[last]! & DEVICE_BITS) | keptRole[k]!)
        }
        g = ge
      }
    }
  }
  if (issues.samples.length > 0)
    issues.finish(file, await locateRows(file, DEVICES, checkDevice, () => `${devRow.hi}:${devRow.lo}`, issues.wanted()))
  return { table: out.finish(), orphans }
}
