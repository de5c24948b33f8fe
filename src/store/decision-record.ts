import type { AcceptedRecord, CommitOutcome } from './types.js'

// The audit row of one accepted message, the same in every store: the SQLite `messages` table
// (migrations.ts) and the NATS decisions bucket. Metadata only, never a payload.

export interface DecisionRecord {
  messageId: string
  receivedAt: number
  responseTime: number
  kind: string
  alertCode: string | null
  decision: CommitOutcome['decision']
  reason: CommitOutcome['reason']
  party: string | null
  toParty: string | null
  mpxn: string | null
  supplyStartDate: string | null
  /** Header/ResponseCode and the DCCAlert child (stale-CoS report, docs/obligations.md) */
  responseCode: string | null
  dccAlertType: string | null
  quarantineId: string | null
  obligationId: string | null
}

export function decisionRecord(rec: AcceptedRecord, quarantineId: string | null, obligationId: string | null): DecisionRecord {
  const d = rec.decision
  return {
    messageId: rec.messageId,
    receivedAt: rec.receivedAt,
    responseTime: rec.responseTime,
    kind: rec.kind,
    alertCode: rec.alertCode ?? null,
    decision: d.decision,
    reason: d.reason,
    party: rec.recipientParty ?? d.deliverTo ?? null,
    toParty: d.toParty ?? null,
    mpxn: d.mpxn ?? rec.audit?.mpxn ?? null,
    supplyStartDate: d.supplyStartDate ?? (d.mpxn === undefined || d.mpxn === rec.audit?.mpxn ? rec.audit?.supplyStartDate : undefined) ?? null,
    responseCode: rec.responseCode ?? null,
    dccAlertType: rec.dccAlertType ?? null,
    quarantineId,
    obligationId,
  }
}
