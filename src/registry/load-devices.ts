// devices.csv (README, "Configuration"): `device_id,device_type,mpxn[,device_status[,mpxn_role]]`, one row per
// device and MPxN. device_id is an EUI-64 `00-12-34-56-78-AB-CD-EF` (any case); device_type one of
// the DUIS DeviceType values; device_status (optional) one of the DUIS DeviceStatus values (SR 8.2);
// mpxn_role (optional) `import` or `export`, empty or absent = import (SR 8.2 ImportMPxN /
// ExportMPAN); export only for a 13-digit MPAN.
// An MPxN without registration rows is kept in a small side table (MpxnFacts.known = false).
//
// Built straight into the final device table like the MPxN table (load-registrations.ts: count
// per bucket, validate and fill, compact each bucket in place). Exact duplicate rows
// (same device, same MPxN) collapse, keeping the last row's mpxn_role when they differ in it; a
// device listed with different types or statuses keeps the last row's values on all its rows
// ('type-conflict').
import { bucketBitsOf, countPass, csvPass, locateRows, ROW_BATCH, sameBytes, type CsvKind } from './csv-pass.js'
import { fields } from './csv-rows.js'
import { DEVICE_BITS, findDeviceRow, metaOf, MPXN_ROLE_EXPORT, MPXN_ROLE_IMPORT, NO_ROW, ORPHAN_BIT, ROLE_BIT, ROWS_PER_BUCKET, type DeviceTable } from './device-table.js'
import { fieldText, FileTally } from './file-tally.js'
import { IssueSamples } from './issue-samples.js'
import { countsToStarts, sharedU16, sharedU32, sharedU8 } from './key-table.js'
import { eui, hash2, mpxnKeyCodes, parseEuiCodes, TWO32 } from './keys.js'
import { buildKeyTable, lookupBatch, type MpxnTable } from './mpxn-table.js'
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

/**
 * devices.csv counted and filled into the device table's final arrays, bucket by bucket, before
 * the MPxN table exists (it may be built at the same time in another thread: device-rows.ts): a
 * row's MPxN key waits in `ref` (its low 32 bits) and `keyHi` (the rest; keys are below 2^47)
 * until finishDevices turns it into the main-table slot.
 */
export interface DeviceRows {
  bits: number
  /** per bucket, where the fill's next row would have gone (finishDevices rewrites it; rows rejected by the fill leave gaps, meta NO_ROW) */
  starts: Uint32Array
  hi: Uint32Array
  lo: Uint32Array
  ref: Uint32Array
  keyHi: Uint16Array
  meta: Uint8Array
}

/** Count pass and validating fill pass of devices.csv (rejections with file:line into `report`). */
export async function readDeviceRows(
  file: string,
  report: LoadReport,
  maxRejectRatio: number,
  onProgress?: (p: LoadProgress) => void,
  crc?: RunningCrc,
): Promise<DeviceRows> {
  const bits = await bucketBitsOf(file, ROWS_PER_BUCKET)
  const shift = 32 - bits
  const nb = 2 ** bits
  // starts[b] counts bucket b's rows, then (prefix sums) is its next free row during the fill. Rows
  // the fill pass rejects leave a gap before the next bucket (meta NO_ROW: no row has it),
  // which the compaction skips.
  const starts = sharedU32(nb + 1)
  const countCrc = await countPass(file, bits, (buf) =>
    fields[1]! - fields[0]! === 23 && parseEuiCodes(buf, fields[0]!, fields[1]!) ? hash2(eui.hi, eui.lo) : -1, starts, 1)
  const at = countsToStarts(starts, nb)

  const hi = sharedU32(at)
  const lo = sharedU32(at)
  const ref = sharedU32(at)
  const keyHi = sharedU16(at)
  const meta = sharedU8(at).fill(NO_ROW)
  // rows are parsed into a batch, then written to their buckets' places by tight loops (csv-pass.ts ROW_BATCH)
  const bPos = new Uint32Array(ROW_BATCH) // bucket, then the row's place
  const bHi = new Uint32Array(ROW_BATCH)
  const bLo = new Uint32Array(ROW_BATCH)
  const bKey = new Float64Array(ROW_BATCH)
  const bMeta = new Uint8Array(ROW_BATCH)
  let inBatch = 0
  const flush = () => {
    for (let j = 0; j < inBatch; j++) bPos[j] = starts[bPos[j]!]!++
    for (let j = 0; j < inBatch; j++) hi[bPos[j]!] = bHi[j]!
    for (let j = 0; j < inBatch; j++) lo[bPos[j]!] = bLo[j]!
    for (let j = 0; j < inBatch; j++) meta[bPos[j]!] = bMeta[j]!
    for (let j = 0; j < inBatch; j++) ref[bPos[j]!] = bKey[j]! >>> 0
    for (let j = 0; j < inBatch; j++) keyHi[bPos[j]!] = Math.floor(bKey[j]! / TWO32)
    inBatch = 0
  }
  const tally = new FileTally(file, report)
  const fillCrc = crc ?? new RunningCrc() // a fresh one: the CRC of this pass alone
  await csvPass(file, DEVICES, checkDevice, () => {
    const j = inBatch++
    bPos[j] = hash2(devRow.hi, devRow.lo) >>> shift
    bHi[j] = devRow.hi
    bLo[j] = devRow.lo
    bMeta[j] = metaOf(devRow.type, devRow.status, devRow.role)
    bKey[j] = devRow.key
    if (inBatch === ROW_BATCH) flush()
  }, { tally, ...(onProgress && { onProgress }), crc: fillCrc })
  flush()
  sameBytes(file, countCrc, fillCrc.value)
  tally.finish(maxRejectRatio)
  return { bits, starts, hi, lo, ref, keyHi, meta }
}

