// Delta files (docs/registry.md): small daily changes to the registry applied in time proportional to the
// delta, not the index. A delta has the columns of registrations.csv or devices.csv after an `op`
// column, and a header row naming them (which says which file it changes):
//   op,mpxn,supplier_mpid,effective_from[,effective_to]
//   op,device_id,device_type,mpxn[,device_status[,mpxn_role]]
// op `add` adds the row, as if appended to the file; op `remove` removes the file's rows that match
// it (a registration: same MPxN, supplier_mpid and effective_from, and effective_to when given; a
// device row: same device and MPxN). effective_to is the last day supplied (inclusive), as in
// registrations.csv (docs/decisions.md); mpxn_role (import | export, empty = import) as in devices.csv. Every MPxN a delta touches has its periods rebuilt by the
// same rules as a build (period-rules.ts) from its rows as the index holds them plus the delta's,
// so the answers equal a full rebuild of the changed files; a device's type and status become
// those of its last added row, and an MPxN's mpxn_role that of the last row adding it. A delta is all or nothing: any bad row (file:line, reason) refuses
// it whole. The result is a new CompactRegistry sharing the tables and carrying a bigger overlay;
// the caller swaps it in (one assignment) and compacts the overlay in the background (compact.ts).
import { crc32 } from 'node:zlib'
import { OPEN_DAY } from './day.js'
import { fields, splitFields } from './csv-rows.js'
import { checkDevice, DEVICE_COLUMNS, devRow } from './load-devices.js'
import { deviceRowsEnd, findDeviceRow, refAt, roleAt, statusAt, typeAt } from './packed-device-table.js'
import { columnCountProblem } from './file-tally.js'
import { formatEui, hash2, hashMpxnKey, mpxnOfKey } from './keys.js'
import { MpidTable } from './mpid-table.js'
import { findMpxn, flatPeriod } from './packed-mpxn-table.js'
import { IMPLIED_END, MPID_MASK, PeriodScratch } from './period-rules.js'
import { REGISTRATION_COLUMNS, registrationCheck, regRow } from './load-registrations.js'
import { CompactRegistry, type OverlayData, type OverlayDevice } from './registry-index.js'
import { MAX_REASONS } from './report.js'
import type { RowProblem } from './errors.js'

export const REGISTRATION_DELTA_COLUMNS = ['op', ...REGISTRATION_COLUMNS] as const
export const DEVICE_DELTA_COLUMNS = ['op', ...DEVICE_COLUMNS] as const

export class DeltaError extends Error {
  override readonly name = 'DeltaError'
  readonly code = 'DCCGW_ERR_REGISTRY_DELTA'
  constructor(readonly file: string, detail: string, readonly reasons: readonly RowProblem[] = []) {
    super(`${file}: ${detail}${reasons.slice(0, 5).map((r) => `\n  ${r.file}:${r.line}: ${r.reason}`).join('')}`)
  }
}

export interface DeltaSummary {
  name: string
  kind: 'registrations' | 'devices'
  rows: number
  added: number
  removed: number
  mpxnsChanged: number
  devicesChanged: number
  /**
   * explicit effective_to values on or after the next effective_from once the delta is applied (a
   * one-day overlap or more; the later start wins), as `registry check` reports them for a file
   */
  endOverlaps: number
  /** entries in the overlay after this delta (what compaction folds into the tables) */
  overlayEntries: number
  ms: number
}

/** the longest a delta holds the event loop before it yields (messages are decided in between) */
const SLICE_MS = 2
let sliceStart = 0
/**
 * The current slice has run SLICE_MS: time to yield (yieldNow). Asked at every row or entry, not
 * every so many: the first delta of a process runs in the interpreter (cold code), up to ~0.3 ms
 * an MPxN, and a check every 16 of them overshot the slice several times over.
 */
const due = () => performance.now() - sliceStart >= SLICE_MS
/** Yields to the event loop when the current slice has run SLICE_MS. */
async function breathe(): Promise<void> {
  if (due()) await yieldNow()
}
/** Yields to the event loop now (before a step that runs a few ms in one piece). */
async function yieldNow(): Promise<void> {
  await new Promise<void>((r) => setImmediate(r))
  sliceStart = performance.now()
}

