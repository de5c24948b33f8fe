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
import { findDeviceRow, ORPHAN_BIT } from './device-table.js'
import { columnCountProblem } from './file-tally.js'
import { formatEui, mpxnOfKey } from './keys.js'
import { MpidTable } from './mpid-table.js'
import { findSlot, hit, keyOfSlot } from './mpxn-table.js'
import { IMPLIED_END, MPID_MASK, PeriodScratch } from './period-rules.js'
import { REGISTRATION_COLUMNS, registrationCheck, regRow } from './load-registrations.js'
import { CompactRegistry, type OverlayData } from './registry-index.js'
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
/** Yields to the event loop when the current slice has run SLICE_MS. */
async function breathe(): Promise<void> {
  if (performance.now() - sliceStart < SLICE_MS) return
  await yieldNow()
}
/** Yields to the event loop now (before a step that runs a few ms in one piece). */
async function yieldNow(): Promise<void> {
  await new Promise<void>((r) => setImmediate(r))
  sliceStart = performance.now()
}

type RegOp = { add: boolean; from: number; to: number; mpid: number; toGiven: boolean; line: number }
type DevOp = { add: boolean; key: number; type: number; status: number; role: number; line: number }

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
  const regOps = new Map<number, RegOp[]>()
  const devOps = new Map<string, { hi: number; lo: number; ops: DevOp[] }>()
  let rows = 0
  let added = 0
  for (let line = 2, l = nextLine(); l; line++, l = nextLine()) {
    if ((line & 63) === 0) await breathe()
    const [s, e] = l
    let n = splitFields(text, s, e)
    if (n === 1 && fields[0] === fields[1]) continue
    rows++
    const op = text.toString('latin1', fields[0]!, fields[1]!).toLowerCase()
    if (op !== 'add' && op !== 'remove') {
      reject(line, `op "${op.slice(0, 20)}" is not add or remove`)
      continue
    }
    const add = op === 'add'
    if (add) added++
    fields.copyWithin(0, 2) // the file's columns, as a build reads them
    n--
    if (isReg) {
      if (n < 3 || n > 4) {
        reject(line, columnCountProblem(n + 1, REGISTRATION_DELTA_COLUMNS))
        continue
      }
      const why = check(text, n)
      if (why) {
        reject(line, why)
        continue
      }
      const list = regOps.get(regRow.key) ?? regOps.set(regRow.key, []).get(regRow.key)!
      list.push({ add, from: regRow.from, to: regRow.to, mpid: regRow.mpid, toGiven: regRow.to !== OPEN_DAY, line })
    } else {
      if (n < 3 || n > 5) {
        reject(line, columnCountProblem(n + 1, DEVICE_DELTA_COLUMNS, 4))
        continue
      }
      const why = checkDevice(text, n)
      if (why) {
        reject(line, why)
        continue
      }
      const id = formatEui(devRow.hi, devRow.lo)
      const d = devOps.get(id) ?? devOps.set(id, { hi: devRow.hi, lo: devRow.lo, ops: [] }).get(id)!
      d.ops.push({ add, key: devRow.key, type: devRow.type, status: devRow.status, role: devRow.role, line })
    }
  }
  if (rows === 0) throw new DeltaError(name, 'no rows')

  await yieldNow()
  const ovM = new Map(snap.overlay?.mpxns)
  await yieldNow()
  const ovD = new Map((snap.overlay?.devices ?? []).map((d) => [d[0], d]))
  const counts = { ...snap.counts }
  let k = 0
  let endOverlaps = 0
  const sc = new PeriodScratch((_key, _occ, _other, kind) => {
    if (kind === 'overlap') endOverlaps++
  })
  for (const [key, ops] of regOps) {
    if ((++k & 15) === 0) await breathe()
    const rowsNow = rowsOf(index, key)
    for (const op of ops) {
      if (op.add) {
        rowsNow.push([op.from, op.to, op.mpid])
        continue
      }
      const before = rowsNow.length
      for (let i = rowsNow.length - 1; i >= 0; i--) {
        const [f, t, m] = rowsNow[i]!
        if (f === op.from && m === op.mpid && (!op.toGiven || t === op.to)) rowsNow.splice(i, 1)
      }
      if (rowsNow.length === before)
        reject(op.line, `no registration of ${mpids.names[op.mpid]} from that effective_from${op.toGiven ? ' and effective_to' : ''} for MPxN ${mpxnOfKey(key)}`)
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
  }
  let removed = 0
  for (const [id, d] of devOps) {
    if ((++k & 15) === 0) await breathe()
    const cur = deviceOf(index, id, d.hi, d.lo)
    const wasKnown = cur.type !== 0
    for (const op of d.ops) {
      const at = cur.keys.indexOf(op.key)
      if (op.add) {
        if (at < 0) {
          cur.keys.push(op.key)
          cur.roles.push(op.role)
        } else cur.roles[at] = op.role // a duplicate row: the later row's role wins, as in a build
        cur.type = op.type
        cur.status = op.status
      } else if (at < 0) reject(op.line, `device ${id} has no row for MPxN ${mpxnOfKey(op.key)}`)
      else {
        cur.keys.splice(at, 1)
        cur.roles.splice(at, 1)
      }
    }
    if (cur.keys.length === 0) cur.type = cur.status = 0
    counts.devices += (cur.type !== 0 ? 1 : 0) - (wasKnown ? 1 : 0)
    ovD.set(id, [id, cur.type, cur.status, cur.keys, cur.roles])
  }
  for (const ops of regOps.values()) for (const op of ops) if (!op.add) removed++
  for (const d of devOps.values()) for (const op of d.ops) if (!op.add) removed++
  if (bad > 0) throw new DeltaError(name, `${bad} of ${rows} rows refused; nothing applied`, reasons)

  await yieldNow()
  const overlay: OverlayData = {
    deltas: [...(snap.overlay?.deltas ?? []), { name, crc32: crc32(text) }],
    mpxns: [...ovM],
    devices: [...ovD.values()],
  }
  await yieldNow()
  const next = new CompactRegistry({ ...snap, loadedAt: Date.now(), counts, mpids: mpids.names.slice(), overlay })
  return {
    index: next,
    summary: {
      name, kind: isReg ? 'registrations' : 'devices', rows, added, removed,
      mpxnsChanged: regOps.size, devicesChanged: devOps.size, endOverlaps, overlayEntries: ovM.size + ovD.size, ms: performance.now() - t0,
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
  if (findSlot(index.main, key) < 0) return []
  return Array.from(index.main.periods.subarray(hit.p * 3, (hit.p + hit.n) * 3))
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
  for (let r = row, e = index.deviceRowsEnd(row); r < e; r++) {
    const ref = d.ref[r]!
    keys.push(ref & ORPHAN_BIT ? keyOfSlot(index.orphans, ref & 0x7fffffff) : keyOfSlot(index.main, ref))
    roles.push(d.role[r]!)
  }
  return { type: d.type[row]!, status: d.status[row]!, keys, roles }
}
