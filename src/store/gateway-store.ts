import type { ObligationEventRow, QuarantineFilter, StaleCosRow } from './queries.js'
import type { AuditEntry, AuditPageFilter, DecisionMinute, QuarantineReasonCount } from './console-queries.js'
import type {
  AcceptedRecord, AuditFilter, AuditRow, CommitOutcome, MalformedRecord, ObligationDraft, ObligationListStatus, ObligationRow,
  ObligationStatus, ObligationTransition, QuarantineRow, SpoolItem, StoreHooks,
} from './types.js'

export { STORE_UNAVAILABLE, StoreError, badRequest, isStoreError, isStoreUnavailable, notAvailable, notFound, storeUnavailable } from './store-error.js'

/**
 * The store port: everything the gateway, the dispatcher (delivery/dispatcher.ts `SpoolStore`),
 * the obligation timer, the admin API and the CLI need of a store, whichever kind is behind it:
 * the embedded `SqliteStore` (store.kind sqlite) or the clustered `NatsStore` (store.kind nats,
 * src/store/nats/). Both implement all of it; nothing outside src/store knows which one it has
 * (`openStore` in open-store.ts picks it from the config).
 *
 * Every `commit*` settles only once the decision is durable; only then may ingress
 * answer 200. A failure that means "nothing was kept, retry later" is recognised by
 * `isStoreUnavailable` and becomes 503 + Retry-After (DCCGW_ERR_STORE_UNAVAILABLE).
 *
 * What a store cannot do, or a thing that is not there, is a `StoreError` with `code` and
 * `status` (store-error.ts): the admin API answers that status with a problem body, never 500.
 * Reads see every write this store's own calls made before them (the NATS mirror catches up).
 */
export interface GatewayStore {
  /** `sqlite` or `nats`: for logs and error details only, never to branch on */
  readonly kind: string
  /** false once closed (readyz answers 503) */
  readonly open: boolean
  /** decisions waiting for a durable commit (ingress backpressure, store.maxQueueDepth) */
  readonly backlog: number
  /** metrics, logs and the dispatcher's wake (set once by the gateway) */
  setHooks(hooks: StoreHooks): void

  // ingest: dedupe + spool / quarantine / audit / obligation
  commitAccepted(rec: AcceptedRecord): Promise<CommitOutcome>
  commitMalformed(rec: MalformedRecord): Promise<string>

  // the spool, driven by the dispatcher (same shape as delivery's SpoolStore)
  dueSpool(now: number, limit: number, blocked?: readonly string[]): SpoolItem[]
  nextDueAt(now: number, blocked?: readonly string[]): number | null
  completeDelivery(item: SpoolItem, now: number): Promise<void>
  scheduleRetry(item: SpoolItem, at: number, error: string): Promise<void>
  /** `critical`: the message is a critical alert (its quarantine row says so) and its obligation opens */
  rejectDelivery(item: SpoolItem, detail: string, now: number, critical?: { obligation?: ObligationDraft }): Promise<string>
  /** per target: waiting deliveries and the oldest one's creation time (gauges) */
  spoolDepth(): { target: string; n: number; oldest: number }[]
  /** undelivered deliveries in all: count, bytes and the oldest's creation time (spool bounds) */
  spoolBounds(): { n: number; bytes: number; oldest: number | null }
  /**
   * Deliveries accepted and not attempted yet, per "<target> <party>" key (the circuit breakers'
   * keys): the backlog ingress is bounded by (limits.maxWaitingDeliveries, ingress/limits-spool.ts)
   */
  waitingDeliveries(): Map<string, number>

  // quarantine (admin API, CLI)
  /** critical first, then newest first (SQLite; NATS: newest first), with an opaque cursor */
  listQuarantine(f: QuarantineFilter): Promise<{ items: QuarantineRow[]; nextCursor: string | null }>
  getQuarantine(id: string): Promise<QuarantineRow | undefined>
  /** the raw bytes as received */
  getQuarantineBody(id: string): Promise<Buffer | undefined>
  /** held messages per reason (gauge) */
  quarantineCounts(): Promise<{ reason: string; n: number }[]>
  /**
   * Replaces a quarantined message's decision (operator release). The new decision's effects are
   * durable before the held message goes: a failure leaves it quarantined. Unknown id: notFound.
   */
  releaseQuarantined(quarantineId: string, rec: AcceptedRecord, actor: string): Promise<CommitOutcome>
  /** a critical message whose obligation is open needs `reason` (DCCGW_ERR_REASON_REQUIRED without) */
  deleteQuarantined(id: string, actor: string, reason?: string): Promise<boolean>
  /** the receiver is not the supplier: `redirected`, and the onward obligation when a party was named */
  redirectObligation(id: string, actor: string, detail: string, onward: ObligationDraft | undefined, now: number): Promise<'ok' | 'not-found' | 'already'>

