import type { IncomingMessage, ServerResponse } from 'node:http'
import { IngressErrors, clientCommonName, sendError, sendJson } from '../http/index.js'
import type { AuditRow, GatewayStore } from '../store/index.js'
import { LEGACY_TOKEN_NAME } from './auth.js'

// The admin audit trail (every admin action audited, who, when, what: docs/http.md, `GET /admin/audit`). Rows are written
// by the store with the action (release, delete, purge, ack) or right after it (registry reload);
// GET /admin/audit reads them through the store port, newest first.

export type { AuditRow }

export interface AuditDeps {
  store: Pick<GatewayStore, 'listAudit'>
  /** runs the retention rules now (age, then size); returns what was purged */
  purgeQuarantine?(actor: string): Promise<{ byAge: number; bySize: number }>
}

/**
 * Who: the admin API, the credential's name (admin.tokens), the verified client certificate CN
 * when mTLS is on, and the peer address. The single admin.token (named `admin`) keeps the form it
 * had before named credentials (`admin-api:<addr>`), so scripts reading the audit log still match.
 */
export function adminActor(req: IncomingMessage, credential: string = LEGACY_TOKEN_NAME): string {
  const cn = clientCommonName(req)
  const addr = req.socket.remoteAddress ?? 'unknown'
  const who = [credential === LEGACY_TOKEN_NAME ? undefined : credential, cn === undefined ? undefined : `CN=${cn}`].filter((s) => s !== undefined)
  return who.length === 0 ? `admin-api:${addr}` : `admin-api:${who.join(',')}@${addr}`
}

/**
 * `GET /admin/audit?action=&since=&limit=` and `POST /admin/quarantine/purge` (the hourly
 * retention, run now). Returns false when the route is not one of these.
 */
export async function handleAuditRoutes(req: IncomingMessage, res: ServerResponse, url: URL, deps: AuditDeps, actor: string): Promise<boolean> {
  const method = req.method ?? 'GET'
  if (url.pathname === '/admin/audit' && method === 'GET') {
    const q = url.searchParams
    const limit = Math.min(Math.max(Number(q.get('limit') ?? 100) || 100, 1), 1000)
    const since = q.get('since')
    const sinceMs = since === null ? undefined : Date.parse(since)
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) {
      sendError(res, IngressErrors.BAD_REQUEST, `since=${since}: expected an ISO date or date-time`)
      return true
    }
    const action = q.get('action')
    sendJson(res, 200, { items: await deps.store.listAudit({ limit, ...(action !== null && { action }), ...(sinceMs !== undefined && { since: sinceMs }) }) })
    return true
  }
  if (url.pathname === '/admin/quarantine/purge' && method === 'POST' && deps.purgeQuarantine !== undefined) {
    sendJson(res, 200, await deps.purgeQuarantine(actor))
    return true
  }
  return false
}
