import { createHash } from 'node:crypto'

// Message IDs (`EUI64:EUI64:counter@dateTime`, `sha256:hex`) hold ':' and '@', which NATS KV keys
// and subject tokens do not allow: key by a hash instead. A hash also keeps MPxN-free IDs out of
// subjects that a server's monitoring endpoint shows.

/** KV key / subject token for a message ID: sha256, hex. */
export function messageKey(messageId: string): string {
  return createHash('sha256').update(messageId).digest('hex')
}

/**
 * A UUID-shaped id derived from the message ID, so that a retried ingest (a crash between two
 * writes, or the same message arriving at two instances at once) writes the same quarantine row
 * or obligation again instead of a second one. Shaped like a v4 UUID because the admin API's
 * routes expect `[0-9a-f-]{36}`.
 */
export function derivedUuid(kind: string, messageId: string): string {
  const h = createHash('sha256').update(`${kind}\n${messageId}`).digest('hex')
  const v = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`
}