  // obligations (admin API, CLI, ack links, the obligation timer)
  listObligations(status: ObligationListStatus, now: number): Promise<ObligationRow[]>
  getObligation(id: string): Promise<ObligationRow | undefined>
  /** the status history, oldest first */
  obligationEvents(id: string): Promise<ObligationEventRow[]>
  /** per type and status, `overdue` for pending ones past due at `now` (gauge) */
  obligationCounts(now: number): Promise<{ type: string; status: ObligationStatus; n: number }[]>
  acknowledgeObligation(id: string, actor: string, now: number): Promise<'ok' | 'not-found' | 'already'>
  /** not acknowledged, past due (open, notified or escalated), oldest first */
  dueObligations(now: number): Promise<ObligationRow[]>
  /** compare-and-set per obligation; returns the ids changed by this call */
  applyObligationTransitions(list: readonly ObligationTransition[], now: number, actor: string): Promise<string[]>
  /** obligations that come from a registry reload (install-code); returns the ids opened */
  openObligations(drafts: readonly ObligationDraft[], now: number, actor: string): Promise<string[]>

  // audit (admin actions) and reports
  writeAudit(actor: string, action: string, target: string | null, detail: string | null): Promise<void>
  /** newest first */
  listAudit(f: AuditFilter): Promise<AuditRow[]>
  /** the stale-CoS report's rows (admin/stale-cos.ts) */
  staleCosRows(since?: number): Promise<StaleCosRow[]>
  /** per MPxN asked: alert times of DCC Alerts SecurityCredentialsUpdated for a device of it (resolves a stale-CoS case) */
  credentialsUpdatedTimes(mpxns: readonly string[]): Promise<Map<string, number[]>>

  // the operator console's reads (src/console); a store that cannot answer one throws notAvailable
  /** messages by decision per minute received in [from, to) */
  decisionsPerMinute(from: number, to: number): Promise<DecisionMinute[]>
  /** quarantined messages by reason, critical ones counted apart, with the oldest's time */
  quarantineByReason(): Promise<QuarantineReasonCount[]>
  /** how many messages one reason holds (confirmed before a bulk release) */
  countQuarantineByReason(reason: string): Promise<number>
  /** up to `limit` ids of one reason, oldest first (the bulk release works through them in order) */
  quarantineIdsByReason(reason: string, limit: number): Promise<string[]>
  /** the admin audit log, newest first, keyset-paginated by id, filterable by part of the actor */
  auditPage(f: AuditPageFilter): Promise<{ items: AuditEntry[]; nextBefore: number | null }>
  /** the audit actions recorded so far (the audit page's filter choices) */
  auditActions(): Promise<string[]>

  // retention (housekeeping, POST /admin/quarantine/purge, CLI purge); each returns how many went
  /** message IDs and their metadata audit rows received before `olderThan` (also the dedupe memory) */
  purgeMessages(olderThan: number): Promise<number>
  purgeQuarantine(olderThan: number, actor: string): Promise<number>
  /** the oldest quarantined messages until at most `maxBytes` remain */
  purgeQuarantineOverSize(maxBytes: number, actor: string): Promise<number>
  /** kept originals of forwarded critical alerts received before `olderThan` */
  purgeOriginals(olderThan: number): Promise<number>

  /** the journal's size and the projection's lag (gauges); undefined for a store without a journal */
  journalStats(): { bytes: number; segments: number; projectionLagRecords: number } | undefined
  /** SQLite lock conflicts met and retried since open (a counter; 0 for a store without SQLite) */
  lockRetries(): number

  close(): void | Promise<void>
}
