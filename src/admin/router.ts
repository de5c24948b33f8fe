import type { IncomingMessage, ServerResponse } from 'node:http'
import { IngressErrors, answerRefusal, isGatewayError, readBody, sendError, sendJson } from '../http/index.js'
import type { HttpPlugin } from '../http/index.js'
import { ReasonRequiredError, isStoreUnavailable, storeUnavailable } from '../store/index.js'
import type { GatewayStore } from '../store/index.js'
import type { WorkingDayCalendar } from '../obligations/index.js'
import { authenticateBearer, isReadOnlyMethod } from './auth.js'
import type { Credential } from './auth.js'
import { adminActor, handleAuditRoutes } from './audit.js'
import type { AuditDeps } from './audit.js'
import { staleCosReport } from './stale-cos.js'

/** What the admin API needs of the store (the port in src/store/gateway-store.ts, either kind). */
export type AdminStore = Pick<
  GatewayStore,
  | 'listQuarantine' | 'getQuarantine' | 'getQuarantineBody' | 'deleteQuarantined'
  | 'listObligations' | 'getObligation' | 'obligationEvents' | 'acknowledgeObligation'
  | 'writeAudit' | 'listAudit' | 'staleCosRows' | 'credentialsUpdatedTimes'
>

export interface AdminDeps extends AuditDeps {
  /** admin.token and admin.tokens, resolved (src/admin/auth.ts) */
  credentials: readonly Credential[]
  store: AdminStore
  reloadRegistry(): Promise<unknown>
  /** POST /admin/registry/apply-delta (docs/registry.md): throws an error with `reasons` when refused */
  applyRegistryDelta?(name: string, body: Buffer): Promise<unknown>
  /** re-evaluates and releases (gateway/release.ts) */
  releaseQuarantined(id: string, actor: string): Promise<unknown>
  now(): number
  /** working days elapsed in the stale-CoS report */
  calendar?: WorkingDayCalendar
}

/** a delta file posted to the admin API: 10k rows are ~0.5 MB */
const DELTA_MAX_BYTES = 64 << 20

const QUARANTINE_ID = /^\/admin\/quarantine\/([0-9a-f-]{36})(\/release)?$/
const OBLIGATION_ACK = /^\/admin\/obligations\/([0-9a-f-]{36})\/ack$/
const OBLIGATION_ID = /^\/admin\/obligations\/([0-9a-f-]{36})$/

/** Admin API (docs/http.md) under /admin/. Every route needs the bearer token. */
export const registerAdmin: HttpPlugin<AdminDeps> = (router, deps) => {
  router.under('/admin/', (req, res, url) => handleAdmin(req, res, url, deps))
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL, deps: AdminDeps): Promise<void> {
  try {
    await route(req, res, url, deps)
  } catch (err) {
    // A GatewayError (a StoreError: 404 not found / not available, 400, 503) answers its own
    // status. SQLite I/O trouble (disk full, read-only): the store is unavailable, not the
    // request wrong. Anything else is a bug: the HTTP layer answers 500 and logs it.
    const refusal = !isGatewayError(err) && isStoreUnavailable(err) ? storeUnavailable((err as Error).message, err) : err
    if (!answerRefusal(res, refusal)) throw refusal
  }
}

