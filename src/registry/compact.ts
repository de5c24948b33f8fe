// Compaction (docs/registry.md): folds a delta overlay into new tables, so lookups go back to the compact
// path and the overlay stops growing. O(index): runs in a worker thread (compact-worker.ts) while
// the gateway serves on the overlay index, and its result is written as a snapshot.
import { bucketBitsFor, countsToStarts, sharedF64, sharedU16, sharedU32, sharedU8 } from './key-table.js'
import { hash2, hashMpxnKey, parseEui, eui } from './keys.js'
import { buildKeyTable, COUNT_UNIT, findSlot, keyOfSlot, SLOTS_PER_BUCKET, type MpxnTable } from './mpxn-table.js'
import { ORPHAN_BIT, ROWS_PER_BUCKET, type DeviceTable } from './device-table.js'
import type { RegistrySnapshot } from './registry-index.js'

const INV = 1 / COUNT_UNIT
const countOf = (v: number) => v - Math.floor(v * INV) * COUNT_UNIT

/** Every MPxN of the tables not replaced by the overlay, then the overlay's: key, periods. */
function eachMpxn(t: MpxnTable, ov: Map<number, number[]>, fn: (key: number, per: Uint16Array | readonly number[], p: number, n: number) => void): void {
  const nb = 2 ** t.bits
  for (let b = 0; b < nb; b++) {
    let p = t.starts[2 * b + 1]!
    for (let i = t.starts[2 * b]!, e = t.starts[2 * b + 2]!; i < e; i++) {
      const n = countOf(t.slots[i]!)
      const key = keyOfSlot(t, i)
      if (!ov.has(key)) fn(key, t.periods, p, n)
      p += n
    }
  }
  for (const [key, flat] of ov) if (flat.length > 0) fn(key, flat, 0, flat.length / 3)
}

/** `s` with its overlay folded into new tables (the old arrays are not changed). */
export function compactSnapshot(s: RegistrySnapshot): RegistrySnapshot {
  const ovM = new Map(s.overlay?.mpxns)
  let nm = 0
  let np = 0
  eachMpxn(s.main, ovM, (_k, _per, _p, n) => {
    nm++
    np += n
  })
  const bits = bucketBitsFor(nm, SLOTS_PER_BUCKET)
  const nb = 2 ** bits
  const shift = 32 - bits
  const starts = sharedU32(2 * nb + 2)
  eachMpxn(s.main, ovM, (key, _per, _p, n) => {
    const b = hashMpxnKey(key) >>> shift
    starts[2 * b]!++
    starts[2 * b + 1]! += n
  })
  let sAt = 0
  let pAt = 0
  for (let b = 0; b < nb; b++) {
    const cs = starts[2 * b]!
    const cp = starts[2 * b + 1]!
    starts[2 * b] = sAt
    starts[2 * b + 1] = pAt
    sAt += cs
    pAt += cp
  }
  starts[2 * nb] = sAt
  starts[2 * nb + 1] = pAt
  const fill = starts.slice() // fill pointers (a copy: the starts stay the buckets' beginnings)
  const slots = sharedF64(nm)
  const periods = sharedU16(3 * np)
  eachMpxn(s.main, ovM, (key, per, p, n) => {
    const b = hashMpxnKey(key) >>> shift
    slots[fill[2 * b]!++] = key * COUNT_UNIT + n
    const at = fill[2 * b + 1]!
    for (let j = 0; j < 3 * n; j++) periods[3 * at + j] = per[3 * p + j]!
    fill[2 * b + 1] = at + n
  })
  const main: MpxnTable = { bits, starts, slots, periods }

  // devices: the tables' rows of devices the overlay does not replace, then the overlay's
  const d = s.devices
  const ovD = new Map<number, [number, number, number, number, number[], number[]][]>() // lo -> [hi, lo, type, status, keys, roles]
  for (const [id, type, status, keys, roles] of s.overlay?.devices ?? []) {
    parseEui(id)
    const list = ovD.get(eui.lo) ?? ovD.set(eui.lo, []).get(eui.lo)!
    list.push([eui.hi, eui.lo, type, status, keys, roles])
  }
  const replaced = (h: number, l: number) => ovD.get(l)?.some((e) => e[0] === h) === true
  const keyOfRef = (ref: number) => (ref & ORPHAN_BIT ? keyOfSlot(s.orphans, ref & 0x7fffffff) : keyOfSlot(s.main, ref))
  const eachRow = (fn: (h: number, l: number, key: number, type: number, status: number, role: number, first: boolean) => void) => {
    for (let r = 0; r < d.hi.length; r++) {
      const h = d.hi[r]!
      const l = d.lo[r]!
      if (replaced(h, l)) continue
      fn(h, l, keyOfRef(d.ref[r]!), d.type[r]!, d.status[r]!, d.role[r]!, r === 0 || d.hi[r - 1] !== h || d.lo[r - 1] !== l)
    }
    for (const list of ovD.values())
      for (const [h, l, type, status, keys, roles] of list) if (type !== 0) keys.forEach((k, i) => fn(h, l, k, type, status, roles[i]!, i === 0))
  }
  let rows = 0
  let devices = 0
  const orphanOf = new Map<number, number>()
  eachRow((_h, _l, key, _t, _s, _r, first) => {
    rows++
    if (first) devices++
    if (findSlot(main, key) < 0 && !orphanOf.has(key)) orphanOf.set(key, orphanOf.size)
  })
  const { table: orphans, order } = buildKeyTable(Float64Array.from(orphanOf.keys()))
  const orphanSlot = new Uint32Array(order.length)
  for (let i = 0; i < order.length; i++) orphanSlot[order[i]!] = i
  const dbits = bucketBitsFor(rows, ROWS_PER_BUCKET)
  const dnb = 2 ** dbits
  const dshift = 32 - dbits
  const dstarts = sharedU32(dnb + 1)
  eachRow((h, l) => {
    dstarts[hash2(h, l) >>> dshift]!++
  })
  countsToStarts(dstarts, dnb)
  const dfill = dstarts.slice()
  const dev: DeviceTable = {
    bits: dbits, starts: dstarts, hi: sharedU32(rows), lo: sharedU32(rows), ref: sharedU32(rows), type: sharedU8(rows), status: sharedU8(rows), role: sharedU8(rows), devices,
  }
  eachRow((h, l, key, type, status, role) => {
    const r = dfill[hash2(h, l) >>> dshift]!++
    dev.hi[r] = h
    dev.lo[r] = l
    const slot = findSlot(main, key)
    dev.ref[r] = slot >= 0 ? slot : (ORPHAN_BIT | orphanSlot[orphanOf.get(key)!]!) >>> 0
    dev.type[r] = type
    dev.status[r] = status
    dev.role[r] = role
  })
  const { overlay, ...rest } = s
  return {
    ...rest,
    counts: { ...s.counts, registrations: np, mpxns: nm, devices },
    main, orphans, devices: dev,
    baked: [...(s.baked ?? []), ...(overlay?.deltas ?? [])],
  }
}
