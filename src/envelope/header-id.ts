// DUIS Header/RequestID and Header/ResponseID: `EUI64:EUI64:counter` (xs:token).
// EUI-64 = 8 hex octets joined by '-', either case (normalised to upper case).
// The counter is a GBCS 64-bit counter, decimal 0..2^64-1 without leading zeros. It routinely
// exceeds 2^53, so it stays a string and is range-checked with BigInt, never Number.
// The pattern is the whole safety story downstream: IDs go into HTTP headers and file names, so
// only [0-9A-Fa-f-:] can pass here (no CR/LF, '/', '..', spaces).
import type { HeaderId } from './types.js'

const EUI64 = /^[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}$/
const HEADER_ID = /^([0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}):([0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}):(0|[1-9][0-9]{0,19})$/
const MAX_COUNTER = (1n << 64n) - 1n

export const HEADER_ID_EXPECTED = "expected EUI64:EUI64:counter (8 hex octets joined by '-', decimal counter 0..2^64-1 without leading zeros)"

/** Parse a DUIS header ID; undefined when it does not match the pattern or the counter exceeds 2^64-1. */
export function parseHeaderId(raw: string): HeaderId | undefined {
  if (typeof raw !== 'string' || raw.length > 68) return undefined // 23 + 1 + 23 + 1 + 20
  const m = HEADER_ID.exec(raw)
  if (m === null) return undefined
  const counter = m[3]!
  // 20 digits may exceed 2^64-1 (max is 18446744073709551615): check with BigInt.
  if (counter.length === 20 && BigInt(counter) > MAX_COUNTER) return undefined
  return { raw, originator: m[1]!.toUpperCase(), target: m[2]!.toUpperCase(), counter }
}

export function isEui64(value: string): boolean {
  return EUI64.test(value)
}
