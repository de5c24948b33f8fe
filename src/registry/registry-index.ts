// The compact registration index (docs/registry.md, "The index"): MPxNs, periods and devices live in
// sorted, bit-packed arrays on SharedArrayBuffers (packed-mpxn-table.ts, packed-device-table.ts);
// only parties (tens) are objects. Immutable once built: a reload builds a new instance and the
// caller swaps the reference; a delta adds an overlay consulted before the tables (delta.ts).
import { findMpxn, keyOfEntry, periodFrom, periodIn, periodMpid, periodRange, periodTo, type KeyTable, type PackedMpxnTable, type PeriodRange } from './packed-mpxn-table.js'
import { deviceRowsEnd, eachPermutedRow, findDeviceRow, MPXN_ROLE_EXPORT, refAt, roleAt, statusAt, typeAt, type PackedDeviceTable } from './packed-device-table.js'
import { MPID_MASK } from './period-rules.js'
import { perm, unpermEui } from './key-permutation.js'
import { formatDay, OPEN_DAY, parseDay } from './day.js'
import { eui, formatEui, mpxnKey, mpxnOfKey, parseEui } from './keys.js'
import { deviceFactsFromLinks, factsFromPeriods, isReachable } from './lookup.js'
import type { SourceStamp } from './sources.js'
import type {
  DeviceStatus, DeviceType, FactsDay, MpxnFacts, MpxnRole, OwnParties, Party, RegistryCounts, RegistryIndex, SupplyPeriod, UserRole,
} from './types.js'

/** Device types in storage order (index + 1 is the stored code; 0 = none). */
export const DEVICE_TYPES: readonly DeviceType[] = ['ESME', 'GSME', 'CHF', 'GPF', 'PPMID', 'IHD', 'CAD', 'HCALCS']
/** DUIS DeviceStatus values (SR 8.2 DSPInventory), same encoding. */
export const DEVICE_STATUSES: readonly DeviceStatus[] = [
  'Pending', 'Whitelisted', 'InstalledNotCommissioned', 'Commissioned', 'Decommissioned',
  'Withdrawn', 'Suspended', 'Recovery', 'Recovered',
]

/**
 * Names the in-memory layout of the tables below and the rules that build them. A compiled
 * snapshot (snapshot-file.ts) written under another layout is refused as stale and rebuilt:
 * change this whenever a table gains, loses or re-encodes an array, or a build rule changes.
 */
export const INDEX_LAYOUT =
  'packed: keys sorted by a 4-round Feistel permutation; main{starts,low,count(6),sample(32),periods(from,to,mpid,implied-end)} orphans{starts,low} devices{starts,hi,lo,ref(main entry|main.n+orphan),meta(type-1|status<<3|role<<7); links in devices.csv order} v4'

/** The field widths of an index's packed tables (a snapshot's header states them). */
export interface LayoutWidths {
  /** bucket bits of the MPxN table */
  mainBits: number
  dayBits: number
  mpidBits: number
  /** bits of one period: 2 * dayBits + mpidBits + 1 */
  periodBits: number
  /** bucket bits of the device table */
  devBits: number
  refBits: number
  /** stored day 0 */
  dayBase: string
  periods: number
  orphans: number
  deviceRows: number
}

export function widthsOf(s: Pick<RegistrySnapshot, 'main' | 'orphans' | 'devices'>): LayoutWidths {
  const { main, orphans, devices } = s
  return {
    mainBits: main.bits, dayBits: main.dayBits, mpidBits: main.mpidBits, periodBits: 2 * main.dayBits + main.mpidBits + 1,
    devBits: devices.bits, refBits: devices.refBits, dayBase: formatDay(main.dayBase), periods: main.nPeriods, orphans: orphans.n, deviceRows: devices.rows,
  }
}

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
  main: PackedMpxnTable
  orphans: KeyTable
  devices: PackedDeviceTable
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

/** OverlayData as maps: MPxN key -> flat periods, device EUI-64 -> entry. */
export interface OverlayMaps {
  mpxns: ReadonlyMap<number, readonly number[]>
  devices: ReadonlyMap<string, OverlayDevice>
}

const roleName = (code: number): MpxnRole => (code === MPXN_ROLE_EXPORT ? 'export' : 'import')

/** The overlay's entry of a device (OverlayData.devices, as a map value). */
export interface OverlayDevice {
  type: number
  status: number
  keys: readonly number[]
  roles: readonly number[]
}

