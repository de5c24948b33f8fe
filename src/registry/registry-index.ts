// The compact registration index (issue: "Registration index at national scale"). MPxNs,
// periods and devices live in SharedArrayBuffer-backed typed arrays (mpxn-table.ts,
// build-devices.ts); only parties (tens) are objects. Immutable once built: a reload builds a new
// instance and the caller swaps the reference.
import { findSlot, hit, keyOfSlot, lookupBatch, periodIn, slotRange, type MpxnTable } from './mpxn-table.js'
import { findDeviceRow, MPXN_ROLE_EXPORT, ORPHAN_BIT, type DeviceTable } from './device-table.js'
import { MPID_MASK } from './period-rules.js'
import { formatDay, OPEN_DAY, parseDay } from './day.js'
import { eui, mpxnKey, mpxnOfKey, parseEui } from './keys.js'
import type { SourceStamp } from './sources.js'
import type { DeviceType, MpxnRole, Party, RegistryCounts, RegistryIndex, SupplyPeriod, UserRole } from './types.js'

/** Device types in storage order (index + 1 is the stored code; 0 = none). */
export const DEVICE_TYPES: readonly DeviceType[] = ['ESME', 'GSME', 'CHF', 'GPF', 'PPMID', 'IHD', 'CAD', 'HCALCS']
/** DUIS DeviceStatus values (SR 8.2 DSPInventory), same encoding. */
export const DEVICE_STATUSES = [
  'Pending', 'Whitelisted', 'InstalledNotCommissioned', 'Commissioned', 'Decommissioned',
  'Withdrawn', 'Suspended', 'Recovery', 'Recovered',
] as const
export type DeviceStatus = (typeof DEVICE_STATUSES)[number]

/**
 * Names the in-memory layout of the tables below and the rules that build them. A compiled
 * snapshot (snapshot-file.ts) written under another layout is refused as stale and rebuilt:
 * change this whenever a table gains, loses or re-encodes an array, or a build rule changes.
 */
export const INDEX_LAYOUT =
  'main{starts,slots,periods(mpid|implied-end; effective_to inclusive, stored end exclusive)} orphans{starts,slots,periods} devices{starts,hi,lo,ref,type,status,role} v2'

/**
 * Plain-object form of an index: typed arrays over SharedArrayBuffers plus parties. A structured
 * clone (postMessage to a worker) shares the buffers instead of copying them.
 */
export interface RegistrySnapshot {
  loadedAt: number
  counts: RegistryCounts
  parties: Party[]
  /** MPID table: stored MPID code i is mpids[i] */
  mpids: string[]
  main: MpxnTable
  orphans: MpxnTable
  devices: DeviceTable
  /** changes applied by delta files on top of the tables (delta.ts), until compacted */
  overlay?: OverlayData
  /** delta files already folded into the tables (compact.ts), in order */
  baked?: { name: string; crc32: number }[]
  /** the source files the tables were built from (a snapshot's header, or the build's stamps) */
  sources?: SourceStamp[]
}

/**
 * Delta changes over the tables (docs/registry.md), plain data (it rides to the pool workers as JSON).
 * An entry replaces what the tables say about its MPxN or device.
 */
export interface OverlayData {
  /** delta files applied, in order */
  deltas: { name: string; crc32: number }[]
  /** MPxN key -> its periods, flat [from, to, MPID code (| IMPLIED_END)]...; [] = no registration rows */
  mpxns: [number, number[]][]
  /**
   * device EUI-64 (upper-case, dashed) -> [type, status, MPxN keys, mpxn_role of each key
   * (MPXN_ROLE_IMPORT / MPXN_ROLE_EXPORT)]; type 0 = the device is gone
   */
  devices: [string, number, number, number[], number[]][]
}

const roleName = (code: number): MpxnRole => (code === MPXN_ROLE_EXPORT ? 'export' : 'import')

interface OverlayDevice {
  type: number
  status: number
  keys: readonly number[]
  roles: readonly number[]
}

export class CompactRegistry implements RegistryIndex {
  readonly loadedAt: number
  readonly counts: RegistryCounts
  readonly main: MpxnTable
  readonly orphans: MpxnTable
  readonly dev: DeviceTable
  readonly mpidNames: readonly string[]
  /** owner party of each stored MPID code (undefined: no party holds it) */
  readonly mpidParty: readonly (Party | undefined)[]
  readonly #snapshot: RegistrySnapshot
  readonly #parties: readonly Party[]
  readonly #byId = new Map<string, Party>()
  readonly #byUser = new Map<string, { party: Party; role: UserRole }>()
  readonly #byMpid = new Map<string, Party>()
  readonly #ovMpxns: ReadonlyMap<number, readonly number[]>
  readonly #ovDevices: ReadonlyMap<string, OverlayDevice>
  /** a delta overlay is in use: lookups check it before the tables */
  readonly hasOverlay: boolean

