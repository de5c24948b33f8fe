// Invertible permutations of the registry's keys (docs/registry.md, "The index"): a 4-round
// Feistel network over an MPxN's dense number (two 22-bit halves) or an EUI-64 (two 32-bit
// halves). The packed tables sort keys by their permuted value, so a bucket table on the top
// bits spreads them evenly however real keys cluster (an MPAN starts with its distributor's
// digits; EUI-64s share their maker's OUI), and they store only the bits below the bucket: the
// bucket and the stored bits give the permuted key back, the inverse permutation the key.

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
/** dense number of the first MPxN of each length (1-13 digits): the lengths one after another */
const LEN_BASE: number[] = [0, 0]
for (let l = 1; l <= 13; l++) LEN_BASE[l + 1] = LEN_BASE[l]! + 10 ** l

/** Result of the last permutation (module scratch: no allocation per key). */
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

/** Permuted MPxN key as one number below 2^44 (sorts as the tables do). */
export function permutedMpxn(key: number): number {
  permMpxn(key)
  return perm.a * HALF + perm.b
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

/** EUI-64 halves (hi, lo) of permuted halves, into `perm`. */
export function unpermEui(a: number, b: number): void {
  for (let r = 3; r >= 0; r--) {
    const t = (b ^ mix(a, ROUNDS[r]!)) >>> 0
    b = a
    a = t
  }
  perm.a = a
  perm.b = b
}
