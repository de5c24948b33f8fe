import type { IncomingMessage, ServerResponse } from 'node:http'
import { IngressErrors, readBody, sendError } from '../http/index.js'
import type { HttpPlugin } from '../http/index.js'
import { ACK_PATH } from '../obligations/index.js'
import type { AckLinks } from '../obligations/index.js'
import type { AckAnswer, ObligationRow } from '../store/index.js'
import { ACK_PAGE_HEADERS, renderAckDone, renderAckForm, type AckFormView } from './ack-page.js'

// The one public route (no bearer token): the signed acknowledgement link in a notice.
//   GET  /obligations/ack?token=...  the page: who is answering (name and organisation, required)
//                                    and, for a forwarded alert, "we are the supplier" or "we are
//                                    not: the supplier is ..." (a mail scanner that follows links
//                                    must not acknowledge on someone's behalf, so GET changes nothing)
//   POST /obligations/ack?token=...  the form (application/x-www-form-urlencoded); idempotent
// A wrong token is 403 DCCGW_ERR_ACK_LINK_INVALID, an expired one 410 DCCGW_ERR_ACK_LINK_EXPIRED.

const FORM_LIMIT = 8192
const FIELD_MAX = 200

export interface AckRouteDeps {
  links: AckLinks
  obligation(id: string): Promise<ObligationRow | undefined>
  /** `actor` names who acknowledged: "ack-link: <name> (<organisation>)" */
  acknowledge(id: string, actor: string): Promise<'ok' | 'not-found' | 'already'>
  /** "not the supplier": closes as redirected; a known party gets an onward obligation */
  redirect(id: string, actor: string, answer: AckAnswer): Promise<'ok' | 'not-found' | 'already'>
  /** parties a receiver may name (parties.yaml) */
  parties(): readonly { id: string; name: string }[]
  now(): number
}

/** GET and POST /obligations/ack (no bearer token: the signed link is the credential). */
export const registerAckPage: HttpPlugin<AckRouteDeps> = (router, deps) => {
  router.on('*', ACK_PATH, (req, res, url) => handleAckLink(req, res, url, deps))
}

export async function handleAckLink(req: IncomingMessage, res: ServerResponse, url: URL, deps: AckRouteDeps): Promise<void> {
  const method = req.method ?? 'GET'
  if (method !== 'POST') req.resume()
  if (method !== 'GET' && method !== 'POST') return sendError(res, IngressErrors.METHOD, `${method}: use GET or POST`, {}, { allow: 'GET, POST' })
  const check = deps.links.verify(url.searchParams.get('token') ?? '', deps.now())
  if (!check.ok) {
    req.resume()
    return check.why === 'expired'
      ? sendError(res, IngressErrors.ACK_LINK_EXPIRED, 'this acknowledgement link has expired; acknowledge through the gateway operator')
      : sendError(res, IngressErrors.ACK_LINK_INVALID, 'this acknowledgement link is not one this gateway signed')
  }
  const id = check.obligationId
  const o = await deps.obligation(id)
  if (o === undefined) {
    req.resume()
    return sendError(res, IngressErrors.NOT_FOUND, `no obligation ${id}`)
  }
  const view: AckFormView = {
    obligation: o,
    action: `${url.pathname}?token=${encodeURIComponent(url.searchParams.get('token')!)}`,
    parties: deps.parties().filter((p) => p.id !== o.toParty),
  }
  if (method === 'GET') return send(res, 200, ['acknowledged', 'redirected', 'closed'].includes(o.status) ? renderAckDone(o, 'already') : renderAckForm(view))

  const body = await readBody(req, FORM_LIMIT)
  if (!body.ok) return body.tooLarge ? sendError(res, IngressErrors.BODY_TOO_LARGE, `the form is over ${FORM_LIMIT} bytes`, {}, { connection: 'close' }) : undefined
  const form = new URLSearchParams(body.body.toString('utf8'))
  const field = (k: string) => (form.get(k) ?? '').trim().slice(0, FIELD_MAX)
  const values = { name: field('name'), organisation: field('organisation'), answer: field('answer') || 'ack', party: field('party'), supplier: field('supplier') }
  const again = (problem: string) => send(res, 400, renderAckForm({ ...view, values, problem }))
  if (values.name === '' || values.organisation === '') return again('Please give your name and your organisation.')
  const actor = `ack-link: ${values.name} (${values.organisation})`
  if (values.answer === 'redirect' && o.type === 'critical-forward') {
    if (values.party === '' && values.supplier === '') return again('Please name the current supplier: pick it from the list or type its name.')
    if (values.party !== '' && !view.parties.some((p) => p.id === values.party)) return again('That supplier is not one we know; type its name instead.')
    const redirectTo = values.party !== '' ? { party: values.party } : { text: values.supplier }
    const r = await deps.redirect(id, actor, { name: values.name, organisation: values.organisation, redirectTo })
    if (r === 'not-found') return sendError(res, IngressErrors.NOT_FOUND, `no obligation ${id}`)
    return send(res, 200, renderAckDone((await deps.obligation(id)) ?? o, r === 'already' ? 'already' : 'redirected'))
  }
  const r = await deps.acknowledge(id, actor)
  if (r === 'not-found') return sendError(res, IngressErrors.NOT_FOUND, `no obligation ${id}`)
  return send(res, 200, renderAckDone((await deps.obligation(id)) ?? o, r === 'already' ? 'already' : 'acknowledged'))
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { ...ACK_PAGE_HEADERS, 'content-length': Buffer.byteLength(html) })
  res.end(html)
}
