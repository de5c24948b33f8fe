import type { AcceptedRecord, MalformedRecord, ObligationDraft } from './types.js'

// The bodies the journaled store appends to the journal (docs/journal.md: the journal does not
// interpret them). One record per fact: [u32 header length][header JSON][message bytes, if kept].
//   accepted   a decision (docs/http.md, "Ingress"): the AcceptedRecord's metadata, the ids minted for it, and
//              the body only for deliver, forward and quarantine (never for a drop)
//   delivered  the target answered 2xx: the delivery is done (not awaited: a crash repeats it)
//   rejected   the target answered 4xx: the delivery moves to quarantine with its bytes
//   malformed  a document ingress answered 422: its raw bytes are quarantined (docs/http.md)

/** Where a delivery lives: the journal record that carried it, or a SQLite spool row (restart, side writes). */
export interface DeliveryRef {
  /** sequence number of the `accepted` record; null for a spool row the journal never carried */
  seq: number | null
  /** SQLite spool row id once projected; null while only the journal holds it */
  row: number | null
}

export type JournalFact =
  | { t: 'accepted'; rec: Omit<AcceptedRecord, 'body'>; quarantineId: string | null; obligationId: string | null }
  | { t: 'delivered'; ref: DeliveryRef; obligationId: string | null; at: number }
  | {
      t: 'rejected'; ref: DeliveryRef; quarantineId: string; detail: string; at: number
      messageId: string; party: string; mpxn: string | null; contentType: string
      /** when the delivery was created (its message's receipt, for one made on receipt); absent in records before migration 11 */
      createdAt?: number
      /** a critical alert: quarantined critical, with its critical-quarantined obligation (docs/obligations.md) */
      critical?: { obligation?: ObligationDraft }
    }
  | { t: 'malformed'; rec: Omit<MalformedRecord, 'body'>; quarantineId: string }

export function encodeFact(fact: JournalFact, body?: Uint8Array): Buffer {
  const head = Buffer.from(JSON.stringify(fact))
  const out = Buffer.allocUnsafe(4 + head.length + (body?.byteLength ?? 0))
  out.writeUInt32LE(head.length, 0)
  head.copy(out, 4)
  if (body !== undefined) out.set(body, 4 + head.length)
  return out
}

export function decodeFact(b: Buffer): { fact: JournalFact; body: Buffer } {
  const n = b.readUInt32LE(0)
  const fact = JSON.parse(b.toString('utf8', 4, 4 + n)) as JournalFact
  return { fact, body: b.subarray(4 + n) }
}

/** The accepted record's metadata without its bytes (what the header carries). */
export function withoutBody(rec: AcceptedRecord): Omit<AcceptedRecord, 'body'> {
  const { body: _body, ...meta } = rec
  return meta
}