async function route(req: IncomingMessage, res: ServerResponse, url: URL, deps: AdminDeps): Promise<void> {
  const store = deps.store
  const auth = authenticateBearer(req.headers.authorization, deps.credentials)
  if (auth === 'missing') return sendError(res, IngressErrors.UNAUTHORIZED, 'send Authorization: Bearer <admin.token>', {}, { 'www-authenticate': 'Bearer' })
  if (auth === 'wrong') return sendError(res, IngressErrors.FORBIDDEN, 'the bearer token is not one of admin.token or admin.tokens')
  // a viewer reads everything and changes nothing (admin.tokens roles)
  if (auth.role !== 'operator' && !isReadOnlyMethod(req.method)) {
    req.resume()
    return sendError(res, IngressErrors.FORBIDDEN, `credential ${auth.name} has the viewer role: ${req.method} needs an operator`)
  }
  const actor = adminActor(req, auth.name)
  const path = url.pathname
  const q = url.searchParams
  const method = req.method ?? 'GET'
  if (path === '/admin/registry/apply-delta' && method === 'POST' && deps.applyRegistryDelta) {
    const name = q.get('name') ?? 'api.csv'
    const body = await readBody(req, DELTA_MAX_BYTES)
    if (!body.ok) return sendError(res, body.tooLarge ? IngressErrors.BODY_TOO_LARGE : IngressErrors.BAD_REQUEST, body.tooLarge ? `a delta is at most ${DELTA_MAX_BYTES} bytes` : body.error.message)
    try {
      const summary = await deps.applyRegistryDelta(name, body.body)
      await store.writeAudit(actor, 'registry.delta', name, 'ok')
      return sendJson(res, 200, summary)
    } catch (err) {
      const e = err as Error & { reasons?: unknown[] }
      await store.writeAudit(actor, 'registry.delta', name, `refused: ${e.message}`.slice(0, 500))
      return sendError(res, e.reasons ? IngressErrors.BAD_REQUEST : IngressErrors.CONFLICT, `delta not applied, still serving the previous index: ${e.message}`, e.reasons ? { reasons: e.reasons } : {})
    }
  }
  req.resume() // other routes take no body

  if (path === '/admin/registry/reload' && method === 'POST') {
    try {
      const loaded = await deps.reloadRegistry()
      await store.writeAudit(actor, 'registry.reload', null, 'ok')
      return sendJson(res, 200, loaded)
    } catch (err) {
      await store.writeAudit(actor, 'registry.reload', null, `failed: ${(err as Error).message}`.slice(0, 500))
      return sendError(res, IngressErrors.CONFLICT, `reload failed, still serving the previous index: ${(err as Error).message}`)
    }
  }
  if (await handleAuditRoutes(req, res, url, deps, actor)) return
  if (path === '/admin/quarantine' && method === 'GET') {
    const limit = Math.min(Math.max(Number(q.get('limit') ?? 100) || 100, 1), 1000)
    const since = q.get('since')
    const sinceMs = since === null ? undefined : Date.parse(since)
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) return sendError(res, IngressErrors.BAD_REQUEST, `since=${since}: expected an ISO date or date-time`)
    const critical = q.get('critical')
    if (critical !== null && critical !== 'true' && critical !== 'false') return sendError(res, IngressErrors.BAD_REQUEST, `critical=${critical}: expected true or false`)
    return sendJson(res, 200, await store.listQuarantine({
      limit,
      ...(q.get('reason') !== null && { reason: q.get('reason')! }),
      ...(q.get('mpxn') !== null && { mpxn: q.get('mpxn')! }),
      ...(sinceMs !== undefined && { since: sinceMs }),
      ...(critical !== null && { critical: critical === 'true' }),
      ...(q.get('alertCode') !== null && { alertCode: q.get('alertCode')! }),
      ...(q.get('cursor') !== null && { cursor: q.get('cursor')! }),
    }))
  }
  const qm = QUARANTINE_ID.exec(path)
  if (qm !== null) {
    const id = qm[1]!
    if (qm[2] === '/release' && method === 'POST') {
      // not found, store unavailable: the store's status; a document policy still cannot decide: 409
      return sendJson(res, 200, await deps.releaseQuarantined(id, actor))
    }
    if (qm[2] === undefined && method === 'GET') {
      const row = await store.getQuarantine(id)
      if (row === undefined) return sendError(res, IngressErrors.NOT_FOUND, `no quarantined message ${id}`)
      if (q.get('raw') === '1') {
        const body = await store.getQuarantineBody(id)
        if (body === undefined) return sendError(res, IngressErrors.NOT_FOUND, `no quarantined message ${id}`)
        res.writeHead(200, { 'content-type': row.contentType ?? 'application/octet-stream', 'content-length': body.byteLength })
        return void res.end(body)
      }
      return sendJson(res, 200, row)
    }
    if (qm[2] === undefined && method === 'DELETE') {
      try {
        return (await store.deleteQuarantined(id, actor, q.get('reason')?.trim().slice(0, 500) || undefined))
          ? sendJson(res, 200, { deleted: id })
          : sendError(res, IngressErrors.NOT_FOUND, `no quarantined message ${id}`)
      } catch (err) {
        if (err instanceof ReasonRequiredError) return sendError(res, IngressErrors.BAD_REQUEST, `${err.message} (?reason=...)`)
        throw err
      }
    }
  }
  if (path === '/admin/obligations' && method === 'GET') {
    const status = q.get('status') ?? 'open'
    if (!['open', 'overdue', 'done', 'all'].includes(status)) return sendError(res, IngressErrors.BAD_REQUEST, `status=${status}: expected open, overdue, done or all`)
    return sendJson(res, 200, { items: await store.listObligations(status as 'open', deps.now()) })
  }
  const oid = OBLIGATION_ID.exec(path)
  if (oid !== null && method === 'GET') {
    const o = await store.getObligation(oid[1]!)
    if (o === undefined) return sendError(res, IngressErrors.NOT_FOUND, `no obligation ${oid[1]}`)
    return sendJson(res, 200, { ...o, events: await store.obligationEvents(o.id) })
  }
  const om = OBLIGATION_ACK.exec(path)
  if (om !== null && method === 'POST') {
    const r = await store.acknowledgeObligation(om[1]!, actor, deps.now())
    if (r === 'not-found') return sendError(res, IngressErrors.NOT_FOUND, `no obligation ${om[1]}`)
    return sendJson(res, 200, { ...(await store.getObligation(om[1]!)), id: om[1]!, status: 'acknowledged', alreadyAcknowledged: r === 'already' })
  }
  if (path === '/admin/reports/stale-cos' && method === 'GET') {
    const since = q.get('since')
    const format = q.get('format') ?? 'json'
    const min = q.get('minWorkingDays')
    if (min !== null && !/^\d{1,4}$/.test(min)) return sendError(res, IngressErrors.BAD_REQUEST, `minWorkingDays=${min}: expected a whole number of working days`)
    const status = q.get('status')
    if (status !== null && status !== 'open' && status !== 'resolved') return sendError(res, IngressErrors.BAD_REQUEST, `status=${status}: expected open or resolved`)
    const report = await staleCosReport(store, {
      ...(since !== null && { since: Date.parse(since) }),
      ...(min !== null && { minWorkingDays: Number(min) }),
      ...(status !== null && { status }),
    }, deps.now(), deps.calendar)
    if (format === 'csv') return void (res.writeHead(200, { 'content-type': 'text/csv' }), res.end(report.csv()))
    if (format === 'md') return void (res.writeHead(200, { 'content-type': 'text/markdown' }), res.end(report.markdown()))
    return sendJson(res, 200, { rows: report.rows })
  }
  sendError(res, IngressErrors.NOT_FOUND, `no admin route for ${method} ${path}`)
}