  constructor(s: RegistrySnapshot) {
    this.#snapshot = s
    this.loadedAt = s.loadedAt
    this.counts = s.counts
    this.main = s.main
    this.orphans = s.orphans
    this.dev = s.devices
    this.#parties = s.parties
    for (const p of s.parties) {
      this.#byId.set(p.id, p)
      for (const u of p.userIds) this.#byUser.set(u.eui64.toUpperCase(), { party: p, role: u.role })
      for (const m of p.mpids) this.#byMpid.set(m.toUpperCase(), p)
    }
    this.mpidNames = s.mpids
    this.mpidParty = s.mpids.map((m) => this.#byMpid.get(m))
    this.#ovMpxns = new Map(s.overlay?.mpxns)
    this.#ovDevices = new Map(s.overlay?.devices.map(([id, type, status, keys, roles]) => [id, { type, status, keys, roles }]))
    this.hasOverlay = this.#ovMpxns.size + this.#ovDevices.size > 0
  }

  /** The overlay's periods of an MPxN key (flat triples), or undefined when the tables answer. */
  overlayPeriods(key: number): readonly number[] | undefined {
    return this.#ovMpxns.get(key)
  }
  /** The MPxN is answered by the overlay (only meaningful when hasOverlay). */
  inOverlay(mpxn: string): boolean {
    return this.#ovMpxns.has(mpxnKey(mpxn))
  }
  /** The overlay's entry of a device (any case), or undefined when the tables answer. */
  overlayDevice(deviceId: string): OverlayDevice | undefined {
    return this.hasOverlay ? this.#ovDevices.get(deviceId.toUpperCase()) : undefined
  }
  #flatPeriod(flat: readonly number[], i: number): SupplyPeriod {
    const to = flat[i + 1]!
    const sp: SupplyPeriod = { mpid: this.mpidNames[flat[i + 2]! & MPID_MASK]!, from: formatDay(flat[i]!) }
    if (to !== OPEN_DAY) sp.to = formatDay(to - 1) // stored exclusive; SupplyPeriod.to is the last day
    return sp
  }

  static fromShared(s: RegistrySnapshot): CompactRegistry {
    return new CompactRegistry(s)
  }
  toShared(): RegistrySnapshot {
    return this.#snapshot
  }

  /** Bytes held in typed arrays (the index proper; parties and a delta overlay not counted). */
  byteSize(): number {
    let n = 0
    for (const t of [this.main, this.orphans, this.dev])
      for (const v of Object.values(t)) if (ArrayBuffer.isView(v)) n += v.byteLength
    return n
  }

  party(id: string): Party | undefined {
    return this.#byId.get(id)
  }
  parties(): readonly Party[] {
    return this.#parties
  }
  partyByUserId(eui64: string): { party: Party; role: UserRole } | undefined {
    return this.#byUser.get(eui64) ?? this.#byUser.get(eui64.toUpperCase())
  }
  partyByMpid(mpid: string): Party | undefined {
    return this.#byMpid.get(mpid) ?? this.#byMpid.get(mpid.toUpperCase())
  }

  /**
   * Main-table slot of an MPxN (has registration rows), or -1. On a hit, `periodRange` holds its
   * periods [p, p + n) until the next lookup.
   */
  slotOf(mpxn: string): number {
    const k = mpxnKey(mpxn)
    return k < 0 ? -1 : findSlot(this.main, k)
  }
  /** Slot of a numeric MPxN key (keys.ts mpxnKey), or -1; sets `periodRange` like slotOf. */
  slotOfKey(key: number): number {
    return findSlot(this.main, key)
  }
  /** Period range of the last slotOf / slotOfKey hit (or of `rangeOfSlot`). */
  get periodRange(): { readonly p: number; readonly n: number } {
    return hit
  }
  /** Sets `periodRange` to the periods of a known slot (e.g. a device's ref). */
  rangeOfSlot(slot: number): { readonly p: number; readonly n: number } {
    slotRange(this.main, slot)
    return hit
  }
  /** Period number covering day number `day` for a slot, or -1. */
  periodIndexAt(slot: number, day: number): number {
    slotRange(this.main, slot)
    return periodIn(this.main.periods, hit.p, hit.n, day)
  }
  /** Period covering day number `day` among the periods of the last hit, or -1 (no second hash). */
  periodInRange(day: number): number {
    return periodIn(this.main.periods, hit.p, hit.n, day)
  }
  /**
   * Batched lookup of numeric MPxN keys (mpxn-table.ts): out[i] = period covering day number
   * `day`, -1 none, -2 unknown MPxN. Faster than one lookup at a time: cache misses overlap.
   */
  lookupKeys(keys: Float64Array, day: number, out: Int32Array, count = keys.length): void {
    lookupBatch(this.main, keys, 0, count, day, out)
  }
  periodFrom(p: number): number {
    return this.main.periods[p * 3]!
  }
  periodTo(p: number): number {
    return this.main.periods[p * 3 + 1]!
  }
  periodMpid(p: number): number {
    return this.main.periods[p * 3 + 2]! & MPID_MASK
  }
  period(p: number): SupplyPeriod {
    const per = this.main.periods
    const to = per[p * 3 + 1]!
    const sp: SupplyPeriod = { mpid: this.mpidNames[per[p * 3 + 2]! & MPID_MASK]!, from: formatDay(per[p * 3]!) }
    if (to !== OPEN_DAY) sp.to = formatDay(to - 1) // stored exclusive; SupplyPeriod.to is the last day
    return sp
  }

