import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Database } from 'better-sqlite3'
import { IngressErrors } from '../ingress/errors.js'
import { sendError, sendJson } from '../ingress/http-util.js'
import type { ObligationEventRow, ObligationRow, QuarantineFilter, QuarantineRow } from '../store/index.js'
import type { WorkingDayCalendar } from '../obligations/index.js'
import { checkBearer } from './auth.js'
import { adminActor, handleAuditRoutes } from './audit.js'
import type { AuditDeps } from './audit.js'
import { staleCosReport } from './stale-cos.js'

/** The quarantine's read side, whichever store holds it (SQLite tables or the JetStream stream). */
export interface QuarantineReader {
  list(f: QuarantineFilter): Promise<{ items: QuarantineRow[]; nextCursor: string | null }>
  get(id: string): Promise<{ row: QuarantineRow; body: Buffer } | undefined>
}

/** The obligations' read side: SQLite tables, or the NATS bucket's mirror in clustered mode. */
export interface ObligationReader {
  list(status: 'open' | 'overdue' | 'done' | 'all', now: number): ObligationRow[]
  get(id: string): ObligationRow | undefined
  /** the status history (SQLite keeps it in obligation_events; NATS in the audit stream: []) */
  events(id: string): ObligationEventRow[]
}

export interface AdminDeps extends AuditDeps {
  token: string
  quarantine: QuarantineReader
  obligations: ObligationReader
  db: () => Database
  reloadRegistry(): Promise<unknown>
  releaseQuarantined(id: string, actor: string): Promise<unknown>
  /** a critical message whose obligation is open needs `reason` (issue 15) */
  deleteQuarantined(id: string, actor: string, reason?: string): Promise<boolean>
  acknowledge(id: string, actor: string): Promise<'ok' | 'not-found' | 'already'>
  now(): number
  /** working days elapsed in the stale-CoS report */
  calendar?: WorkingDayCalendar
  /** records an admin action that the store does not audit itself (registry reload) */
  audit?(actor: string, action: string, target: string | null, detail: string | null): Promise<void>
}

const QUARANTINE_ID = /^\/admin\/quarantine\/([0-9a-f-]{36})(\/release)?$/
const OBLIGATION_ACK = /^\/admin\/obligations\/([0-9a-f-]{36})\/ack$/
const OBLIGATION_ID = /^\/admin\/obligations\/([0-9a-f-]{36})$/

/** Admin API (contract §8). Every route needs the bearer token. */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL, deps: AdminDeps): Promise<void> {
  const auth = checkBearer(req.headers.authorization, deps.token)
  if (auth === 'missing') return sendError(res, IngressErrors.UNAUTHORIZED, 'send Authorization: Bearer <admin.token>', {}, { 'www-authenticate': 'Bearer' })
  if (auth === 'wrong') return sendError(res, IngressErrors.FORBIDDEN, 'the bearer token is not the configured admin.token')
  req.resume()
  const actor = adminActor(req)
  const path = url.pathname
  const q = url.searchParams
  const method = req.method ?? 'GET'

  if (path === '/admin/registry/reload' && method === 'POST') {
    try {
      const loaded = await deps.reloadRegistry()
      await deps.audit?.(actor, 'registry.reload', null, 'ok')
      return sendJson(res, 200, loaded)
    } catch (err) {
      await deps.audit?.(actor, 'registry.reload', null, `failed: ${(err as Error).message}`.slice(0, 500))
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
    try {
      return sendJson(res, 200, await deps.quarantine.list({
        limit,
        ...(q.get('reason') !== null && { reason: q.get('reason')! }),
        ...(q.get('mpxn') !== null && { mpxn: q.get('mpxn')! }),
        ...(sinceMs !== undefined && { since: sinceMs }),
        ...(critical !== null && { critical: critical === 'true' }),
        ...(q.get('alertCode') !== null && { alertCode: q.get('alertCode')! }),
        ...(q.get('cursor') !== null && { cursor: q.get('cursor')! }),
      }))
    } catch (err) {
      return sendError(res, IngressErrors.BAD_REQUEST, (err as Error).message)
    }
  }
  const qm = QUARANTINE_ID.exec(path)
  if (qm !== null) {
    const id = qm[1]!
    if (qm[2] === '/release' && method === 'POST') {
      try {
        return sendJson(res, 200, await deps.releaseQuarantined(id, actor))
      } catch (err) {
        const e = err as { code?: string; message: string }
        return sendError(res, e.code === 'DCCGW_ERR_NOT_FOUND' ? IngressErrors.NOT_FOUND : IngressErrors.CONFLICT, e.message)
      }
    }
    if (qm[2] === undefined && method === 'GET') {
      const held = await deps.quarantine.get(id)
      if (held === undefined) return sendError(res, IngressErrors.NOT_FOUND, `no quarantined message ${id}`)
      const { row, body } = held
      if (q.get('raw') === '1') {
        res.writeHead(200, { 'content-type': row.contentType ?? 'application/octet-stream', 'content-length': body.byteLength })
        return void res.end(body)
      }
      return sendJson(res, 200, row)
    }
    if (qm[2] === undefined && method === 'DELETE') {
      try {
        return (await deps.deleteQuarantined(id, actor, q.get('reason')?.trim().slice(0, 500) || undefined))
          ? sendJson(res, 200, { deleted: id })
          : sendError(res, IngressErrors.NOT_FOUND, `no quarantined message ${id}`)
      } catch (err) {
        const e = err as { code?: string; message: string }
        if (e.code === 'DCCGW_ERR_REASON_REQUIRED') return sendError(res, IngressErrors.BAD_REQUEST, `${e.message} (?reason=...)`)
        throw err
      }
    }
  }
  if (path === '/admin/obligations' && method === 'GET') {
    const status = q.get('status') ?? 'open'
    if (!['open', 'overdue', 'done', 'all'].includes(status)) return sendError(res, IngressErrors.BAD_REQUEST, `status=${status}: expected open, overdue, done or all`)
    return sendJson(res, 200, { items: deps.obligations.list(status as 'open', deps.now()) })
  }
  const oid = OBLIGATION_ID.exec(path)
  if (oid !== null && method === 'GET') {
    const o = deps.obligations.get(oid[1]!)
    if (o === undefined) return sendError(res, IngressErrors.NOT_FOUND, `no obligation ${oid[1]}`)
    return sendJson(res, 200, { ...o, events: deps.obligations.events(o.id) })
  }
  const om = OBLIGATION_ACK.exec(path)
  if (om !== null && method === 'POST') {
    const r = await deps.acknowledge(om[1]!, actor)
    if (r === 'not-found') return sendError(res, IngressErrors.NOT_FOUND, `no obligation ${om[1]}`)
    // the NATS mirror may not have seen the acknowledgement yet: the status is known all the same
    const row = deps.obligations.get(om[1]!)
    return sendJson(res, 200, { ...row, id: om[1]!, status: 'acknowledged', alreadyAcknowledged: r === 'already' })
  }
  if (path === '/admin/reports/stale-cos' && method === 'GET') {
    const since = q.get('since')
    const format = q.get('format') ?? 'json'
    const min = q.get('minWorkingDays')
    if (min !== null && !/^\d{1,4}$/.test(min)) return sendError(res, IngressErrors.BAD_REQUEST, `minWorkingDays=${min}: expected a whole number of working days`)
    const status = q.get('status')
    if (status !== null && status !== 'open' && status !== 'resolved') return sendError(res, IngressErrors.BAD_REQUEST, `status=${status}: expected open or resolved`)
    const report = staleCosReport(deps.db(), {
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
