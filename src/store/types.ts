import type { MessageKind } from '../envelope/index.js'
import type { Decision } from '../policy/index.js'

/** A message that got a decision: what the store makes durable before the 200. */
export interface AcceptedRecord {
  messageId: string
  receivedAt: number
  kind: MessageKind
  responseTime: number
  /** AlertCode / FutureDatedAlertCode / GBCSHexAlertCode, or the DCCAlertCode */
  alertCode?: string
  /** the party the message was addressed to */
  recipientParty?: string
  decision: Decision
  contentType: string
  /** original bytes; written only for deliver, forward and quarantine, never for drop */
  body: Uint8Array
  /** quarantine: why, for the operator */
  detail?: string
  /**
   * forward: the obligation that opens with the notice (built by obligations/); quarantine of a
   * critical alert: its `critical-quarantined` obligation (docs/obligations.md), linked to the quarantine row
   */
  obligation?: ObligationDraft
  /** extra delivery headers (X-DCC-Gateway-*) decided at ingest */
  headers: Record<string, string>
  /** stale-CoS evidence (docs/obligations.md): Header/ResponseCode (E4 is counted apart) */
  responseCode?: string
  /** DCCAlertMessage/DCCAlert child, e.g. SecurityCredentialsUpdated (it resolves a stale-CoS case) */
  dccAlertType?: string
  /**
   * The MPxN the addressed party no longer supplies and the supply start date of its successor,
   * from the registry facts, whatever the decision (a DCC Alert, a payload-free E4 response);
   * or just the MPxN of the device (`supplyStartDate` absent) when the decision named none
   */
  audit?: { mpxn: string; supplyStartDate?: string }
}

/** Bytes that never became a DUIS message (docs/http.md, "Ingress": 422, raw bytes kept). */
export interface MalformedRecord {
  receivedAt: number
  contentType: string
  body: Uint8Array
  code: string
  detail: string
}

export interface CommitOutcome {
  messageId: string
  decision: Decision['decision']
  reason: Decision['reason']
  duplicate: boolean
  quarantineId?: string
  obligationId?: string
}

export type SpoolTarget = 'adapter' | 'notice'

export interface SpoolItem {
  id: number
  messageId: string
  target: SpoolTarget
  party: string
  mpxn: string | null
  contentType: string
  body: Buffer
  headers: Record<string, string>
  attempts: number
  nextAttemptAt: number
  createdAt: number
  obligationId: string | null
}

export type ObligationType = 'critical-forward' | 'install-code' | 'critical-quarantined'
export type ObligationStatus = 'open' | 'notified' | 'acknowledged' | 'overdue' | 'escalated' | 'redirected' | 'closed'

/**
 * Statuses that end an obligation: acknowledged; redirected (the receiver said it is not the
 * supplier and named who is); closed (its quarantined message was released or deleted with a reason).
 */
export const DONE_STATUSES: readonly ObligationStatus[] = ['acknowledged', 'redirected', 'closed']

/**
 * Statuses whose deadline is still watched: past `due_at` the obligation counts as overdue and the
 * timer escalates it (docs/obligations.md).
 */
export const PENDING_STATUSES: readonly ObligationStatus[] = ['open', 'notified', 'escalated']

/** The subject that links a critical-quarantined obligation to its quarantine row. */
export const quarantineSubject = (quarantineId: string): string => `critical-quarantined:${quarantineId}`

/** The receiver's answer on the acknowledgement page (docs/obligations.md). */
export interface AckAnswer {
  /** who acknowledged: name and organisation, as typed */
  name: string
  organisation: string
  /** "not the supplier": the party named (from parties.yaml) or free text */
  redirectTo?: { party?: string; text?: string }
}

export interface ObligationDraft {
  id: string
  type: ObligationType
  fromParty?: string
  toParty: string
  mpxn?: string
  alertCode?: string
  alertTime?: number
  dueAt: number
  /** the notice sent to the acquiring party: metadata only, never the GBCS payload */
  notice: Record<string, unknown>
  /** plain-text rendering of the notice */
  text: string
  /** install-code: the message-less key that makes opening idempotent (`install-code:<device>:<mpxn>:<party>`) */
  subject?: string
}

/** One step of an obligation's life (table obligation_events). */
export interface ObligationEvent {
  status: ObligationStatus
  /** contact level after the step: 0 primary, 1 secondary, 2 escalation */
  level: number
  dueAt: number
  detail?: string
}

/**
 * A change the obligation scheduler asks for: applied only while the row still has the status
 * and level it was planned from (an acknowledgement in between wins), atomically with its events
 * and the notice for the new contact level.
 */
export interface ObligationTransition {
  id: string
  expect: { status: ObligationStatus; level: number }
  /** in order; the last one is the row's new state */
  events: ObligationEvent[]
  notice?: { key: string; toParty: string; mpxn: string | null; body: Buffer }
}

export interface ObligationRow {
  id: string
  type: ObligationType
  status: ObligationStatus
  messageId: string | null
  fromParty: string | null
  toParty: string
  mpxn: string | null
  alertCode: string | null
  alertTime: number | null
  createdAt: number
  dueAt: number
  level: number
  notifiedAt: number | null
  ackedAt: number | null
  ackedBy: string | null
  notice: Record<string, unknown>
  text: string
}

export interface QuarantineRow {
  id: string
  messageId: string | null
  receivedAt: number
  reason: string
  detail: string | null
  kind: string | null
  party: string | null
  mpxn: string | null
  contentType: string | null
  size: number
  releasedAt: number | null
  releasedBy: string | null
  /** GBCS 0xDF or safety-listed (the decision's `critical`); false for bytes that never parsed */
  critical: boolean
  /** AlertCode / DCCAlertCode when the message had one */
  alertCode: string | null
}

/** One admin action (who, when, what): the SQLite admin_audit table, the NATS audit stream. */
export interface AuditRow {
  /** SQLite row id, NATS stream sequence: newer is larger */
  id: number
  at: number
  atIso: string
  actor: string
  action: string
  target: string | null
  detail: string | null
}

export interface AuditFilter {
  action?: string
  since?: number
  limit: number
}

export type ObligationListStatus = 'open' | 'overdue' | 'done' | 'all'

/** What the gateway tells a store once it is wired (metrics, logs, the dispatcher's wake). */
export interface StoreHooks {
  /** a group commit of `size` decisions was made durable (SQLite) */
  onCommit?(size: number): void
  /** a background loop of the store failed (logged as a warning) */
  onError?(err: unknown, what: string): void
  /** deliveries may be waiting (NATS: fetched from the shared consumer) */
  onSpoolReady?(): void
}
