// Numeric keys for MPxNs and EUI-64s, parsed without allocating.
//
// MPxN key = length * 1e13 + numeric value. Length keeps leading zeros and keeps a 13-digit MPAN
// apart from any MPRN (≤ 10 digits, DUIS ImportMPxN is 1–13 chars); max 13e13 + 1e13 < 2^53, so
// the key is an exact double: a Float64Array compares and hashes it without BigInt (every read
// of a BigUint64Array yields a heap BigInt). EUI-64s do not fit a double: two Uint32 halves.

export const MPXN_LEN_UNIT = 1e13
export const TWO32 = 4294967296

/** MPxN key of char codes [s, e); -1 unless 1–13 ASCII digits. */
export function mpxnKeyCodes(a: Uint8Array, s: number, e: number): number {
  const len = e - s
  if (len < 1 || len > 13) return -1
  let v = 0
  for (let i = s; i < e; i++) {
    const d = a[i]! - 48
    if (d < 0 || d > 9) return -1
    v = v * 10 + d
  }
  return len * MPXN_LEN_UNIT + v
}

/** MPxN key of a string; -1 unless 1–13 ASCII digits. */
export function mpxnKey(str: string): number {
  const len = str.length
  if (len < 1 || len > 13) return -1
  let v = 0
  for (let i = 0; i < len; i++) {
    const d = str.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    v = v * 10 + d
  }
  return len * MPXN_LEN_UNIT + v
}

export function mpxnOfKey(k: number): string {
  const len = Math.floor(k / MPXN_LEN_UNIT)
  return String(k - len * MPXN_LEN_UNIT).padStart(len, '0')
}

/** murmur3 fmix32 of a 32-bit pair: spreads keys evenly over the bucket table. */
export function hash2(hi: number, lo: number): number {
  let h = Math.imul(lo, 0xcc9e2d51) ^ Math.imul(hi ^ 0x5bd1e995, 0x1b873593)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export function hashMpxnKey(k: number): number {
  return hash2(Math.floor(k / TWO32), k >>> 0)
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  c |= 0x20 // fold case
  if (c >= 97 && c <= 102) return c - 87
  return -1
}

/** Result of the last successful EUI-64 parse (module scratch: no allocation per call). */
export const eui = { hi: 0, lo: 0 }

/**
 * EUI-64 written `00-12-34-56-78-AB-CD-EF` (any case) or as 16 hex digits: sets `eui.hi/lo`
 * and returns true; false when malformed.
 */
export function parseEuiCodes(a: Uint8Array, s: number, e: number): boolean {
  const dashed = e - s === 23
  if (!dashed && e - s !== 16) return false
  let hi = 0
  let lo = 0
  for (let o = 0; o < 8; o++) {
    const p = s + (dashed ? o * 3 : o * 2)
    if (dashed && o < 7 && a[p + 2] !== 45) return false
    const h = hexVal(a[p]!)
    const l = hexVal(a[p + 1]!)
    if (h < 0 || l < 0) return false
    if (o < 4) hi = (hi << 8) | (h << 4) | l
    else lo = (lo << 8) | (h << 4) | l
  }
  eui.hi = hi >>> 0
  eui.lo = lo >>> 0
  return true
}

const scratch = new Uint8Array(23)
/** String form of parseEuiCodes. */
export function parseEui(str: string): boolean {
  const n = str.length
  if (n !== 23 && n !== 16) return false
  for (let i = 0; i < n; i++) scratch[i] = str.charCodeAt(i) & 0xff
  return parseEuiCodes(scratch, 0, n)
}

const HEX = '0123456789ABCDEF'
function octets(x: number, out: string[]): void {
  for (let sh = 24; sh >= 0; sh -= 8) out.push(HEX[(x >>> (sh + 4)) & 15]! + HEX[(x >>> sh) & 15]!)
}
/** Upper-case dashed EUI-64. */
export function formatEui(hi: number, lo: number): string {
  const out: string[] = []
  octets(hi, out)
  octets(lo, out)
  return out.join('-')
}
