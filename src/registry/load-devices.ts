// devices.csv (README, "Configuration"): `device_id,device_type,mpxn[,device_status[,mpxn_role]]`, one row per
// device and MPxN. device_id is an EUI-64 `00-12-34-56-78-AB-CD-EF` (any case); device_type one of
// the DUIS DeviceType values; device_status (optional) one of the DUIS DeviceStatus values (SR 8.2);
// mpxn_role (optional) `import` or `export`, empty or absent = import (SR 8.2 ImportMPxN /
// ExportMPAN); export only for a 13-digit MPAN.
// An MPxN without registration rows is kept in a small side table (MpxnFacts.known = false).
//
// Built straight into the final packed device table like the MPxN table (load-registrations.ts),
// reading the file ONCE: the one pass validates each row and appends it as a 16-byte record to a
// partition by the top bits of its permuted EUI-64 (partition-files.ts): A, B (the permuted
// EUI-64), mb | (ma & 0x3ff) << 22, ma >>> 10 | meta << 12 (ma, mb: the row's MPxN permuted, 22 + 22
// bits; meta: metaOf). Then each partition is sorted by (permuted EUI-64, file order) and its MPxNs
// looked up in the finished MPxN table (written back: word 2 becomes the ref), the orphans' table is
// built, and the partitions are read again in key order, a device's rows collapsed and appended.
// A device's links keep the order of its rows in the file (docs/registry.md, "Link order"). Exact duplicate rows (same device, same MPxN)
// collapse into the first one's place, keeping the last row's mpxn_role when they differ in it; a
// device listed with different types or statuses keeps the last row's values on all its rows
// ('type-conflict').
import { csvPass, locateRows, type CsvKind } from './csv-pass.js'
import { fields } from './csv-rows.js'
import { bitsFor, readBits } from './bit-fields.js'
import { DEVICE_BITS, DeviceTableWriter, metaOf, MPXN_ROLE_EXPORT, MPXN_ROLE_IMPORT, ROLE_BIT, type PackedDeviceTable } from './packed-device-table.js'
import { fieldText, FileTally } from './file-tally.js'
import { IssueSamples } from './issue-samples.js'
import { HALF, perm, permEui, permMpxn, unpermEui } from './key-permutation.js'
import { eui, parseEuiCodes, mpxnKeyCodes } from './keys.js'
import { KeyTableWriter, type KeyTable, type PackedMpxnTable } from './packed-mpxn-table.js'
import { PartitionReader, PartitionWriter, RECORD_WORDS, subBits, type PartitionLayout, type TempFiles } from './partition-files.js'
import { DEVICE_STATUSES, DEVICE_TYPES } from './registry-index.js'
import type { LoadProgress, LoadReport } from './report.js'
import type { RunningCrc } from './sources.js'

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

