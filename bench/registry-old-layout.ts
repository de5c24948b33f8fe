// The MPxN table as the first version laid it out (one array per field: bucket starts at ~2 keys
// per bucket, keys, period starts, from, to, MPID), rebuilt from a loaded index so that
// bench/registry.bench.ts can time old and new lookups on the same data in the same process.
import type { CompactRegistry } from '../dist/registry/index.js'
import { hashMpxnKey } from '../src/registry/keys.js'

export interface OldTable {
  bits: number
  starts: Uint32Array
  keys: Float64Array
  pStart: Uint32Array
  pFrom: Uint16Array
  pTo: Uint16Array
  pMpid: Uint16Array
}

export function oldLayoutOf(ix: CompactRegistry): OldTable {
  const m = ix.main
  const n = m.slots.length
  const bits = Math.max(4, Math.min(30, Math.ceil(Math.log2(Math.max(n, 1) / 2))))
  const nb = 2 ** bits
  const keyOf = (s: number) => Math.floor(m.slots[s]! / 64)
  const starts = new Uint32Array(nb + 1)
  const bucket = new Uint32Array(n)
  for (let s = 0; s < n; s++) starts[(bucket[s] = hashMpxnKey(keyOf(s)) >>> (32 - bits)) + 1]!++
  for (let b = 0; b < nb; b++) starts[b + 1]! += starts[b]!
  const fill = starts.slice(0, nb)
  const np = m.periods.length / 3
  const t: OldTable = {
    bits, starts, keys: new Float64Array(n), pStart: new Uint32Array(n + 1),
    pFrom: new Uint16Array(np), pTo: new Uint16Array(np), pMpid: new Uint16Array(np),
  }
  const at = new Uint32Array(n)
  for (let s = 0; s < n; s++) at[fill[bucket[s]!]!++] = s
  let p = 0
  for (let i = 0; i < n; i++) {
    const s = at[i]!
    const k = keyOf(s)
    t.keys[i] = k
    t.pStart[i] = p
    const r = ix.rangeOfSlot(s)
    for (let q = r.p; q < r.p + r.n; q++, p++) {
      t.pFrom[p] = m.periods[q * 3]!
      t.pTo[p] = m.periods[q * 3 + 1]!
      t.pMpid[p] = m.periods[q * 3 + 2]! & 0x7fff // without the implied-end flag
    }
  }
  t.pStart[n] = p
  return t
}

/** The first version's lookup: slot by key, then the period covering `day`; -1 / -2 as lookupKeys. */
export function oldLookup(t: OldTable, k: number, day: number): number {
  const b = hashMpxnKey(k) >>> (32 - t.bits)
  const e = t.starts[b + 1]!
  let slot = -1
  for (let i = t.starts[b]!; i < e; i++) if (t.keys[i] === k) { slot = i; break }
  if (slot < 0) return -2
  for (let p = t.pStart[slot + 1]! - 1; p >= t.pStart[slot]!; p--) {
    if (t.pFrom[p]! <= day) return day < t.pTo[p]! ? p : -1
  }
  return -1
}
