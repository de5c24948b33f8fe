// Message identity (docs/http.md, "Message identity"), used as Idempotency-Key, dedupe key and file-name component.
//
// Alphabet: `[0-9A-F-]` EUI-64s, `[0-9]` counter, `:` and `@` separators, and the ISO-8601 instant
// `[0-9-T:.Z]` (from Date#toISOString, years 0001..9999), or `sha256:` + 64 `[0-9a-f]`.
// Every character is a visible ASCII token character, so it is a valid HTTP header value, and once
// the caller replaces ':' it is a safe file-name component (no '/', '\\', '..'-only name, NUL or space).
import { createHash } from 'node:crypto'
import type { Envelope } from './types.js'

/**
 * `${originator}:${target}:${counter}@${ResponseDateTime as UTC ISO-8601}` from ResponseID, else
 * RequestID; `sha256:<hex>` of the body when neither exists. The counter is kept as the decimal
 * string it was written as (validated without leading zeros), so counters differing only beyond
 * 2^53 give different IDs.
 */
export function messageIdOf(env: Envelope, body: Uint8Array): string {
  const id = env.responseId ?? env.requestId
  if (id === undefined) return `sha256:${createHash('sha256').update(body).digest('hex')}`
  return `${id.originator}:${id.target}:${id.counter}@${new Date(env.responseTime).toISOString()}`
}