const ADD = 1
/** The op column: ADD, 0 (remove) or -1 (neither), any case. */
function opOf(text: Buffer, s: number, e: number): number {
  const word = e - s === 3 ? 'add' : e - s === 6 ? 'remove' : ''
  if (!word) return -1
  for (let i = 0; i < word.length; i++) if ((text[s + i]! | 0x20) !== word.charCodeAt(i)) return -1
  return word === 'add' ? ADD : 0
}
/** Lines in `text` (at most: blank lines count too). */
function lineCount(text: Buffer): number {
  let c = 1
  for (let at = text.indexOf(10); at >= 0; at = text.indexOf(10, at + 1)) c++
  return c
}

/**
 * Applies delta `name` (its bytes in `text`) on top of `index`: a new index with the changes, the
 * tables shared. Throws DeltaError (nothing applied) on a bad delta.
 */
export async function applyDelta(index: CompactRegistry, name: string, text: Buffer): Promise<{ index: CompactRegistry; summary: DeltaSummary }> {
  const t0 = performance.now()
  sliceStart = t0
  const nextLine = lineReader(text)
  const first = nextLine()
  if (!first) throw new DeltaError(name, 'empty delta')
  const [s0, e0] = first
  const hn = splitFields(text, s0, e0)
  const header: string[] = []
  for (let i = 0; i < Math.min(hn, 7); i++) header.push(text.toString('latin1', fields[i * 2]!, fields[i * 2 + 1]!).toLowerCase())
  const isReg = matches(header, REGISTRATION_DELTA_COLUMNS, 1)
  const isDev = matches(header, DEVICE_DELTA_COLUMNS, 2)
  if (!isReg && !isDev)
    throw new DeltaError(name, `header "${header.join(',')}" is neither "${REGISTRATION_DELTA_COLUMNS.join(',')}" nor "${DEVICE_DELTA_COLUMNS.join(',')}" (the last columns optional)`)

  const snap = index.toShared()
  const mpids = new MpidTable(snap.parties.flatMap((p) => p.mpids))
  for (const m of snap.mpids) mpids.codeOfString(m) // same codes as the index
  const check = registrationCheck(mpids)
  const reasons: RowProblem[] = []
  let bad = 0
  const reject = (line: number, reason: string) => {
    bad++
    if (reasons.length < MAX_REASONS) reasons.push({ file: name, line, reason })
  }
  // the rows as columns (a few typed arrays, whatever the row count: per-row objects would all
  // survive into the collector's copying and lengthen its pauses on the event loop)
  const cap = lineCount(text)
  const rowKey = new Float64Array(cap)
  const rowLine = new Int32Array(cap)
  const rowAdd = new Uint8Array(cap)
  // registrations: from, to, mpid, effective_to given; devices: EUI-64 hi, lo, type, status, role
  const colA = new Uint32Array(cap)
  const colB = new Uint32Array(cap)
  const colC = new Uint16Array(cap)
  const colD = new Uint8Array(cap)
  const colE = new Uint8Array(cap)
  // the rows of each MPxN (device) chained in file order as they are read (a sort afterwards was one
  // piece of ~18 ms, cold): an open-addressing table of each group's first row, nextRow[r] its next row
  const mask = 2 ** Math.ceil(Math.log2(2 * cap)) - 1
  const firstOf = new Int32Array(mask + 1).fill(-1)
  const lastOf = new Int32Array(cap)
  const nextRow = new Int32Array(cap).fill(-1)
  const isFirst = new Uint8Array(cap)
  let groups = 0
  let n = 0
  let rows = 0
  let added = 0
  let removed = 0
  for (let line = 2, l = nextLine(); l; line++, l = nextLine()) {
    if (due()) await yieldNow()
    const [s, e] = l
    let nf = splitFields(text, s, e)
    if (nf === 1 && fields[0] === fields[1]) continue
    rows++
    const op = opOf(text, fields[0]!, fields[1]!)
    if (op < 0) {
      reject(line, `op "${text.toString('latin1', fields[0]!, fields[1]!).slice(0, 20)}" is not add or remove`)
      continue
    }
    if (op === ADD) added++
    else removed++
    fields.copyWithin(0, 2) // the file's columns, as a build reads them
    nf--
    if (isReg) {
      if (nf < 3 || nf > 4) {
        reject(line, columnCountProblem(nf + 1, REGISTRATION_DELTA_COLUMNS))
        continue
      }
      const why = check(text, nf)
      if (why) {
        reject(line, why)
        continue
      }
      rowKey[n] = regRow.key
      colA[n] = regRow.from
      colB[n] = regRow.to
      colC[n] = regRow.mpid
      colD[n] = regRow.to !== OPEN_DAY ? 1 : 0
    } else {
      if (nf < 3 || nf > 5) {
        reject(line, columnCountProblem(nf + 1, DEVICE_DELTA_COLUMNS, 4))
        continue
      }
      const why = checkDevice(text, nf)
      if (why) {
        reject(line, why)
        continue
      }
      rowKey[n] = devRow.key
      colA[n] = devRow.hi
      colB[n] = devRow.lo
      colC[n] = devRow.type
      colD[n] = devRow.status
      colE[n] = devRow.role
    }
    rowAdd[n] = op
    rowLine[n] = line
    for (let h = (isReg ? hashMpxnKey(rowKey[n]!) : hash2(colA[n]!, colB[n]!)) & mask; ; h = (h + 1) & mask) {
      const f = firstOf[h]!
      if (f < 0) {
        firstOf[h] = lastOf[n] = n
        isFirst[n] = 1
        groups++
        break
      }
      if (isReg ? rowKey[f] === rowKey[n] : colA[f] === colA[n] && colB[f] === colB[n]) {
        nextRow[lastOf[f]!] = n
        lastOf[f] = n
        break
      }
    }
    n++
  }
  if (rows === 0) throw new DeltaError(name, 'no rows')

  // the overlay so far, copied in slices (the current index keeps serving on the old maps)
  const held = index.overlayMaps()
  const ovM = new Map<number, readonly number[]>()
  for (const [key, flat] of held.mpxns) {
    ovM.set(key, flat)
    if (due()) await yieldNow()
  }
  const ovD = new Map<string, OverlayDevice>()
  for (const [id, d] of held.devices) {
    ovD.set(id, d)
    if (due()) await yieldNow()
  }
  const counts = { ...snap.counts }
  let endOverlaps = 0
  const sc = new PeriodScratch((_key, _occ, _other, kind) => {
    if (kind === 'overlap') endOverlaps++
  })
  for (let r0 = 0; r0 < n; r0++) {
    if (!isFirst[r0]) continue
    if (due()) await yieldNow()
    if (isReg) {
      const key = rowKey[r0]!
      const rowsNow = rowsOf(index, key)
      for (let r = r0; r >= 0; r = nextRow[r]!) {
        const from = colA[r]!, to = colB[r]!, mpid = colC[r]!, toGiven = colD[r] === 1
        if (rowAdd[r] === ADD) {
          rowsNow.push([from, to, mpid])
          continue
        }
        const before = rowsNow.length
        for (let i = rowsNow.length - 1; i >= 0; i--) {
          const [f, t, m] = rowsNow[i]!
          if (f === from && m === mpid && (!toGiven || t === to)) rowsNow.splice(i, 1)
        }
        if (rowsNow.length === before)
          reject(rowLine[r]!, `no registration of ${mpids.names[mpid]} from that effective_from${toGiven ? ' and effective_to' : ''} for MPxN ${mpxnOfKey(key)}`)
      }
      const old = periodsOf(index, key)
      let flat: number[] = []
      if (rowsNow.length > 0) {
        sc.loadRows(key, rowsNow)
        const out = new Uint16Array(3 * rowsNow.length)
        flat = Array.from(out.subarray(0, 3 * sc.resolveGroup(0, sc.n, out, 0)))
      }
      counts.registrations += flat.length / 3 - old.length / 3
      counts.mpxns += (flat.length > 0 ? 1 : 0) - (old.length > 0 ? 1 : 0)
      ovM.set(key, flat)
      continue
    }
    const hi = colA[r0]!, lo = colB[r0]!
    const id = formatEui(hi, lo)
    const cur = deviceOf(index, id, hi, lo)
    const wasKnown = cur.type !== 0
    for (let r = r0; r >= 0; r = nextRow[r]!) {
      const key = rowKey[r]!
      const at = cur.keys.indexOf(key)
      if (rowAdd[r] === ADD) {
        if (at < 0) {
          cur.keys.push(key)
          cur.roles.push(colE[r]!)
        } else cur.roles[at] = colE[r]! // a duplicate row: the later row's role wins, as in a build
        cur.type = colC[r]!
        cur.status = colD[r]!
      } else if (at < 0) reject(rowLine[r]!, `device ${id} has no row for MPxN ${mpxnOfKey(key)}`)
      else {
        cur.keys.splice(at, 1)
        cur.roles.splice(at, 1)
      }
    }
    if (cur.keys.length === 0) cur.type = cur.status = 0
    counts.devices += (cur.type !== 0 ? 1 : 0) - (wasKnown ? 1 : 0)
    ovD.set(id, { type: cur.type, status: cur.status, keys: cur.keys, roles: cur.roles })
  }
  if (bad > 0) throw new DeltaError(name, `${bad} of ${rows} rows refused; nothing applied`, reasons)

  // the plain-data form (pool workers, compaction), in slices too; the new index takes the maps as they are
  const overlay: OverlayData = { deltas: [...(snap.overlay?.deltas ?? []), { name, crc32: crc32(text) }], mpxns: [], devices: [] }
  for (const [key, flat] of ovM) {
    overlay.mpxns.push([key, flat as number[]])
    if (due()) await yieldNow()
  }
  for (const [id, d] of ovD) {
    overlay.devices.push([id, d.type, d.status, d.keys as number[], d.roles as number[]])
    if (due()) await yieldNow()
  }
  await breathe()
  const next = new CompactRegistry({ ...snap, loadedAt: Date.now(), counts, mpids: mpids.names.slice(), overlay }, { mpxns: ovM, devices: ovD })
  return {
    index: next,
    summary: {
      name, kind: isReg ? 'registrations' : 'devices', rows, added, removed,
      mpxnsChanged: isReg ? groups : 0, devicesChanged: isReg ? 0 : groups, endOverlaps, overlayEntries: ovM.size + ovD.size, ms: performance.now() - t0,
    },
  }
}

