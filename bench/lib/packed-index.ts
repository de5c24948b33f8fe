// A measured prototype (bench/registry-packed.bench.ts): the registration index as sorted,
// bit-packed arrays instead of hash tables of whole words (docs/registry.md, "The index").
//
// Keys are sorted by an invertible permutation of their bits (a 4-round Feistel network), so a
// bucket table on the permuted key's top bits spreads the keys evenly however the real ones cluster
// (an MPAN starts with its distributor's digits; EUI-64s share their maker's OUI: the bench world's
// all begin 00-12-4B-00), and only the bits below the bucket are stored per key: the bucket and the
// stored bits give the permuted key back, the inverse permutation the key.
//   MPxN table   starts[2^bits + 1] (first entry of each bucket), low[] (44 - bits bits per MPxN),
//                count[] (6 bits: its periods), sample[] (first period of every 32nd MPxN),
//                periods[] (from, to, MPID code, implied-end: one record of 2 * dayBits + mpidBits + 1 bits)
//   orphans      the MPxNs devices name without registration rows: a key table without periods
//   devices      starts[2^bits + 1], hi[] (32 - bits bits), lo[] (Uint32), ref[] (MPxN entry, or
//                main entries + orphan entry), meta[] (Uint8: type, status, mpxn_role as today's)
// One row per device and MPxN, a device's rows contiguous (sorted by permuted EUI-64, then MPxN entry).
import { isReachable } from '../../dist/registry/lookup.js'
import { formatDay, OPEN_DAY, parseDay } from '../../dist/registry/day.js'
import { eui, formatEui, mpxnKey, mpxnOfKey, parseEui, TWO32 } from '../../dist/registry/keys.js'
import { DEVICE_STATUSES, DEVICE_TYPES } from '../../dist/registry/index.js'
import type {
  DeviceStatus, DeviceType, FactsDay, MpxnFacts, MpxnRole, OwnParties, Party, RegistryCounts, RegistryIndex, SupplyPeriod, UserRole,
} from '../../dist/registry/index.js'

// ---- bit fields -------------------------------------------------------------------------------

/** Words (Uint32) holding `n` fields of `bits` bits. */
export function wordsFor(n: number, bits: number): number {
  const total = n * bits
  if (total >= TWO32) throw new Error(`${n} fields of ${bits} bits: more than 2^32 bits in one array`)
  return Math.ceil(total / 32)
}

/** Field of `n` (1-32) bits at bit `bit`. */
export function readBits(w: Uint32Array, bit: number, n: number): number {
  const i = bit >>> 5
  const s = bit & 31
  let v = w[i]! >>> s
  if (s + n > 32) v |= w[i + 1]! << (32 - s)
  return n === 32 ? v >>> 0 : v & ((1 << n) - 1)
}

/** Writes a field into words still zero there (the build writes each field once, in order). */
export function writeBits(w: Uint32Array, bit: number, n: number, v: number): void {
  const i = bit >>> 5
  const s = bit & 31
  w[i]! |= v << s
  if (s + n > 32) w[i + 1]! |= v >>> (32 - s)
}

/** Bits to hold values 0..max. */
export function bitsFor(max: number): number {
  return Math.max(1, Math.ceil(Math.log2(max + 1)))
}

// ---- key permutations -------------------------------------------------------------------------

const ROUNDS = [0x9e3779b9, 0x7f4a7c15, 0x85ebca6b, 0xc2b2ae35]
function mix(x: number, c: number): number {
  let h = Math.imul(x ^ c, 0xcc9e2d51)
  h ^= h >>> 15
  h = Math.imul(h, 0x1b873593)
  h ^= h >>> 13
  return h >>> 0
}

/** 2^22: an MPxN's dense number (below 2^44) is permuted as two 22-bit halves. */
export const HALF = 4194304
const M22 = HALF - 1
/** dense number of the first MPxN of each length (1-13 digits): lengths one after another */
const LEN_BASE: number[] = [0, 0]
for (let l = 1; l <= 13; l++) LEN_BASE[l + 1] = LEN_BASE[l]! + 10 ** l

