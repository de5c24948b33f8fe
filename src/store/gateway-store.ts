import type { AcceptedRecord, CommitOutcome, MalformedRecord, ObligationDraft, ObligationRow, ObligationTransition, SpoolItem } from './types.js'
import { isIoError } from './commit-queue.js'

/**
 * What the gateway (src/gateway.ts) and the dispatcher (delivery/dispatcher.ts `SpoolStore`) need
 * of a store, whichever kind is behind it: the embedded `SqliteStore` (store.kind sqlite) or the
 * clustered `NatsStore` (store.kind nats, src/store/nats/). SqliteStore satisfies it structurally.
 *
 * Contract §2: every `commit*` settles only once the decision is durable; only then may ingress
 * answer 200. A failure that means "nothing was kept, retry later" is recognised by
 * `isStoreUnavailable` and becomes 503 + Retry-After (DCCGW_ERR_STORE_UNAVAILABLE).
 */
export interface GatewayStore {
  /** false once closed (readyz answers 503) */
  readonly open: boolean

  // ingest: dedupe + spool / quarantine / audit / obligation
  commitAccepted(rec: AcceptedRecord): Promise<CommitOutcome>
  commitMalformed(rec: MalformedRecord): Promise<string>

  // the spool, driven by the dispatcher (same shape as delivery's SpoolStore)
  dueSpool(now: number, limit: number, blocked?: readonly string[]): SpoolItem[]
  nextDueAt(blocked?: readonly string[]): number | null
  completeDelivery(item: SpoolItem, now: number): Promise<void>
  scheduleRetry(item: SpoolItem, at: number, error: string): Promise<void>
  /** `critical`: the message is a critical alert (its quarantine row says so) and its obligation opens */
  rejectDelivery(item: SpoolItem, detail: string, now: number, critical?: { obligation?: ObligationDraft }): Promise<string>
  /** per target: waiting deliveries and the oldest one's creation time (gauges) */
  spoolDepth(): { target: string; n: number; oldest: number }[]

  // operator actions (admin API, CLI)
  releaseQuarantined(quarantineId: string, rec: AcceptedRecord, actor: string): Promise<CommitOutcome>
  /** a critical message whose obligation is open needs `reason` (DCCGW_ERR_REASON_REQUIRED without) */
  deleteQuarantined(id: string, actor: string, reason?: string): Promise<boolean>
  acknowledgeObligation(id: string, actor: string, now: number): Promise<'ok' | 'not-found' | 'already'>
  /** the receiver is not the supplier: `redirected`, and the onward obligation when a party was named */
  redirectObligation(id: string, actor: string, detail: string, onward: ObligationDraft | undefined, now: number): Promise<'ok' | 'not-found' | 'already'>

  // obligations, driven by the obligation timer (obligations/scheduler.ts)
  /** not acknowledged, past due (open, notified or escalated), oldest first */
  dueObligations(now: number): ObligationRow[]
  /** compare-and-set per obligation; returns the ids changed by this call */
  applyObligationTransitions(list: readonly ObligationTransition[], now: number, actor: string): Promise<string[]>
  /** obligations that come from a registry reload (install-code); returns the ids opened */
  openObligations(drafts: readonly ObligationDraft[], now: number, actor: string): Promise<string[]>

  // housekeeping
  purgeMessages(olderThan: number): Promise<number>
  purgeQuarantine(olderThan: number, actor: string): Promise<number>
  close(): void | Promise<void>
}

/** Coded error a store throws when a write could not be made durable (NATS: no quorum, timeout). */
export const STORE_UNAVAILABLE = 'DCCGW_ERR_STORE_UNAVAILABLE'

export function storeUnavailable(detail: string, cause?: unknown): Error {
  return Object.assign(new Error(detail, { cause }), { code: STORE_UNAVAILABLE })
}

/** SQLite I/O errors (disk full, read-only) and a clustered store's "not durable" both mean 503. */
export function isStoreUnavailable(err: unknown): boolean {
  return isIoError(err) || (err as { code?: unknown })?.code === STORE_UNAVAILABLE
}