function matches(header: string[], cols: readonly string[], optional: number): boolean {
  return header.length >= cols.length - optional && header.length <= cols.length && header.every((h, i) => h === cols[i])
}

/**
 * The lines of `text` one at a time, as [start, end) without the line break (a UTF-8 BOM skipped):
 * found as the parse goes, so that finding them is sliced with the rest of the work.
 */
function lineReader(text: Buffer): () => [number, number] | undefined {
  let pos = text[0] === 0xef && text[1] === 0xbb && text[2] === 0xbf ? 3 : 0
  return () => {
    if (pos >= text.length) return undefined
    let nl = text.indexOf(10, pos)
    if (nl < 0) nl = text.length
    const l: [number, number] = [pos, nl > pos && text[nl - 1] === 13 ? nl - 1 : nl]
    pos = nl + 1
    return l
  }
}

/** An MPxN's periods as the index answers them (overlay first), flat triples. */
function periodsOf(index: CompactRegistry, key: number): readonly number[] {
  const ov = index.overlayPeriods(key)
  if (ov) return ov
  const hit = { p: 0, n: 0 }
  if (findMpxn(index.main, key, hit) < 0) return []
  const flat: number[] = []
  for (let q = 0; q < hit.n; q++) flatPeriod(index.main, hit.p + q, flat, q)
  return flat
}