/** Scratch result of the permutations (no allocation per key). */
export const perm = { a: 0, b: 0 }

/** Permuted halves of an MPxN key (keys.ts mpxnKey: length * 1e13 + value) into `perm` (22 + 22 bits). */
export function permMpxn(key: number): void {
  const len = Math.floor(key / 1e13)
  const d = LEN_BASE[len]! + (key - len * 1e13)
  let a = Math.floor(d / HALF)
  let b = d - a * HALF
  for (let r = 0; r < 4; r++) {
    const t = a ^ (mix(b, ROUNDS[r]!) & M22)
    a = b
    b = t
  }
  perm.a = a
  perm.b = b
}

/** MPxN key of permuted halves. */
export function unpermMpxn(a: number, b: number): number {
  for (let r = 3; r >= 0; r--) {
    const t = b ^ (mix(a, ROUNDS[r]!) & M22)
    b = a
    a = t
  }
  const d = a * HALF + b
  let len = 13
  while (LEN_BASE[len]! > d) len--
  return len * 1e13 + (d - LEN_BASE[len]!)
}

/** Permuted halves of an EUI-64 into `perm` (32 + 32 bits). */
export function permEui(hi: number, lo: number): void {
  let a = hi
  let b = lo
  for (let r = 0; r < 4; r++) {
    const t = (a ^ mix(b, ROUNDS[r]!)) >>> 0
    a = b
    b = t
  }
  perm.a = a
  perm.b = b
}

export function unpermEui(a: number, b: number): void {
  for (let r = 3; r >= 0; r--) {
    const t = (b ^ mix(a, ROUNDS[r]!)) >>> 0
    b = a
    a = t
  }
  perm.a = a
  perm.b = b
}

// ---- the index as plain data ------------------------------------------------------------------

/** Sorted MPxN keys: entry i's permuted key is (its bucket, low[i]). */
export interface KeyTable {
  /** bucket bits (12-22): a bucket is the top `bits` of the permuted key's high half */
  bits: number
  n: number
  starts: Uint32Array
  /** 44 - bits bits per entry */
  low: Uint32Array
}

export interface PackedIndex {
  counts: RegistryCounts
  parties: Party[]
  mpids: string[]
  main: KeyTable
  /** 6 bits per main entry: its period count (1-63) */
  count: Uint32Array
  /** first period of main entries 0, 32, 64, ... */
  sample: Uint32Array
  periods: Uint32Array
  nPeriods: number
  /** day number of stored day 0 */
  dayBase: number
  dayBits: number
  mpidBits: number
  orphans: KeyTable
  dev: {
    bits: number
    rows: number
    devices: number
    starts: Uint32Array
    /** low 32 - bits bits of the permuted EUI-64's high half */
    hi: Uint32Array
    /** the permuted EUI-64's low half */
    lo: Uint32Array
    refBits: number
    /** main entry, or main.n + orphan entry */
    ref: Uint32Array
    /** device-table.ts metaOf: type - 1 | status << 3 | role << 7 */
    meta: Uint8Array
  }
}

export const COUNT_BITS = 6
export const SAMPLE_EVERY = 32
export const SAMPLE_SHIFT = 5

/** The typed arrays of an index by name (sizes, snapshot). */
export function arraysOf(x: PackedIndex): Record<string, Uint32Array | Uint8Array> {
  return {
    'main.starts': x.main.starts, 'main.low': x.main.low, 'main.count': x.count, 'main.sample': x.sample, 'main.periods': x.periods,
    'orphans.starts': x.orphans.starts, 'orphans.low': x.orphans.low,
    'dev.starts': x.dev.starts, 'dev.hi': x.dev.hi, 'dev.lo': x.dev.lo, 'dev.ref': x.dev.ref, 'dev.meta': x.dev.meta,
  }
}