/** a device with more rows than this finds its duplicate links through a Map, not a scan */
const SCAN_LINKS = 32
/** MPxN lookups of a batch, done phase by phase */
const LOOKUP_BATCH = 256
const M = RECORD_WORDS

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
  temp: TempFiles,
  onProgress?: (p: LoadProgress) => void,
  crc?: RunningCrc,
  collect?: () => void,
): Promise<{ table: PackedDeviceTable; orphans: KeyTable }> {
  // 1. the one pass: validate, append each valid row's record to its partition
  const tally = new FileTally(file, report)
  const { layout, rows } = await partitionDevices(file, tally, temp, onProgress, crc)
  tally.finish(maxRejectRatio)
  // each step's scratch is unreachable when its function returns: freed before the next allocates
  // (docs/registry.md, "Peak memory")
  collect?.()

  // 2. each partition sorted by (permuted EUI-64, file order), its MPxNs looked up, written back
  const { orphanKeys: provisional, orphanRows } = prepareDevices(layout, main)
  report.devicesWithUnregisteredMpxn += orphanRows
  collect?.()

  // 3. the orphans' key table; a link to an orphan refers to main.n + its entry (provisional: permuted keys by provisional number)
  const sorted = Float64Array.from(provisional).sort()
  const keys = new KeyTableWriter(sorted.length)
  for (const v of sorted) keys.add(v)
  const orphans = keys.finish()
  const entryOf = new Uint32Array(provisional.length)
  const at = new Map<number, number>()
  sorted.forEach((v, e) => at.set(v, e))
  provisional.forEach((v, id) => (entryOf[id] = at.get(v)!))
  at.clear()

  // 4. partitions in key order: a device's rows collapsed and appended
  const out = new DeviceTableWriter(rows, bitsFor(Math.max(1, main.n + orphans.n - 1)))
  const rd = new PartitionReader(layout)
  const issues = new IssueSamples(report)
  const idOf = (a: number, b: number) => {
    unpermEui(a, b)
    return `${perm.a}:${perm.b}`
  }
  let keptRow = new Uint32Array(SCAN_LINKS) // a device's links: its first row of each MPxN
  let keptRef = new Uint32Array(SCAN_LINKS)
  let keptRole = new Uint8Array(SCAN_LINKS)
  const mainN = main.n
  try {
    for (let part = 0; part < 2 ** layout.bits; part++) {
      const n = rd.read(part)
      const b = rd.buf
      for (let g = 0; g < n; ) {
        const h = b[g * M]!
        const l = b[g * M + 1]!
        let ge = g + 1
        while (ge < n && b[ge * M] === h && b[ge * M + 1] === l) ge++
        // the last row in the file decides type and status
        const lastBits = (b[(ge - 1) * M + 3]! >>> 12) & DEVICE_BITS
        if (keptRow.length < ge - g) {
          keptRow = new Uint32Array(ge - g)
          keptRef = new Uint32Array(ge - g)
          keptRole = new Uint8Array(ge - g)
        }
        const big = ge - g > SCAN_LINKS ? new Map<number, number>() : undefined
        let k = 0
        for (let x = g; x < ge; x++) {
          const r = b[x * M + 2]!
          const ref = r < mainN ? r : mainN + entryOf[r - mainN]!
          const meta = b[x * M + 3]! >>> 12
          // a link already kept (same MPxN): its place stays, the later row's role wins
          let dup = -1
          if (big) dup = big.get(ref) ?? -1
          else
            for (let q = 0; q < k; q++)
              if (keptRef[q] === ref) {
                dup = q
                break
              }
          if (dup >= 0) {
            keptRole[dup] = meta & ROLE_BIT
            issues.add(idOf(h, l), x - g, keptRow[dup]! - g, 'duplicate device row, collapsed')
            continue
          }
          if ((meta & DEVICE_BITS) !== lastBits) issues.add(idOf(h, l), x - g, ge - 1 - g, 'device listed with another type or status; the last row wins')
          big?.set(ref, k)
          keptRow[k] = x
          keptRef[k] = ref
          keptRole[k] = meta & ROLE_BIT
          k++
        }
        for (let q = 0; q < k; q++) {
          if (keptRole[q]) report.exportMpanLinks++
          out.add(h, l, keptRef[q]!, lastBits | keptRole[q]!)
        }
        g = ge
      }
    }
  } finally {
    rd.close()
  }
  temp.drop(layout.file)
  if (issues.samples.length > 0)
    issues.finish(file, await locateRows(file, DEVICES, checkDevice, () => `${devRow.hi}:${devRow.lo}`, issues.wanted()))
  return { table: out.finish(), orphans }
}

/** Step 1: the one pass over devices.csv, each valid row's record appended to its partition. */
async function partitionDevices(file: string, tally: FileTally, temp: TempFiles, onProgress?: (p: LoadProgress) => void, crc?: RunningCrc): Promise<{ layout: PartitionLayout; rows: number }> {
  const bits = temp.bitsFor(file)
  const sh = 32 - bits
  const w = new PartitionWriter(temp.name('devices'), bits)
  const wb = w.buf
  try {
    const rows = await csvPass(file, DEVICES, checkDevice, () => {
      permEui(devRow.hi, devRow.lo)
      const A = perm.a
      const B = perm.b
      permMpxn(devRow.key)
      const at = w.slot(bits === 0 ? 0 : A >>> sh)
      wb[at] = A
      wb[at + 1] = B
      wb[at + 2] = (perm.b | ((perm.a & 0x3ff) << 22)) >>> 0
      wb[at + 3] = (perm.a >>> 10) | (metaOf(devRow.type, devRow.status, devRow.role) << 12)
    }, { tally, ...(onProgress && { onProgress }), ...(crc && { crc }) })
    return { layout: w.finish(), rows }
  } finally {
    w.close()
  }
}

/** Step 2 on every partition (DevicePrep); its buffers go with it. */
function prepareDevices(layout: PartitionLayout, main: KeyTable): { orphanKeys: number[]; orphanRows: number } {
  const prep = new DevicePrep(layout, main)
  try {
    for (let part = 0; part < 2 ** layout.bits; part++) prep.run(part)
  } finally {
    prep.close()
  }
  return { orphanKeys: prep.orphanKeys, orphanRows: prep.orphanRows }
}

/**
 * Step 2 on one partition at a time: sort by (permuted EUI-64, file order), then each record's
 * MPxN -> its main entry, or main.n + a provisional orphan number, in word 2; written back over the
 * partition's blocks (pages in the cache: cheap).
 */
class DevicePrep {
  /** permuted MPxN (a * HALF + b) -> provisional orphan number */
  readonly #orphanOf = new Map<number, number>()
  /** permuted MPxN key of each provisional orphan number */
  readonly orphanKeys: number[] = []
  /** rows whose MPxN has no registration rows */
  orphanRows = 0
  readonly #rd: PartitionReader
  readonly #cnt: Uint32Array
  readonly #order: Uint32Array
  readonly #out: Uint32Array
  readonly #subMax: number
  readonly #batch = { lo: new Uint32Array(LOOKUP_BATCH), hi: new Uint32Array(LOOKUP_BATCH), want: new Float64Array(LOOKUP_BATCH) }
  /** the touches' xor (kept, so that they are not optimized away) */
  touched = 0