/**
 * An MPxN's periods turned back into rows [from, to, mpid]: a period whose end was implied by the
 * next start becomes a row without effective_to, so removing or moving that next period reopens
 * it exactly as a rebuild of the files would.
 */
function rowsOf(index: CompactRegistry, key: number): [number, number, number][] {
  const flat = periodsOf(index, key)
  const rows: [number, number, number][] = []
  for (let i = 0; i < flat.length; i += 3) {
    const code = flat[i + 2]!
    rows.push([flat[i]!, code & IMPLIED_END ? OPEN_DAY : flat[i + 1]!, code & MPID_MASK])
  }
  return rows
}

/** A device's MPxN keys (with their mpxn_role codes), type and status as the index answers them (overlay first). */
function deviceOf(index: CompactRegistry, id: string, hi: number, lo: number): { type: number; status: number; keys: number[]; roles: number[] } {
  const ov = index.overlayDevice(id)
  if (ov) return { type: ov.type, status: ov.status, keys: [...ov.keys], roles: [...ov.roles] }
  const d = index.dev
  const row = findDeviceRow(d, hi, lo)
  if (row < 0) return { type: 0, status: 0, keys: [], roles: [] }
  const keys: number[] = []
  const roles: number[] = []
  for (let r = row, e = deviceRowsEnd(d, row); r < e; r++) {
    keys.push(index.keyOfRef(refAt(d, r)))
    roles.push(roleAt(d, r))
  }
  return { type: typeAt(d, row), status: statusAt(d, row), keys, roles }
}