  periods(mpxn: string): readonly SupplyPeriod[] {
    const ov = this.hasOverlay ? this.#ovMpxns.get(mpxnKey(mpxn)) : undefined
    if (ov) {
      const out: SupplyPeriod[] = []
      for (let i = 0; i < ov.length; i += 3) out.push(this.#flatPeriod(ov, i))
      return out
    }
    const slot = this.slotOf(mpxn)
    if (slot < 0) return []
    const { p, n } = hit
    const out: SupplyPeriod[] = []
    for (let q = p; q < p + n; q++) out.push(this.period(q))
    return out
  }
  periodAt(mpxn: string, day: string): SupplyPeriod | undefined {
    const d = parseDay(day)
    const ov = this.hasOverlay ? this.#ovMpxns.get(mpxnKey(mpxn)) : undefined
    if (ov) {
      for (let i = ov.length - 3; i >= 0; i -= 3) if (ov[i]! <= d) return d < ov[i + 1]! ? this.#flatPeriod(ov, i) : undefined
      return undefined
    }
    const slot = this.slotOf(mpxn)
    if (slot < 0 || d < 0) return undefined
    const p = periodIn(this.main.periods, hit.p, hit.n, d)
    return p < 0 ? undefined : this.period(p)
  }

  /** First device-table row of a device, or -1. */
  deviceRowOf(deviceId: string): number {
    return parseEui(deviceId) ? findDeviceRow(this.dev, eui.hi, eui.lo) : -1
  }
  /** MPxN string of a device-table ref. */
  mpxnOfRef(ref: number): string {
    return mpxnOfKey(ref & ORPHAN_BIT ? keyOfSlot(this.orphans, ref & 0x7fffffff) : keyOfSlot(this.main, ref))
  }
  /** Rows of the device starting at `row` (exclusive end). */
  deviceRowsEnd(row: number): number {
    const d = this.dev
    let e = row + 1
    while (e < d.hi.length && d.hi[e] === d.hi[row] && d.lo[e] === d.lo[row]) e++
    return e
  }
  /** Per link of a device (overlay first): `fromOverlay(i)` or `fromRow(r)`; undefined when unknown. */
  #linksOfDevice<T>(deviceId: string, fromOverlay: (ov: OverlayDevice, i: number) => T, fromRow: (r: number) => T): T[] | undefined {
    const ov = this.overlayDevice(deviceId)
    if (ov) return ov.type === 0 ? undefined : ov.keys.map((_k, i) => fromOverlay(ov, i))
    const row = this.deviceRowOf(deviceId)
    if (row < 0) return undefined
    const out: T[] = []
    for (let r = row, e = this.deviceRowsEnd(row); r < e; r++) out.push(fromRow(r))
    return out
  }
  mpxnsOfDevice(deviceId: string): readonly string[] | undefined {
    return this.#linksOfDevice(deviceId, (ov, i) => mpxnOfKey(ov.keys[i]!), (r) => this.mpxnOfRef(this.dev.ref[r]!))
  }
  mpxnRolesOfDevice(deviceId: string): readonly MpxnRole[] | undefined {
    return this.#linksOfDevice(deviceId, (ov, i) => roleName(ov.roles[i]!), (r) => roleName(this.dev.role[r]!))
  }
  deviceType(deviceId: string): DeviceType | undefined {
    const ov = this.overlayDevice(deviceId)
    if (ov) return DEVICE_TYPES[ov.type - 1]
    const row = this.deviceRowOf(deviceId)
    return row < 0 ? undefined : DEVICE_TYPES[this.dev.type[row]! - 1]
  }
  /** DUIS DeviceStatus from the optional 4th devices.csv column; undefined when not given. */
  deviceStatus(deviceId: string): DeviceStatus | undefined {
    const ov = this.overlayDevice(deviceId)
    if (ov) return ov.type === 0 ? undefined : DEVICE_STATUSES[ov.status - 1]
    const row = this.deviceRowOf(deviceId)
    return row < 0 ? undefined : DEVICE_STATUSES[this.dev.status[row]! - 1]
  }
}