export function byteSizeOf(x: PackedIndex): number {
  return Object.values(arraysOf(x)).reduce((n, a) => n + a.byteLength, 0)
}

/** Entry of permuted halves (a, b) in a key table, or -1. */
export function findEntry(t: KeyTable, a: number, b: number): number {
  const sh = 22 - t.bits
  const bucket = a >>> sh
  const want = (a & ((1 << sh) - 1)) * HALF + b
  const lb = 44 - t.bits
  const w = t.low
  let lo = t.starts[bucket]!
  let hi = t.starts[bucket + 1]!
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const v = readBits(w, mid * lb, lb)
    if (v < want) lo = mid + 1
    else if (v > want) hi = mid
    else return mid
  }
  return -1
}

/** MPxN key of entry i of a key table. */
export function keyOfEntry(t: KeyTable, i: number): number {
  let lo = 0
  let hi = t.starts.length - 1 // the bucket: last b with starts[b] <= i
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if (t.starts[mid]! <= i) lo = mid
    else hi = mid - 1
  }
  const sh = 22 - t.bits
  const low = readBits(t.low, i * (44 - t.bits), 44 - t.bits)
  const top = Math.floor(low / HALF)
  return unpermMpxn(lo * 2 ** sh + top, low - top * HALF)
}

const roleName = (meta: number): MpxnRole => (meta & 0x80 ? 'export' : 'import')

/** RegistryIndex over a PackedIndex (the hot path as CompactRegistry answers it; no delta overlay). */
export class PackedRegistry implements RegistryIndex {
  readonly loadedAt = Date.now()
  readonly counts: RegistryCounts
  readonly x: PackedIndex
  readonly #byId = new Map<string, Party>()
  readonly #byUser = new Map<string, { party: Party; role: UserRole }>()
  readonly #byMpid = new Map<string, Party>()
  readonly #mpidParty: (Party | undefined)[]
  readonly #per: Uint32Array
  readonly #W: number
  readonly #dw: number
  readonly #mw: number
  readonly #open: number
  /** first period and count of the last entry found (scratch) */
  #p = 0
  #n = 0

  constructor(x: PackedIndex) {
    this.x = x
    this.counts = x.counts
    for (const p of x.parties) {
      this.#byId.set(p.id, p)
      for (const u of p.userIds) this.#byUser.set(u.eui64.toUpperCase(), { party: p, role: u.role })
      for (const m of p.mpids) this.#byMpid.set(m.toUpperCase(), p)
    }
    this.#mpidParty = x.mpids.map((m) => this.#byMpid.get(m))
    this.#per = x.periods
    this.#dw = x.dayBits
    this.#mw = x.mpidBits
    this.#W = 2 * x.dayBits + x.mpidBits + 1
    this.#open = 2 ** x.dayBits - 1
  }

  party(id: string): Party | undefined {
    return this.#byId.get(id)
  }
  parties(): readonly Party[] {
    return this.x.parties
  }
  partyByUserId(eui64: string): { party: Party; role: UserRole } | undefined {
    return this.#byUser.get(eui64) ?? this.#byUser.get(eui64.toUpperCase())
  }
  partyByMpid(mpid: string): Party | undefined {
    return this.#byMpid.get(mpid) ?? this.#byMpid.get(mpid.toUpperCase())
  }

