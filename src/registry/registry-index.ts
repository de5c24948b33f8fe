// The compact registration index (issue: "Registration index at national scale"). MPxNs,
// periods and devices live in SharedArrayBuffer-backed typed arrays (mpxn-table.ts,
// build-devices.ts); only parties (tens) are objects. Immutable once built: a reload builds a new
// instance and the caller swaps the reference.
import { findSlot, hit, keyOfSlot, lookupBatch, periodIn, slotRange, type MpxnTable } from './mpxn-table.js'
import { findDeviceRow, type DeviceTable } from './build-devices.js'
import { formatDay, OPEN_DAY, parseDay } from './day.js'
import { eui, mpxnKey, mpxnOfKey, parseEui } from './keys.js'
import { MPXN_ROLE_EXPORT, ORPHAN_BIT } from './staging.js'
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
  }

  static fromShared(s: RegistrySnapshot): CompactRegistry {
    return new CompactRegistry(s)
  }
  toShared(): RegistrySnapshot {
    return this.#snapshot
  }

  /** Bytes held in typed arrays (the index proper; parties not counted). */
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
    return this.main.periods[p * 3 + 2]!
  }
  period(p: number): SupplyPeriod {
    const per = this.main.periods
    const to = per[p * 3 + 1]!
    const sp: SupplyPeriod = { mpid: this.mpidNames[per[p * 3 + 2]!]!, from: formatDay(per[p * 3]!) }
    if (to !== OPEN_DAY) sp.to = formatDay(to - 1) // stored exclusive; SupplyPeriod.to is the last day
    return sp
  }

  periods(mpxn: string): readonly SupplyPeriod[] {
    const slot = this.slotOf(mpxn)
    if (slot < 0) return []
    const { p, n } = hit
    const out: SupplyPeriod[] = []
    for (let q = p; q < p + n; q++) out.push(this.period(q))
    return out
  }
  periodAt(mpxn: string, day: string): SupplyPeriod | undefined {
    const slot = this.slotOf(mpxn)
    const d = parseDay(day)
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
  mpxnsOfDevice(deviceId: string): readonly string[] | undefined {
    const row = this.deviceRowOf(deviceId)
    if (row < 0) return undefined
    const out: string[] = []
    for (let r = row, e = this.deviceRowsEnd(row); r < e; r++) out.push(this.mpxnOfRef(this.dev.ref[r]!))
    return out
  }
  mpxnRolesOfDevice(deviceId: string): readonly MpxnRole[] | undefined {
    const row = this.deviceRowOf(deviceId)
    if (row < 0) return undefined
    const out: MpxnRole[] = []
    for (let r = row, e = this.deviceRowsEnd(row); r < e; r++) out.push(this.dev.role[r] === MPXN_ROLE_EXPORT ? 'export' : 'import')
    return out
  }
  deviceType(deviceId: string): DeviceType | undefined {
    const row = this.deviceRowOf(deviceId)
    return row < 0 ? undefined : DEVICE_TYPES[this.dev.type[row]! - 1]
  }
  /** DUIS DeviceStatus from the optional 4th devices.csv column; undefined when not given. */
  deviceStatus(deviceId: string): DeviceStatus | undefined {
    const row = this.deviceRowOf(deviceId)
    return row < 0 ? undefined : DEVICE_STATUSES[this.dev.status[row]! - 1]
  }
}
