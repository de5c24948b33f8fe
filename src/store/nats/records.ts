import { headers } from '@nats-io/transport-node'
import type { MsgHdrs } from '@nats-io/transport-node'
import type { CommitOutcome, ObligationRow, QuarantineRow, SpoolTarget } from '../types.js'

// The shapes kept in JetStream. The same fields as the SQLite tables (migrations.ts), as JSON.
// The decisions bucket holds DecisionRecord (../decision-record.ts).
import type { DecisionRecord } from '../decision-record.js'
export { decisionRecord, type DecisionRecord } from '../decision-record.js'

export function outcomeOf(r: DecisionRecord, duplicate: boolean): CommitOutcome {
  return {
    messageId: r.messageId, decision: r.decision, reason: r.reason, duplicate,
    ...(r.quarantineId !== null && { quarantineId: r.quarantineId }),
    ...(r.obligationId !== null && { obligationId: r.obligationId }),
  }
}

const enc = new TextEncoder()
const dec = new TextDecoder()
export const toJson = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v))
export const fromJson = <T>(b: Uint8Array): T => JSON.parse(dec.decode(b)) as T

/** What a spool message carries besides its body (the SpoolItem columns). */
export interface SpoolHeaders {
  messageId: string
  target: SpoolTarget
  party: string
  mpxn: string | null
  contentType: string
  headers: Record<string, string>
  createdAt: number
  obligationId: string | null
}

const H = {
  messageId: 'Dccgw-Message-Id',
  target: 'Dccgw-Target',
  party: 'Dccgw-Party',
  mpxn: 'Dccgw-Mpxn',
  contentType: 'Dccgw-Content-Type',
  headers: 'Dccgw-Headers',
  createdAt: 'Dccgw-Created-At',
  obligationId: 'Dccgw-Obligation-Id',
  meta: 'Dccgw-Meta',
} as const

export function spoolHeaders(s: SpoolHeaders): MsgHdrs {
  const h = headers()
  h.set(H.messageId, s.messageId)
  h.set(H.target, s.target)
  h.set(H.party, s.party)
  if (s.mpxn !== null) h.set(H.mpxn, s.mpxn)
  h.set(H.contentType, s.contentType)
  h.set(H.headers, JSON.stringify(s.headers))
  h.set(H.createdAt, String(s.createdAt))
  if (s.obligationId !== null) h.set(H.obligationId, s.obligationId)
  return h
}

export function readSpoolHeaders(h: MsgHdrs | undefined): SpoolHeaders | undefined {
  const messageId = h?.get(H.messageId)
  if (h === undefined || !messageId) return undefined
  const target = h.get(H.target) === 'notice' ? 'notice' : 'adapter'
  return {
    messageId,
    target,
    party: h.get(H.party),
    mpxn: h.get(H.mpxn) || null,
    contentType: h.get(H.contentType) || 'application/xml',
    headers: JSON.parse(h.get(H.headers) || '{}') as Record<string, string>,
    createdAt: Number(h.get(H.createdAt)) || Date.now(),
    obligationId: h.get(H.obligationId) || null,
  }
}

/** Quarantine messages carry their row (QuarantineRow without size) in one JSON header. */
export function quarantineHeaders(row: QuarantineRow): MsgHdrs {
  const h = headers()
  h.set(H.meta, JSON.stringify(row))
  return h
}

export function readQuarantineRow(h: MsgHdrs | undefined): QuarantineRow | undefined {
  const meta = h?.get(H.meta)
  return meta ? (JSON.parse(meta) as QuarantineRow) : undefined
}

export type { ObligationRow }
