import type { IncomingMessage, ServerResponse } from 'node:http'
import { IngressErrors, readBody, sendError } from '../http/index.js'
import type { HttpPlugin } from '../http/index.js'
import { ACK_PATH, answerAckLink, openAckLink } from '../obligations/index.js'
import type { AckFields, AckLinkDeps } from '../obligations/index.js'
import { ACK_PAGE_HEADERS, renderAckDone, renderAckForm, type AckFormView } from './ack-page.js'

// The one public route (no bearer token): the signed acknowledgement link in a notice.
//   GET  /obligations/ack?token=...  the page: who is answering (name and organisation, required)
//                                    and, for a forwarded alert, "we are the supplier" or "we are
//                                    not: the supplier is ..." (a mail scanner that follows links
//                                    must not acknowledge on someone's behalf, so GET changes nothing)
//   POST /obligations/ack?token=...  the form (application/x-www-form-urlencoded); idempotent
// A wrong token is 403 DCCGW_ERR_ACK_LINK_INVALID, an expired one 410 DCCGW_ERR_ACK_LINK_EXPIRED
// (GatewayErrors from src/obligations, answered by the HTTP layer).

const FORM_LIMIT = 8192
const FIELD_MAX = 200

export type AckRouteDeps = AckLinkDeps

/** GET and POST /obligations/ack (no bearer token: the signed link is the credential). */
export const registerAckPage: HttpPlugin<AckRouteDeps> = (router, deps) => {
  router.on('*', ACK_PATH, (req, res, url) => handleAckLink(req, res, url, deps))
}

export async function handleAckLink(req: IncomingMessage, res: ServerResponse, url: URL, deps: AckRouteDeps): Promise<void> {
  const method = req.method ?? 'GET'
  if (method !== 'POST') req.resume()
  if (method !== 'GET' && method !== 'POST') return sendError(res, IngressErrors.METHOD, `${method}: use GET or POST`, {}, { allow: 'GET, POST' })
  const opened = await openAckLink(url.searchParams.get('token') ?? '', deps).catch((err: unknown) => {
    req.resume()
    throw err
  })
  const view: AckFormView = {
    obligation: opened.obligation,
    action: `${url.pathname}?token=${encodeURIComponent(url.searchParams.get('token')!)}`,
    parties: opened.parties,
  }
  if (method === 'GET') return send(res, 200, opened.answered ? renderAckDone(opened.obligation, 'already') : renderAckForm(view))

  const body = await readBody(req, FORM_LIMIT)
  if (!body.ok) return body.tooLarge ? sendError(res, IngressErrors.BODY_TOO_LARGE, `the form is over ${FORM_LIMIT} bytes`, {}, { connection: 'close' }) : undefined
  const form = new URLSearchParams(body.body.toString('utf8'))
  const field = (k: string) => (form.get(k) ?? '').trim().slice(0, FIELD_MAX)
  const values: AckFields = { name: field('name'), organisation: field('organisation'), answer: field('answer') || 'ack', party: field('party'), supplier: field('supplier') }
  const answer = await answerAckLink(opened, values, deps)
  if (!answer.ok) return send(res, 400, renderAckForm({ ...view, values, problem: answer.problem }))
  return send(res, 200, renderAckDone(answer.obligation, answer.outcome))
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { ...ACK_PAGE_HEADERS, 'content-length': Buffer.byteLength(html) })
  res.end(html)
}
