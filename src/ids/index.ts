import { v7 } from 'uuid'

/**
 * A new ID for a quarantine row or an obligation: a UUID version 7 (RFC 9562), its first 48 bits
 * the time in ms, the rest random (74 bits), so IDs minted later sort later. SQLite keeps these
 * rows and their indexes in ID order: random (version 4) IDs put each new row on a random page of
 * the B-tree, a page of WAL per row once the table is larger than a projection batch
 * (docs/performance.md, "What fills the WAL"); in time order they append. The IDs stay opaque to
 * operators and adapters; they only say when a row was made, which the row says too.
 */
export function newId(): string {
  return v7()
}
