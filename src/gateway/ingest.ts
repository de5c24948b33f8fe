import type { KeyObject } from 'node:crypto'
import type { Logger } from 'pino'
import type { Config } from '../config/index.js'
import { verifyEnvelopedSignature } from '../envelope/index.js'
import { IngressErrors, problem } from '../http/index.js'
import type { IngestOutcome, SpoolLimit } from '../ingress/index.js'
import type { GatewayMetrics } from '../metrics/index.js'
import type { RecordContext } from '../pipeline.js'
import { toAcceptedRecord } from '../pipeline.js'
import type { Decision } from '../policy/index.js'
import type { PoolOutcome } from '../pool/index.js'
import type { RegistryIndex } from '../registry/index.js'
import { isStoreUnavailable } from '../store/index.js'
import type { GatewayStore } from '../store/index.js'

// The ingest path of one request: bounds -> evaluate (inline or pool) -> record ->
// durable commit -> 200. Every refusal is a 503 + Retry-After with nothing stored.

export interface IngestDeps {
  config: Config
  metrics: GatewayMetrics
  log: Logger
  store: GatewayStore
  /** decisions waiting for a group commit (0 where the store has no queue) */
  commitBacklog(): number
  spoolLimit: SpoolLimit
  /** parse + lookup + decide, inline or on the pool; carries the index it decided on */
  evaluate(body: Buffer): PoolOutcome | Promise<PoolOutcome>
  /** security.verifySignatures: the DCC keys; undefined = no check */
  signatureKeys: KeyObject[] | undefined
  recordCtx(index: RegistryIndex): RecordContext
  /** new work is spooled */
  wake(): void
  /** an obligation opened already past its deadline (a late alert): check obligations now */
  overdueOnArrival?(): void
}

/** A document whose signature fails is quarantined whatever policy decided (docs/operations.md, "Faults"). */
function badSignature(d: Decision): Decision {
  return { decision: 'quarantine', reason: 'bad-signature', critical: d.critical, ...(d.mpxn !== undefined && { mpxn: d.mpxn }) }
}

export function createIngest(d: IngestDeps): (body: Buffer, contentType: string, receivedAt: number) => Promise<IngestOutcome> {
  const { config, metrics, log, store } = d
  const unavailable = (err: unknown): IngestOutcome => {
    log.error({ err }, 'store write failed; answering 503')
    return {
      status: 503,
      problem: problem(IngressErrors.STORE_UNAVAILABLE, 'the decision could not be made durable; nothing was kept, retry later'),
      headers: { 'retry-after': String(config.limits.retryAfterSeconds) },
    }
  }

  /** Backpressure (docs/performance.md): 503 + Retry-After instead of an unbounded queue; nothing stored. */
  const overloaded = (detail: string): IngestOutcome => ({
    status: 503,
    problem: problem(IngressErrors.OVERLOADED, detail),
    headers: { 'retry-after': String(config.limits.retryAfterSeconds) },
  })
  /** Spool bounds (docs/operations.md, "Faults"): a target has been down too long or too much is waiting for it. */
  const tooMuchSpooled = (detail: string): IngestOutcome => ({
    status: 503,
    problem: problem(IngressErrors.SPOOL_FULL, detail),
    headers: { 'retry-after': String(config.limits.retryAfterSeconds) },
  })
  const storeBehind = (): string | undefined => {
    const depth = d.commitBacklog()
    return depth >= config.store.maxQueueDepth ? `${depth} decisions waiting for a commit (store.maxQueueDepth ${config.store.maxQueueDepth})` : undefined
  }

  return async function ingest(body: Buffer, contentType: string, receivedAt: number): Promise<IngestOutcome> {
    const started = process.hrtime.bigint()
    const behind = storeBehind()
    if (behind !== undefined) return overloaded(behind)
    const over = d.spoolLimit.overBound()
    if (over !== undefined) return over.kind === 'overloaded' ? overloaded(over.detail) : tooMuchSpooled(over.detail)
    const outcome = await d.evaluate(body)
    if (outcome.kind === 'overloaded') return overloaded(outcome.detail)
    const ev = outcome.ev
    const stillBehind = storeBehind() // the store may have fallen behind while a pool worker evaluated
    if (stillBehind !== undefined) return overloaded(stillBehind)
    if (!ev.ok) {
      metrics.received.inc({ kind: 'invalid' })
      let quarantineId: string
      try {
        quarantineId = await store.commitMalformed({ receivedAt, contentType, body, ...ev.rejection })
      } catch (err) {
        return unavailable(err)
      }
      metrics.decisions.inc({ decision: 'quarantine', reason: 'malformed' })
      log.info({ quarantineId, decision: 'quarantine', reason: 'malformed', code: ev.rejection.code }, 'malformed document quarantined')
      return { status: 422, problem: problem(IngressErrors.MALFORMED, ev.rejection.detail, { quarantineId, reason: ev.rejection.code }) }
    }
    metrics.received.inc({ kind: ev.env.kind })
    // security.verifySignatures (docs/operations.md, "Faults"): a missing or failing signature overrides the decision.
    const sig = d.signatureKeys === undefined ? undefined : verifyEnvelopedSignature(body, d.signatureKeys)
    if (sig !== undefined && !sig.ok) ev.decision = badSignature(ev.decision)
    // the index the decision was made on (a reload may have swapped `registry` meanwhile)
    const rec = toAcceptedRecord(ev, body, contentType, receivedAt, d.recordCtx(outcome.registry))
    if (sig !== undefined && !sig.ok) rec.detail = sig.detail
    let out
    try {
      out = await store.commitAccepted(rec)
    } catch (err) {
      if (isStoreUnavailable(err) || !store.open) return unavailable(err)
      throw err
    }
    metrics.processing.observe(Number(process.hrtime.bigint() - started) / 1e9)
    if (!out.duplicate) {
      metrics.decisions.inc({ decision: out.decision, reason: out.reason })
      if (out.decision === 'deliver' || out.decision === 'forward' || rec.obligation !== undefined) d.wake()
      if (rec.obligation !== undefined && rec.obligation.dueAt <= receivedAt) d.overdueOnArrival?.()
    }
    const line = {
      messageId: out.messageId, decision: out.decision, reason: out.reason,
      ...(out.duplicate && { duplicate: true }),
      ...(config.log.includeMpxn && ev.decision.mpxn !== undefined && { mpxn: ev.decision.mpxn }),
    }
    if (config.log.decisions) log.info(line, 'decision')
    else log.debug(line, 'decision')
    return {
      status: 200,
      body: { messageId: out.messageId, decision: out.decision, reason: out.reason, ...(out.duplicate && { duplicate: true as const }) },
    }
  }
}