/**
 * The device table from its filled rows and the finished MPxN table `main`: each row's MPxN key
 * -> its main-table slot (an MPxN no registration names -> a slot in the orphan table), then per
 * bucket, in place, duplicates collapsed and the type and status unified (conflicts sampled into
 * `report` with file:line).
 */
export async function finishDevices(file: string, rows: DeviceRows, main: MpxnTable, report: LoadReport): Promise<{ table: DeviceTable; orphans: MpxnTable }> {
  const { bits, starts, hi, lo, ref, keyHi, meta } = rows
  const shift = 32 - bits
  const nb = 2 ** bits
  const at = meta.length
  // keys -> main-table slots in batches: the random lookups overlap (per-row lookups measured 12.3 s
  // of a 29.8 s load at 10M). Unregistered MPxNs get provisional orphan numbers.
  const bKey = new Float64Array(ROW_BATCH)
  const bPos = new Uint32Array(ROW_BATCH)
  const bOut = new Int32Array(ROW_BATCH)
  const orphanOf = new Map<number, number>()
  for (let i = 0; i < at; ) {
    let n = 0
    for (; i < at && n < ROW_BATCH; i++) {
      if (meta[i] === NO_ROW) continue
      bKey[n] = keyHi[i]! * TWO32 + ref[i]!
      bPos[n++] = i
    }
    lookupBatch(main, bKey, 0, n, -1, bOut)
    for (let j = 0; j < n; j++) {
      const s = bOut[j]!
      if (s >= 0) {
        ref[bPos[j]!] = s
        continue
      }
      report.devicesWithUnregisteredMpxn++
      let o = orphanOf.get(bKey[j]!)
      if (o === undefined) orphanOf.set(bKey[j]!, (o = orphanOf.size))
      ref[bPos[j]!] = (ORPHAN_BIT | o) >>> 0
    }
  }

  // orphan MPxNs: provisional numbers (first-seen order) -> slots in their own key table
  const { table: orphans, order } = buildKeyTable(Float64Array.from(orphanOf.keys()))
  if (orphanOf.size > 0) {
    const slotOf = new Uint32Array(order.length)
    for (let i = 0; i < order.length; i++) slotOf[order[i]!] = i
    for (let i = 0; i < at; i++) {
      const r = ref[i]!
      if (meta[i] !== NO_ROW && r & ORPHAN_BIT) ref[i] = (ORPHAN_BIT | slotOf[r & 0x7fffffff]!) >>> 0
    }
  }

  // per bucket, in place: sort by (device, MPxN ref, file order), collapse duplicates, unify type
  const issues = new IssueSamples(report)
  const sc = new DeviceScratch()
  let kept = 0
  let devices = 0
  // rows lie in bucket order: walk them once, a bucket's rows are the next run of rows whose
  // hash falls in it (gaps skipped), and starts[] is rewritten behind the walk
  let r = 0
  let b = 0
  while (b < nb) {
    while (r < at && meta[r] === NO_ROW) r++
    const rb = r < at ? hash2(hi[r]!, lo[r]!) >>> shift : nb
    while (b < rb) starts[b++] = kept
    if (b === nb) break
    let re = r + 1
    while (re < at && meta[re] !== NO_ROW && hash2(hi[re]!, lo[re]!) >>> shift === b) re++
    starts[b++] = kept
    const m = re - r
    {
      sc.load(hi, lo, ref, meta, r, m)
      const o = sc.order
      for (let g = 0; g < m; ) {
        const h = sc.hi[o[g]!]!
        const l = sc.lo[o[g]!]!
        let ge = g + 1
        while (ge < m && sc.hi[o[ge]!] === h && sc.lo[o[ge]!] === l) ge++
        // the last row in the file decides type and status (local index = file order)
        let last = o[g]!
        for (let j = g + 1; j < ge; j++) if (o[j]! > last) last = o[j]!
        for (let j = g; j < ge; j++) {
          const x = o[j]!
          if (j > g && sc.ref[x] === sc.ref[o[j - 1]!]) {
            // sorted by file order within a ref: the later row's role wins
            meta[kept - 1] = (meta[kept - 1]! & DEVICE_BITS) | (sc.meta[x]! & ROLE_BIT)
            issues.add(`${h}:${l}`, occ(o, g, ge, x), occ(o, g, ge, o[j - 1]!), 'duplicate device row, collapsed')
            continue
          }
          if ((sc.meta[x]! & DEVICE_BITS) !== (sc.meta[last]! & DEVICE_BITS))
            issues.add(`${h}:${l}`, occ(o, g, ge, x), occ(o, g, ge, last), 'device listed with another type or status; the last row wins')
          hi[kept] = h
          lo[kept] = l
          ref[kept] = sc.ref[x]!
          meta[kept] = (sc.meta[last]! & DEVICE_BITS) | (sc.meta[x]! & ROLE_BIT)
          kept++
        }
        devices++
        g = ge
      }
    }
    r = re
  }
  starts[nb] = kept
  for (let i = 0; i < kept; i++) if (meta[i]! & ROLE_BIT) report.exportMpanLinks++
  if (issues.samples.length > 0)
    issues.finish(file, await locateRows(file, DEVICES, checkDevice, () => `${devRow.hi}:${devRow.lo}`, issues.wanted()))
  const table: DeviceTable = {
    bits, starts,
    hi: new Uint32Array(hi.buffer, 0, kept),
    lo: new Uint32Array(lo.buffer, 0, kept),
    ref: new Uint32Array(ref.buffer, 0, kept),
    meta: new Uint8Array(meta.buffer, 0, kept),
    devices,
  }
  return { table, orphans }
}

