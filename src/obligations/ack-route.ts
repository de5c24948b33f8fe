import type { IncomingMessage, ServerResponse } from 'node:http'
import { IngressErrors } from '../ingress/errors.js'
import { sendError } from '../ingress/http-util.js'
import type { ObligationRow } from '../store/types.js'
import type { AckLinks } from './ack-link.js'
import { levelName } from './contacts.js'

// The one public route (no bearer token): the signed acknowledgement link in a notice.
//   GET  /obligations/ack?token=...  a small confirmation page (a mail scanner that follows
//                                    links must not acknowledge on someone's behalf)
//   POST /obligations/ack?token=...  acknowledges (the page's button); idempotent
// A wrong token is 403 DCCGW_ERR_ACK_LINK_INVALID, an expired one 410 DCCGW_ERR_ACK_LINK_EXPIRED.

export interface AckRouteDeps {
  links: AckLinks
  obligation(id: string): Promise<ObligationRow | undefined>
  acknowledge(id: string, actor: string): Promise<'ok' | 'not-found' | 'already'>
  now(): number
}

export async function handleAckLink(req: IncomingMessage, res: ServerResponse, url: URL, deps: AckRouteDeps): Promise<void> {
  req.resume()
  const method = req.method ?? 'GET'
  if (method !== 'GET' && method !== 'POST') return sendError(res, IngressErrors.METHOD, `${method}: use GET or POST`, {}, { allow: 'GET, POST' })
  const check = deps.links.verify(url.searchParams.get('token') ?? '', deps.now())
  if (!check.ok) {
    return check.why === 'expired'
      ? sendError(res, IngressErrors.ACK_LINK_EXPIRED, 'this acknowledgement link has expired; acknowledge through the gateway operator')
      : sendError(res, IngressErrors.ACK_LINK_INVALID, 'this acknowledgement link is not one this gateway signed')
  }
  const id = check.obligationId
  if (method === 'POST') {
    const r = await deps.acknowledge(id, `ack-link:${req.socket.remoteAddress ?? 'unknown'}`)
    if (r === 'not-found') return sendError(res, IngressErrors.NOT_FOUND, `no obligation ${id}`)
    return page(res, 200, 'Acknowledged', `<p>${r === 'already' ? 'This was already acknowledged.' : 'Thank you: the acknowledgement is recorded.'}</p>${summary((await deps.obligation(id))!)}`)
  }
  const o = await deps.obligation(id)
  if (o === undefined) return sendError(res, IngressErrors.NOT_FOUND, `no obligation ${id}`)
  if (o.status === 'acknowledged') return page(res, 200, 'Already acknowledged', summary(o))
  const action = `${url.pathname}?token=${encodeURIComponent(url.searchParams.get('token')!)}`
  return page(res, 200, 'Acknowledge', `${summary(o)}<form method="post" action="${esc(action)}"><button type="submit">Acknowledge</button></form>`)
}

function summary(o: ObligationRow): string {
  const n = o.notice as Record<string, unknown>
  const rows: [string, unknown][] = [
    ['Reference', o.id],
    ['Duty', o.type === 'install-code' ? 'Install code for a non-commissioned device (SECMP0121)' : 'Critical alert forwarded to you'],
    ['MPxN', o.mpxn],
    ['Alert', o.alertCode === null ? null : `${o.alertCode} ${String(n.alertName ?? '')}`],
    ['Alert time', n.alertTime],
    ['Device', n.deviceId],
    ['Status', o.status],
    ['Contact level', levelName(o.level)],
    ['Acknowledge by', new Date(o.dueAt).toISOString()],
  ]
  return `<table>${rows.filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join('')}</table>`
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${esc(title)}</title></head>` +
    `<body><h1>${esc(title)}</h1>${body}</body></html>\n`
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
  res.end(html)
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
