// Fixed-width bit fields in Uint32 words, the storage of the packed tables (docs/registry.md, "The
// index"): a field of n bits (1-32) at bit b spans at most two words. Written once each, in
// order, by a build (nothing is ever rewritten in place).
import { TWO32 } from './keys.js'

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

/** Writes a field into words still zero there (a build writes each field once, in order). */
export function writeBits(w: Uint32Array, bit: number, n: number, v: number): void {
  const i = bit >>> 5
  const s = bit & 31
  w[i]! |= v << s
  if (s + n > 32) w[i + 1]! |= v >>> (32 - s)
}

/** Bits to hold values 0..max (at least 1). */
export function bitsFor(max: number): number {
  return Math.max(1, Math.ceil(Math.log2(max + 1)))
}

export function sharedU32(n: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(Math.max(1, n) * 4))
}
export function sharedU8(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(Math.max(1, n)))
}
