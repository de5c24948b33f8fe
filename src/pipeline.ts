// The one-way flow of a DUIS document, in one place:
//   bytes -> parseEnvelope -> lookupFacts -> decide -> store (durable) -> delivery (spool)
import { newId } from './ids/index.js'
import type { Envelope, EnvelopeLimits, EnvelopeRejection } from './envelope/index.js'
import { messageIdOf, parseEnvelope } from './envelope/index.js'
import type { RegistryFacts, RegistryIndex } from './registry/index.js'
import { lookupFacts } from './registry/index.js'
import { decide } from './policy/index.js'
import type { Decision, GraceCalendar, PolicySettings } from './policy/index.js'
import type { AcceptedRecord } from './store/index.js'
import { CRITICAL_QUARANTINE_REASONS, alertDeadline, buildCriticalNotice, buildQuarantinedNotice } from './obligations/index.js'

/** The pure part: parse, look up, decide. Runs on the main thread or in a pool worker. */
export type Evaluation =
  | { ok: false; rejection: EnvelopeRejection }
  | { ok: true; env: Envelope; messageId: string; facts: RegistryFacts; decision: Decision }

export interface EvaluateContext {
  limits: EnvelopeLimits
  registry: RegistryIndex
  policy: PolicySettings
  calendar: GraceCalendar
}

export function evaluate(body: Uint8Array, ctx: EvaluateContext): Evaluation {
  const parsed = parseEnvelope(body, ctx.limits)
  if (!parsed.ok) return { ok: false, rejection: parsed.error }
  return judge(parsed.value, messageIdOf(parsed.value, body), ctx)
}

/** Look up and decide a parsed envelope: evaluate() = parseEnvelope + judge. */
function judge(env: Envelope, messageId: string, ctx: Omit<EvaluateContext, 'limits'>): Extract<Evaluation, { ok: true }> {
  const facts = lookupFacts(env, ctx.registry, ctx.policy.dccUserIds)
  const decision = decide(env, facts, ctx.policy, ctx.calendar)
  return { ok: true, env, messageId, facts, decision }
}

export interface RecordContext {
  registry: RegistryIndex
  /** end of the n-th working day after an instant (obligations calendar) */
  deadline(epochMs: number, workingDays: number): number
  /** the parties this gateway serves: a quarantined critical alert's obligation goes to one of them */
  tenants?: readonly string[]
}

/** Turns an evaluation into what the store makes durable: headers, and for a forward the obligation. */
export function toAcceptedRecord(
  ev: Extract<Evaluation, { ok: true }>,
  body: Uint8Array,
  contentType: string,
  receivedAt: number,
  ctx: RecordContext,
): AcceptedRecord {
  const { env, decision, facts, messageId } = ev
  const headers: Record<string, string> = {
    'x-dcc-gateway-decision': decision.decision,
    'x-dcc-gateway-reason': decision.reason,
  }
  if (decision.mpxn !== undefined) headers['x-dcc-gateway-mpxn'] = decision.mpxn
  const alertCode = env.alertCode ?? env.dccAlertCode
  const rec: AcceptedRecord = {
    messageId,
    receivedAt,
    kind: env.kind,
    responseTime: env.responseTime,
    decision,
    contentType,
    body,
    headers,
    ...(alertCode !== undefined && { alertCode }),
    ...(facts.recipient !== undefined && { recipientParty: facts.recipient.partyId }),
    responseCode: env.responseCode,
    ...(env.dccAlertType !== undefined && { dccAlertType: env.dccAlertType }),
  }
  const audit = staleEvidence(facts)
  if (audit !== undefined) rec.audit = audit
  // Every alert deadline counts from the alert time, not from receipt (computed only
  // for the decisions that open an obligation: off the hot path of deliveries and drops).
  if (decision.decision === 'quarantine') {
    rec.detail = quarantineDetail(decision, facts)
    const tenant = decision.critical && CRITICAL_QUARANTINE_REASONS.has(decision.reason) ? tenantOf(facts, ctx) : undefined
    if (tenant !== undefined) {
      rec.obligation = buildQuarantinedNotice({
        obligationId: newId(), messageId, env, reason: decision.reason, detail: rec.detail, tenant, dueAt: alertDeadline(ctx, env.responseTime), receivedAt,
        ...(decision.mpxn !== undefined && { mpxn: decision.mpxn }),
        ...(facts.deviceId !== undefined && { deviceId: facts.deviceId }),
      })
    }
  }
  if (decision.decision === 'forward') {
    const to = ctx.registry.party(decision.toParty!)
    if (to === undefined) throw new Error(`forward to unknown party ${decision.toParty}`)
    const from = decision.fromParty !== undefined ? ctx.registry.party(decision.fromParty) : undefined
    rec.obligation = buildCriticalNotice({
      obligationId: newId(),
      messageId,
      env,
      decision,
      to,
      dueAt: alertDeadline(ctx, env.responseTime),
      receivedAt,
      ...(facts.deviceId !== undefined && { deviceId: facts.deviceId }),
      ...(from !== undefined && { from }),
    })
  }
  return rec
}

/**
 * Stale-CoS evidence whatever the decision (docs/obligations.md): the MPxN the addressed party no
 * longer supplies at the message day, with its successor's supply start date; else the first MPxN
 * the message names or its device maps to (a SecurityCredentialsUpdated DCC Alert is found by it).
 */
function staleEvidence(facts: RegistryFacts): AcceptedRecord['audit'] {
  const own = facts.recipient?.mpids ?? []
  const lost = facts.mpxns.find((m) => m.period !== undefined && !own.includes(m.period.mpid) && m.recipientLastPeriod !== undefined)
  // the successor's effective_from, as on every stale decision (registration end dates are inclusive)
  if (lost !== undefined) return { mpxn: lost.mpxn, supplyStartDate: lost.period!.from }
  const first = facts.mpxns[0]
  return first === undefined ? undefined : { mpxn: first.mpxn }
}

/** The tenant a quarantined critical alert concerns: the one it was addressed to (or serves it), else the first. */
function tenantOf(facts: RegistryFacts, ctx: RecordContext): ReturnType<RegistryIndex['party']> {
  const tenants = ctx.tenants ?? []
  const id = [facts.recipient?.delegateTo, facts.recipient?.partyId].find((p) => p !== undefined && tenants.includes(p)) ?? tenants[0]
  return id === undefined ? undefined : ctx.registry.party(id)
}

function quarantineDetail(d: Decision, f: RegistryFacts): string {
  switch (d.reason) {
    case 'unknown-recipient':
      return f.recipientUserId === undefined
        ? 'no recipient User ID in ResponseID, RequestID or the GBCS header'
        : `User ID ${f.recipientUserId} is not a party this gateway serves`
    case 'unknown-device':
      return `device ${f.deviceId} is not in devices.csv`
    case 'unknown-mpxn':
      return f.recipient?.role === 'ES' && !f.mpxns.some((m) => m.role === 'export')
        ? 'the device lists no export MPAN for the ES User'
        : 'no registration period covers the message day'
    case 'never-supplied':
      return 'the addressed party never supplied the MPxN before the message day (a registrations file behind a gain?)'
    case 'unknown-acquirer':
      return 'the acquiring supplier is not in parties.yaml or has no endpoint or e-mail contact'
    default:
      return d.reason
  }
}
