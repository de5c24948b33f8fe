// A message ID's 52-bit hash: the dedupe memory's key for older messages (dedupe-memory.ts) and the
// `messages` table's lookup index (migrations.ts, 8), whose rows are then kept in arrival order.

/**
 * A 52-bit hash of a string, never 0: two 32-bit lanes (murmur3's fmix32 finaliser over an FNV-1a
 * style mix of the UTF-16 code units), 20 bits of one and 32 of the other.
 */
export function hash52(s: string): number {
  let a = 0x811c9dc5
  let b = 0x9747b28c
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 15
  }
  a = fmix32(a ^ s.length)
  b = fmix32(b ^ a)
  const h = (a >>> 12) * 0x1_0000_0000 + (b >>> 0)
  return h === 0 ? 1 : h
}

function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}
