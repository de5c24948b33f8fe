import { GatewayError, IngressErrors } from '../http/index.js'
import type { AckAnswer, ObligationRow } from '../store/index.js'
import type { AckLinks } from './ack-link.js'

// What a receiver can do with the signed acknowledgement link in a notice, as data: open it (the
// obligation it names, or why not) and answer it ("we have it", or for a forwarded alert "we are
// not the supplier: the supplier is ..."). The page that asks is src/console/ack-page.ts.

export interface AckLinkDeps {
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

export interface OpenedAckLink {
  obligation: ObligationRow
  /** parties the receiver can name as the current supplier, not itself */
  parties: readonly { id: string; name: string }[]
  /** acknowledged, redirected or closed: nothing more to answer */
  answered: boolean
}

/** The receiver's answer as typed: name and organisation, `answer` 'ack' or 'redirect', the supplier named. */
export type AckFields = Record<'name' | 'organisation' | 'answer' | 'party' | 'supplier', string>

export type AckOutcome =
  | { ok: true; outcome: 'acknowledged' | 'redirected' | 'already'; obligation: ObligationRow }
  /** the answer lacks something; `problem` says what, for the receiver */
  | { ok: false; problem: string }

const ANSWERED: readonly ObligationRow['status'][] = ['acknowledged', 'redirected', 'closed']

/** The obligation a link names. A link this gateway did not sign is 403, an expired one 410. */
export async function openAckLink(token: string, d: AckLinkDeps): Promise<OpenedAckLink> {
  const check = d.links.verify(token, d.now())
  if (!check.ok) {
    throw check.why === 'expired'
      ? new GatewayError(IngressErrors.ACK_LINK_EXPIRED, 'this acknowledgement link has expired; acknowledge through the gateway operator')
      : new GatewayError(IngressErrors.ACK_LINK_INVALID, 'this acknowledgement link is not one this gateway signed')
  }
  const o = await found(d, check.obligationId)
  return { obligation: o, parties: d.parties().filter((p) => p.id !== o.toParty), answered: ANSWERED.includes(o.status) }
}

/** Records the answer to an opened link (idempotent: a second answer is 'already'). */
export async function answerAckLink(opened: OpenedAckLink, v: AckFields, d: AckLinkDeps): Promise<AckOutcome> {
  if (v.name === '' || v.organisation === '') return { ok: false, problem: 'Please give your name and your organisation.' }
  const o = opened.obligation
  const actor = `ack-link: ${v.name} (${v.organisation})`
  if (v.answer === 'redirect' && o.type === 'critical-forward') {
    if (v.party === '' && v.supplier === '') return { ok: false, problem: 'Please name the current supplier: pick it from the list or type its name.' }
    if (v.party !== '' && !opened.parties.some((p) => p.id === v.party)) return { ok: false, problem: 'That supplier is not one we know; type its name instead.' }
    const redirectTo = v.party !== '' ? { party: v.party } : { text: v.supplier }
    const r = await d.redirect(o.id, actor, { name: v.name, organisation: v.organisation, redirectTo })
    return outcome(d, o, r, 'redirected')
  }
  return outcome(d, o, await d.acknowledge(o.id, actor), 'acknowledged')
}

async function outcome(d: AckLinkDeps, o: ObligationRow, r: 'ok' | 'not-found' | 'already', done: 'acknowledged' | 'redirected'): Promise<AckOutcome> {
  if (r === 'not-found') throw new GatewayError(IngressErrors.NOT_FOUND, `no obligation ${o.id}`)
  return { ok: true, outcome: r === 'already' ? 'already' : done, obligation: (await d.obligation(o.id)) ?? o }
}

async function found(d: AckLinkDeps, id: string): Promise<ObligationRow> {
  const o = await d.obligation(id)
  if (o === undefined) throw new GatewayError(IngressErrors.NOT_FOUND, `no obligation ${id}`)
  return o
}
