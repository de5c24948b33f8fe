import type { Logger } from 'pino'
import type { GatewayMetrics } from '../metrics/index.js'
import { evaluate, toAcceptedRecord } from '../pipeline.js'
import type { EvaluateContext, RecordContext } from '../pipeline.js'
import { GatewayError, IngressErrors } from '../http/index.js'
import { notFound } from '../store/index.js'
import type { CommitOutcome, GatewayStore } from '../store/index.js'

export interface ReleaseDeps {
  store: GatewayStore
  evalCtx(): EvaluateContext
  recordCtx(): RecordContext
  metrics: GatewayMetrics
  log: Logger
  now(): number
  wake(): void
}

/**
 * Operator release of a quarantined message (docs/http.md): re-evaluated against the index in
 * force now, then delivered, forwarded or dropped as that decides; an operator's release of what
 * is still undecidable delivers it as it is to the addressed party (`operator-released`).
 */
export function createRelease(d: ReleaseDeps): (id: string, actor: string) => Promise<CommitOutcome> {
  return async function release(id: string, actor: string): Promise<CommitOutcome> {
    const [row, body] = await Promise.all([d.store.getQuarantine(id), d.store.getQuarantineBody(id)])
    if (row === undefined || body === undefined) throw notFound(`no quarantined message ${id}`)
    const ev = evaluate(body, d.evalCtx())
    if (!ev.ok) throw new GatewayError(IngressErrors.CONFLICT, `still not a usable DUIS document: ${ev.rejection.detail}`)
    if (ev.decision.decision === 'quarantine') {
      // The operator vouches for it: deliver to the addressed party as it is.
      const to = ev.facts.recipient?.delegateTo ?? ev.facts.recipient?.partyId
      if (to === undefined) throw new GatewayError(IngressErrors.CONFLICT, `cannot release: ${ev.decision.reason} and no party to deliver to`)
      ev.decision = { decision: 'deliver', reason: 'operator-released', deliverTo: to, critical: ev.decision.critical, ...(ev.decision.mpxn !== undefined && { mpxn: ev.decision.mpxn }) }
    }
    const rec = toAcceptedRecord(ev, body, row.contentType ?? 'application/xml', d.now(), d.recordCtx())
    const out = await d.store.releaseQuarantined(id, rec, actor)
    d.metrics.decisions.inc({ decision: out.decision, reason: out.reason })
    d.wake()
    d.log.info({ quarantineId: id, messageId: out.messageId, decision: out.decision, reason: out.reason, actor }, 'quarantine released')
    return out
  }
}