  /** Main entry of an MPxN key, or -1; on a hit sets the period range (#p, #n). */
  entryOfKey(k: number): number {
    permMpxn(k)
    const i = findEntry(this.x.main, perm.a, perm.b)
    if (i >= 0) this.#range(i)
    return i
  }
  #range(i: number): void {
    const c = this.x.count
    let p = this.x.sample[i >>> SAMPLE_SHIFT]!
    for (let j = i & ~(SAMPLE_EVERY - 1); j < i; j++) p += readBits(c, j * COUNT_BITS, COUNT_BITS)
    this.#p = p
    this.#n = readBits(c, i * COUNT_BITS, COUNT_BITS)
  }
  /** Period range of the last hit: first period, count. */
  get hitFirst(): number {
    return this.#p
  }
  get hitCount(): number {
    return this.#n
  }

  periodFrom(q: number): number {
    return readBits(this.#per, q * this.#W, this.#dw) + this.x.dayBase
  }
  /** exclusive end day, OPEN_DAY when open */
  periodTo(q: number): number {
    const t = readBits(this.#per, q * this.#W + this.#dw, this.#dw)
    return t === this.#open ? OPEN_DAY : t + this.x.dayBase
  }
  periodMpid(q: number): number {
    return readBits(this.#per, q * this.#W + 2 * this.#dw, this.#mw)
  }
  periodImplied(q: number): number {
    return readBits(this.#per, q * this.#W + 2 * this.#dw + this.#mw, 1)
  }
  period(q: number): SupplyPeriod {
    const to = this.periodTo(q)
    const sp: SupplyPeriod = { mpid: this.x.mpids[this.periodMpid(q)]!, from: formatDay(this.periodFrom(q)) }
    if (to !== OPEN_DAY) sp.to = formatDay(to - 1)
    return sp
  }
  #periodIn(day: number): number {
    for (let q = this.#p + this.#n - 1; q >= this.#p; q--) {
      if (this.periodFrom(q) <= day) return day < this.periodTo(q) ? q : -1
    }
    return -1
  }

  /** Period covering day number `day` of an MPxN key: its number, -1 none, -2 unknown MPxN (no objects made). */
  periodAtKey(k: number, day: number): number {
    return this.entryOfKey(k) < 0 ? -2 : this.#periodIn(day)
  }

  periods(mpxn: string): readonly SupplyPeriod[] {
    const k = mpxnKey(mpxn)
    if (k < 0 || this.entryOfKey(k) < 0) return []
    const out: SupplyPeriod[] = []
    for (let q = this.#p; q < this.#p + this.#n; q++) out.push(this.period(q))
    return out
  }
  periodAt(mpxn: string, day: string): SupplyPeriod | undefined {
    const k = mpxnKey(mpxn)
    const d = parseDay(day)
    if (k < 0 || this.entryOfKey(k) < 0 || d < 0) return undefined
    const q = this.#periodIn(d)
    return q < 0 ? undefined : this.period(q)
  }

  mpxnFacts(mpxn: string, at: FactsDay, own: OwnParties | undefined): MpxnFacts {
    const k = mpxnKey(mpxn)
    return this.#facts(mpxn, k < 0 ? -1 : this.entryOfKey(k), at.dayNumber, own)
  }

  /** today's #tableFacts, for main entry `i` (-1: no registration rows) whose range is set */
  #facts(mpxn: string, i: number, day: number, own: OwnParties | undefined): MpxnFacts {
    const f: MpxnFacts = { mpxn, known: i >= 0 }
    if (i < 0) return f
    const q = this.#periodIn(day)
    if (q >= 0) {
      const party = this.#mpidParty[this.periodMpid(q)]
      f.period = Object.assign(this.period(q), { partyId: party?.id, reachable: isReachable(party) })
      if (!party) delete f.period.partyId
    }
    if (own) {
      for (let r = this.#p + this.#n - 1; r >= this.#p; r--) {
        const to = this.periodTo(r)
        const party = this.#mpidParty[this.periodMpid(r)]
        if (to !== OPEN_DAY && to <= day && party !== undefined && own.parties.includes(party)) {
          f.recipientLastPeriod = this.period(r)
          break
        }
      }
    }
    return f
  }

  /** First device row of a device ID, or -1. */
  deviceRowOf(deviceId: string): number {
    return parseEui(deviceId) ? this.rowOfEui(eui.hi, eui.lo) : -1
  }
  rowOfEui(hi: number, lo: number): number {
    const d = this.x.dev
    permEui(hi, lo)
    const hb = 32 - d.bits
    const bucket = perm.a >>> hb
    const wantHi = hb === 32 ? perm.a : perm.a & ((1 << hb) - 1)
    const wantLo = perm.b
    let l = d.starts[bucket]!
    let h = d.starts[bucket + 1]!
    while (l < h) {
      const mid = (l + h) >>> 1
      const vh = readBits(d.hi, mid * hb, hb)
      if (vh < wantHi || (vh === wantHi && d.lo[mid]! < wantLo)) l = mid + 1
      else h = mid
    }
    return l < d.starts[bucket + 1]! && d.lo[l] === wantLo && readBits(d.hi, l * hb, hb) === wantHi ? l : -1
  }
  /** End (exclusive) of the device's rows starting at `row`. */
  deviceRowsEnd(row: number): number {
    const d = this.x.dev
    const hb = 32 - d.bits
    const h = readBits(d.hi, row * hb, hb)
    let e = row + 1
    while (e < d.rows && d.lo[e] === d.lo[row] && readBits(d.hi, e * hb, hb) === h) e++
    return e
  }
  refOf(r: number): number {
    return readBits(this.x.dev.ref, r * this.x.dev.refBits, this.x.dev.refBits)
  }
  mpxnOfRef(ref: number): string {
    const n = this.x.main.n
    return mpxnOfKey(ref < n ? keyOfEntry(this.x.main, ref) : keyOfEntry(this.x.orphans, ref - n))
  }

  #links<T>(deviceId: string, f: (r: number) => T): T[] | undefined {
    const row = this.deviceRowOf(deviceId)
    if (row < 0) return undefined
    const out: T[] = []
    for (let r = row, e = this.deviceRowsEnd(row); r < e; r++) out.push(f(r))
    return out
  }
  mpxnsOfDevice(deviceId: string): readonly string[] | undefined {
    return this.#links(deviceId, (r) => this.mpxnOfRef(this.refOf(r)))
  }
  mpxnRolesOfDevice(deviceId: string): readonly MpxnRole[] | undefined {
    return this.#links(deviceId, (r) => roleName(this.x.dev.meta[r]!))
  }
  deviceType(deviceId: string): DeviceType | undefined {
    const row = this.deviceRowOf(deviceId)
    return row < 0 ? undefined : DEVICE_TYPES[this.x.dev.meta[row]! & 7]
  }
  deviceStatus(deviceId: string): DeviceStatus | undefined {
    const row = this.deviceRowOf(deviceId)
    return row < 0 ? undefined : DEVICE_STATUSES[((this.x.dev.meta[row]! >>> 3) & 15) - 1]
  }

  deviceMpxnFacts(deviceId: string, at: FactsDay, own: OwnParties | undefined): MpxnFacts[] | undefined {
    return this.#links(deviceId, (r) => {
      const ref = this.refOf(r)
      const mpxn = this.mpxnOfRef(ref)
      const main = ref < this.x.main.n
      if (main) this.#range(ref)
      const f = this.#facts(mpxn, main ? ref : -1, at.dayNumber, own)
      if (this.x.dev.meta[r]! & 0x80) f.role = 'export'
      return f
    })
  }

  deviceLinksWithStatus(status: DeviceStatus): { deviceId: string; mpxn: string }[] {
    const code = DEVICE_STATUSES.indexOf(status) + 1
    const d = this.x.dev
    const hb = 32 - d.bits
    const out: { deviceId: string; mpxn: string }[] = []
    let b = 0
    for (let r = 0; r < d.rows; r++) {
      if (((d.meta[r]! >>> 3) & 15) !== code) continue
      while (d.starts[b + 1]! <= r) b++
      unpermEui((b * 2 ** hb + readBits(d.hi, r * hb, hb)) >>> 0, d.lo[r]!)
      out.push({ deviceId: formatEui(perm.a, perm.b), mpxn: this.mpxnOfRef(this.refOf(r)) })
    }
    return out
  }
}