export class CompactRegistry implements RegistryIndex {
  readonly loadedAt: number
  readonly counts: RegistryCounts
  readonly main: PackedMpxnTable
  readonly orphans: KeyTable
  readonly dev: PackedDeviceTable
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
  /** periods of this index's last slotOf / slotOfKey hit (scratch of this instance: no allocation per lookup) */
  readonly #hit: PeriodRange = { p: 0, n: 0 }

  /**
   * `maps`: the overlay of `s` as maps already (delta.ts builds them in slices, so that the swap
   * does not rebuild them in one piece); else built here from `s.overlay`.
   */
  constructor(s: RegistrySnapshot, maps?: OverlayMaps) {
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
    this.#ovMpxns = maps?.mpxns ?? new Map(s.overlay?.mpxns)
    this.#ovDevices = maps?.devices ?? new Map(s.overlay?.devices.map(([id, type, status, keys, roles]) => [id, { type, status, keys, roles }]))
    this.hasOverlay = this.#ovMpxns.size + this.#ovDevices.size > 0
  }

  /** The overlay as maps (not to be changed: a delta copies them). */
  overlayMaps(): OverlayMaps {
    return { mpxns: this.#ovMpxns, devices: this.#ovDevices }
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
   * Main-table entry of an MPxN (has registration rows), or -1. On a hit, periodInRange() looks in
   * its periods until this index's next lookup.
   */
  slotOf(mpxn: string): number {
    const k = mpxnKey(mpxn)
    return k < 0 ? -1 : findMpxn(this.main, k, this.#hit)
  }
  /** Entry of a numeric MPxN key (keys.ts mpxnKey), or -1; like slotOf. */
  slotOfKey(key: number): number {
    return findMpxn(this.main, key, this.#hit)
  }
  /** Period covering day number `day` among the periods of this index's last hit, or -1. */
  periodInRange(day: number): number {
    return periodIn(this.main, this.#hit.p, this.#hit.n, day)
  }
  /**
   * Lookup of numeric MPxN keys: out[i] = period covering day number `day`, -1 none, -2 unknown
   * MPxN (the tables only: the overlay is the caller's).
   */
  lookupKeys(keys: Float64Array, day: number, out: Int32Array, count = keys.length): void {
    for (let i = 0; i < count; i++) out[i] = findMpxn(this.main, keys[i]!, this.#hit) < 0 ? -2 : this.periodInRange(day)
  }
  periodFrom(p: number): number {
    return periodFrom(this.main, p)
  }
  /** exclusive end day, OPEN_DAY when open */
  periodTo(p: number): number {
    return periodTo(this.main, p)
  }
  periodMpid(p: number): number {
    return periodMpid(this.main, p)
  }
  period(p: number): SupplyPeriod {
    const to = this.periodTo(p)
    const sp: SupplyPeriod = { mpid: this.mpidNames[this.periodMpid(p)]!, from: formatDay(this.periodFrom(p)) }
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
    const { p, n } = this.#hit
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
    const p = this.periodInRange(d)
    return p < 0 ? undefined : this.period(p)
  }

  /** First device-table row of a device, or -1. */
  deviceRowOf(deviceId: string): number {
    return parseEui(deviceId) ? findDeviceRow(this.dev, eui.hi, eui.lo) : -1
  }
  /** MPxN key of a device-table ref (a main entry, or main.n + an orphan entry). */
  keyOfRef(ref: number): number {
    const n = this.main.n
    return ref < n ? keyOfEntry(this.main, ref) : keyOfEntry(this.orphans, ref - n)
  }
  /** MPxN string of a device-table ref. */
  mpxnOfRef(ref: number): string {
    return mpxnOfKey(this.keyOfRef(ref))
  }
  /** Rows of the device starting at `row` (exclusive end). */
  deviceRowsEnd(row: number): number {
    return deviceRowsEnd(this.dev, row)
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
    return this.#linksOfDevice(deviceId, (ov, i) => mpxnOfKey(ov.keys[i]!), (r) => this.mpxnOfRef(refAt(this.dev, r)))
  }
  mpxnRolesOfDevice(deviceId: string): readonly MpxnRole[] | undefined {
    return this.#linksOfDevice(deviceId, (ov, i) => roleName(ov.roles[i]!), (r) => roleName(roleAt(this.dev, r)))
  }
  deviceType(deviceId: string): DeviceType | undefined {
    const ov = this.overlayDevice(deviceId)
    if (ov) return DEVICE_TYPES[ov.type - 1]
    const row = this.deviceRowOf(deviceId)
    return row < 0 ? undefined : DEVICE_TYPES[typeAt(this.dev, row) - 1]
  }
  /** DUIS DeviceStatus from the optional 4th devices.csv column; undefined when not given. */
  deviceStatus(deviceId: string): DeviceStatus | undefined {
    const ov = this.overlayDevice(deviceId)
    if (ov) return ov.type === 0 ? undefined : DEVICE_STATUSES[ov.status - 1]
    const row = this.deviceRowOf(deviceId)
    return row < 0 ? undefined : DEVICE_STATUSES[statusAt(this.dev, row) - 1]
  }

  mpxnFacts(mpxn: string, at: FactsDay, own: OwnParties | undefined): MpxnFacts {
    // a delta overlay (delta.ts) answers for the MPxNs it changed: those from their periods
    if (this.hasOverlay && this.inOverlay(mpxn)) return factsFromPeriods(this, mpxn, at, own)
    return this.#tableFacts(mpxn, this.slotOf(mpxn), at.dayNumber, own)
  }

  deviceMpxnFacts(deviceId: string, at: FactsDay, own: OwnParties | undefined): MpxnFacts[] | undefined {
    if (this.overlayDevice(deviceId)) return deviceFactsFromLinks(this, deviceId, at, own)
    const row = this.deviceRowOf(deviceId)
    if (row < 0) return undefined
    const out: MpxnFacts[] = []
    for (let r = row, e = this.deviceRowsEnd(row); r < e; r++) {
      const ref = refAt(this.dev, r)
      const mpxn = this.mpxnOfRef(ref)
      let f: MpxnFacts
      if (this.hasOverlay && this.inOverlay(mpxn)) f = factsFromPeriods(this, mpxn, at, own)
      else {
        const slot = ref < this.main.n ? ref : -1 // orphans: named by a device, no registration rows
        if (slot >= 0) periodRange(this.main, slot, this.#hit)
        f = this.#tableFacts(mpxn, slot, at.dayNumber, own)
      }
      if (roleAt(this.dev, r) === MPXN_ROLE_EXPORT) f.role = 'export'
      out.push(f)
    }
    return out
  }

  /** mpxnFacts from the tables, for `slot` (-1: no registration rows) whose periods are in this.#hit. */
  #tableFacts(mpxn: string, slot: number, day: number, own: OwnParties | undefined): MpxnFacts {
    const f: MpxnFacts = { mpxn, known: slot >= 0 }
    if (slot < 0) return f
    const { p: first, n } = this.#hit
    const p = this.periodInRange(day)
    if (p >= 0) {
      const party = this.mpidParty[this.periodMpid(p)]
      f.period = Object.assign(this.period(p), { partyId: party?.id, reachable: isReachable(party) })
      if (!party) delete f.period.partyId
    }
    if (own) {
      for (let q = first + n - 1; q >= first; q--) {
        const to = this.periodTo(q) // exclusive: the day after the last day supplied
        const party = this.mpidParty[this.periodMpid(q)]
        if (to !== OPEN_DAY && to <= day && party !== undefined && own.parties.includes(party)) {
          f.recipientLastPeriod = this.period(q)
          break
        }
      }
    }
    return f
  }

  deviceLinksWithStatus(status: DeviceStatus): { deviceId: string; mpxn: string }[] {
    const code = DEVICE_STATUSES.indexOf(status) + 1
    const d = this.dev
    const out: { deviceId: string; mpxn: string }[] = []
    eachPermutedRow(d, (r, a, b) => {
      if (statusAt(d, r) !== code) return
      unpermEui(a, b) // only for the rows asked for: the other rows' IDs are not needed
      const deviceId = formatEui(perm.a, perm.b)
      if (!this.overlayDevice(deviceId)) out.push({ deviceId, mpxn: this.mpxnOfRef(refAt(d, r)) })
    })
    for (const [deviceId, ov] of this.#ovDevices)
      if (ov.type !== 0 && ov.status === code) for (const k of ov.keys) out.push({ deviceId, mpxn: mpxnOfKey(k) })
    return out
  }
}