/** Occurrence of local row x among a device's rows order[g..ge) in file order. */
function occ(o: Uint32Array, g: number, ge: number, x: number): number {
  let k = 0
  for (let j = g; j < ge; j++) if (o[j]! < x) k++
  return k
}

/** One bucket's rows, sorted by (device, ref, file order); grows to the largest bucket. */
class DeviceScratch {
  hi = new Uint32Array(64)
  lo = new Uint32Array(64)
  ref = new Uint32Array(64)
  meta = new Uint8Array(64)
  order = new Uint32Array(64)

  load(hi: Uint32Array, lo: Uint32Array, ref: Uint32Array, meta: Uint8Array, rs: number, m: number): void {
    if (m > this.hi.length) {
      const cap = Math.max(m, this.hi.length * 2)
      this.hi = new Uint32Array(cap)
      this.lo = new Uint32Array(cap)
      this.ref = new Uint32Array(cap)
      this.meta = new Uint8Array(cap)
      this.order = new Uint32Array(cap)
    }
    const { hi: H, lo: L, ref: R, order } = this
    for (let i = 0; i < m; i++) {
      H[i] = hi[rs + i]!
      L[i] = lo[rs + i]!
      R[i] = ref[rs + i]!
      this.meta[i] = meta[rs + i]!
    }
    // insertion sort by (device, ref, file order), no closure: it runs per bucket
    for (let i = 0; i < m; i++) {
      let j = i - 1
      while (j >= 0) {
        const x = order[j]!
        if (H[x]! < H[i]! || (H[x] === H[i] && (L[x]! < L[i]! || (L[x] === L[i] && R[x]! <= R[i]!)))) break
        order[j + 1] = x
        j--
      }
      order[j + 1] = i
    }
  }
}
