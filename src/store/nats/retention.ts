import type { Topology } from './topology.js'
import { readQuarantineRow } from './records.js'
import { scanStream, streamRange } from './stream-scan.js'

// Retention rules run on demand in clustered mode (POST /admin/quarantine/purge, the hourly
// housekeeping, the CLI). The streams' own limits (max_age = store.quarantineRetentionDays) also
// apply them continuously; these do it now, with the cut-off the caller gives.

/**
 * Purges the messages of `stream` stored before `olderThan` (the stream's own timestamps, which
 * are in sequence order): finds the first newer one and purges every sequence below it.
 */
export async function purgeOlderThan(t: Topology, stream: string, olderThan: number): Promise<number> {
  const { first, last } = await streamRange(t, stream)
  let keepFrom = last + 1
  let more = true
  for (let from = first; more && from <= last;) {
    const { next } = await scanStream(t, stream, from, last, 1, (m) => {
      if (m.time.getTime() < olderThan) return true
      keepFrom = m.seq
      return false
    })
    more = keepFrom === last + 1 && next !== undefined
    from = next ?? last + 1
  }
  if (keepFrom <= first) return 0
  return (await t.jsm.streams.purge(stream, { seq: keepFrom })).purged
}

/**
 * Purges the oldest quarantined messages until the bytes of those kept (newest first, as SQLite
 * counts them: the message sizes) are at most `maxBytes`.
 */
export async function purgeQuarantineOverSize(t: Topology, maxBytes: number): Promise<number> {
  const stream = t.names.quarantineStream
  const { first, last, bytes } = await streamRange(t, stream)
  // the stream's bytes include headers and subjects: within them, nothing is over
  if (bytes <= maxBytes || last < first) return 0
  let kept = 0
  let cut: number | undefined
  for (let from = last; cut === undefined && from >= first;) {
    const { next } = await scanStream(t, stream, from, first, -1, (m) => {
      kept += readQuarantineRow(m.header)?.size ?? m.data.byteLength
      if (kept <= maxBytes) return true
      cut = m.seq
      return false
    })
    if (next === undefined) break
    from = next
  }
  if (cut === undefined) return 0
  return (await t.jsm.streams.purge(stream, { seq: cut + 1 })).purged
}