  constructor(readonly layout: PartitionLayout, readonly main: KeyTable) {
    this.#rd = new PartitionReader(layout, true)
    const maxP = Math.max(1, ...layout.records)
    this.#subMax = Math.min(24, 32 - layout.bits)
    this.#cnt = new Uint32Array(2 ** subBits(maxP, this.#subMax) + 1)
    this.#order = new Uint32Array(maxP)
    this.#out = new Uint32Array(maxP * M)
  }

  run(part: number): void {
    const n = this.#rd.read(part)
    if (n === 0) return
    this.#sort(this.#rd.buf, n)
    this.#refs(this.#out, n)
    this.#rd.write(part, this.#out.subarray(0, n * M))
  }

  /** b's n records sorted into #out: a counting sort by the EUI bits below the partition's (stable), then an insertion sort per sub-bucket. */
  #sort(b: Uint32Array, n: number): void {
    const cnt = this.#cnt
    const order = this.#order
    const lift = this.layout.bits
    const s = subBits(n, this.#subMax)
    const ns = 2 ** s
    const up = 32 - s
    cnt.fill(0, 0, ns)
    for (let x = 0; x < n; x++) cnt[s === 0 ? 0 : (b[x * M]! << lift) >>> up]!++
    for (let k = 0, at = 0; k < ns; k++) {
      const c = cnt[k]!
      cnt[k] = at
      at += c
    }
    for (let x = 0; x < n; x++) order[cnt[s === 0 ? 0 : (b[x * M]! << lift) >>> up]!++] = x
    for (let k = 0, rs = 0; k < ns; rs = cnt[k++]!) {
      const re = cnt[k]!
      // strict comparisons: equal EUI-64s keep the file order
      for (let x = rs + 1; x < re; x++) {
        const v = order[x]!
        const vh = b[v * M]!
        const vl = b[v * M + 1]!
        let j = x - 1
        while (j >= rs) {
          const u = order[j]!
          const uh = b[u * M]!
          if (uh < vh || (uh === vh && b[u * M + 1]! <= vl)) break
          order[j + 1] = u
          j--
        }
        order[j + 1] = v
      }
    }
    const out = this.#out
    for (let j = 0; j < n; j++) {
      const x = order[j]! * M
      const y = j * M
      out[y] = b[x]!
      out[y + 1] = b[x + 1]!
      out[y + 2] = b[x + 2]!
      out[y + 3] = b[x + 3]!
    }
  }

  /**
   * Each record's MPxN -> main entry, or main.n + provisional orphan number, in word 2. The lookups
   * go in batches, phase by phase (bucket bounds, a touch of each bucket's first key word, the
   * binary searches): the cache misses of a batch overlap instead of waiting one after another.
   */
  #refs(b: Uint32Array, n: number): void {
    const main = this.main
    const sh = 22 - main.bits
    const lb = 44 - main.bits
    const starts = main.starts
    const low = main.low
    const { lo, hi, want } = this.#batch
    let touched = 0
    for (let x0 = 0; x0 < n; x0 += LOOKUP_BATCH) {
      const m = Math.min(LOOKUP_BATCH, n - x0)
      for (let i = 0; i < m; i++) {
        const x = (x0 + i) * M
        const w2 = b[x + 2]!
        const ma = (w2 >>> 22) | ((b[x + 3]! & 0xfff) << 10)
        const bucket = ma >>> sh
        lo[i] = starts[bucket]!
        hi[i] = starts[bucket + 1]!
        want[i] = (ma & ((1 << sh) - 1)) * HALF + (w2 & 0x3fffff)
      }
      for (let i = 0; i < m; i++) touched ^= low[(lo[i]! * lb) >>> 5] ?? 0
      for (let i = 0; i < m; i++) {
        let l = lo[i]!
        let h = hi[i]!
        const v = want[i]!
        let e = -1
        while (l < h) {
          const mid = (l + h) >>> 1
          const k = readBits(low, mid * lb, lb)
          if (k < v) l = mid + 1
          else if (k > v) h = mid
          else {
            e = mid
            break
          }
        }
        const x = (x0 + i) * M
        if (e < 0) {
          const w2 = b[x + 2]!
          const k = ((w2 >>> 22) | ((b[x + 3]! & 0xfff) << 10)) * HALF + (w2 & 0x3fffff)
          let id = this.#orphanOf.get(k)
          if (id === undefined) {
            id = this.orphanKeys.length
            this.#orphanOf.set(k, id)
            this.orphanKeys.push(k)
          }
          this.orphanRows++
          e = main.n + id
        }
        b[x + 2] = e
      }
    }
    this.touched = touched
  }

  close(): void {
    this.#rd.close()
  }
}
