import type { StoredMsg } from '@nats-io/jetstream'
import type { Topology } from './topology.js'

// Reading a stream message by message, by sequence (the admin lists, the audit trail, the
// retention rules). Sequences of deleted or purged messages are skipped.

/** Sequences read per call at most, so a narrow filter over a long stream still answers quickly. */
export const SCAN_LIMIT = 10_000

export interface ScanResult {
  /** the next sequence to read (for a cursor), or undefined when the range is exhausted */
  next: number | undefined
}

/**
 * Visits the messages of `stream` from sequence `from` to `to` inclusive, upwards (`step` 1) or
 * downwards (-1), until `visit` returns false or `SCAN_LIMIT` sequences were read.
 */
export async function scanStream(
  t: Topology, stream: string, from: number, to: number, step: 1 | -1, visit: (m: StoredMsg) => boolean,
): Promise<ScanResult> {
  let scanned = 0
  for (let seq = from; step > 0 ? seq <= to : seq >= to; seq += step) {
    if (scanned++ >= SCAN_LIMIT) return { next: seq }
    if (seq <= 0) break
    const m = await t.jsm.streams.getMessage(stream, { seq })
    if (m !== null && !visit(m)) return { next: seq + step }
  }
  return { next: undefined }
}

/** First and last sequence of a stream (first > last when it is empty). */
export async function streamRange(t: Topology, stream: string): Promise<{ first: number; last: number; bytes: number; messages: number }> {
  const s = (await t.jsm.streams.info(stream)).state
  return { first: s.first_seq, last: s.last_seq, bytes: s.bytes, messages: s.messages }
}
