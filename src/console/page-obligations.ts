import { alertName, levelName } from '../obligations/index.js'
import type { ObligationRow } from '../store/index.js'
import { consoleHref, html } from './html.js'
import type { Html } from './html.js'
import { canChange, csrfField, duration, facts, utc } from './layout.js'
import type { Session } from './session.js'
import type { ConsoleDeps } from './types.js'

// `/console/obligations`: acknowledgement duties (critical-alert notices, install-code requests),
// soonest due first, the due time as a countdown (console.js keeps it current), overdue ones
// highlighted; `/console/obligations/{id}`: one duty with its contacts and event trail.

export const OBLIGATION_VIEWS = ['open', 'overdue', 'done', 'all'] as const
export type ObligationView = (typeof OBLIGATION_VIEWS)[number]

/** `due in 3 h 5 min` / `overdue by 2 d`; data-due lets console.js recount it every 30 s. */
export function countdown(dueAt: number, now: number, done: boolean): Html {
  if (done) return html`<time datetime="${new Date(dueAt).toISOString()}">${utc(dueAt)}</time>`
  const late = dueAt < now
  return html`<time class="countdown${late ? ' overdue' : ''}" datetime="${new Date(dueAt).toISOString()}" data-due="${dueAt}" title="${utc(dueAt)}">${late ? `overdue by ${duration(now - dueAt)}` : `due in ${duration(dueAt - now)}`}</time>`
}

/** statuses that still await an acknowledgement (any other: done, nothing to acknowledge here) */
const PENDING: ReadonlySet<string> = new Set(['open', 'notified', 'overdue', 'escalated'])
const pending = (o: ObligationRow) => PENDING.has(o.status)

export async function obligationsBody(d: ConsoleDeps, s: Session, view: ObligationView): Promise<Html> {
  const now = d.now()
  const rows = await d.store.listObligations(view, now)
  return html`<nav class="tabs" aria-label="Which obligations"><ul>${OBLIGATION_VIEWS.map(
    (v) => html`<li><a href="${consoleHref('/console/obligations', { status: v === 'open' ? undefined : v })}"${v === view ? html` aria-current="page"` : ''}>${v}</a></li>`,
  )}</ul></nav>
${rows.length === 0
    ? html`<p>No ${view === 'all' ? '' : view} obligation.</p>`
    : html`<div class="scroll"><table>
<thead><tr><th scope="col">Due</th><th scope="col">Type</th><th scope="col">To</th><th scope="col">MPxN</th><th scope="col">Alert</th><th scope="col">Level</th><th scope="col">Status</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>${rows.map((o) => html`<tr${pending(o) && o.dueAt < now ? html` class="is-overdue"` : ''}>
<td>${countdown(o.dueAt, now, !pending(o))}</td>
<td><a href="/console/obligations/${o.id}">${o.type}</a></td><td>${o.toParty}</td><td>${o.mpxn}</td>
<td>${o.alertCode === null ? '' : html`<abbr title="${alertName(o.alertCode)}">${o.alertCode}</abbr>`}</td>
<td>${levelName(o.level)}</td><td>${o.status}</td>
<td>${pending(o) && canChange(s) ? ackForm(s, o, true) : ''}</td></tr>`)}</tbody></table></div>`}`
}

function ackForm(s: Session, o: ObligationRow, compact: boolean): Html {
  return html`<form method="post" action="/console/obligations/${o.id}/ack">${csrfField(s)}<button type="submit"${compact ? html` aria-label="Acknowledge ${o.type} for ${o.toParty} ${o.mpxn ?? ''}"` : ''}>Acknowledge</button></form>`
}

export async function obligationBody(d: ConsoleDeps, s: Session, id: string): Promise<Html | undefined> {
  const o = await d.store.getObligation(id)
  if (o === undefined) return undefined
  const now = d.now()
  const party = d.registry().party(o.toParty)
  const contacts = party?.criticalAlerts?.contacts ?? []
  const events = await d.store.obligationEvents(id)
  return html`<p><a href="/console/obligations">Back to the obligations</a></p>
<div class="grid">
<section aria-labelledby="h-duty"><h2 id="h-duty">Duty</h2>
${facts([
  ['Due', countdown(o.dueAt, now, !pending(o))],
  ['Status', o.status],
  ['Type', o.type],
  ['Level', `${levelName(o.level)} (${o.level})`],
  ['From', o.fromParty],
  ['To', o.toParty],
  ['MPxN', o.mpxn],
  ['Alert', o.alertCode === null ? '' : html`<code>${o.alertCode}</code> ${alertName(o.alertCode)}`],
  ['Alert time', utc(o.alertTime)],
  ['Opened', utc(o.createdAt)],
  ['Notified', utc(o.notifiedAt)],
  ['Acknowledged', o.ackedAt === null ? '' : `${utc(o.ackedAt)} by ${o.ackedBy ?? 'unknown'}`],
])}
${pending(o) && canChange(s) ? ackForm(s, o, false) : ''}
</section>
<section aria-labelledby="h-contacts"><h2 id="h-contacts">Contacts of ${o.toParty}</h2>
${contacts.length === 0
    ? html`<p class="notice">No critical-alert contact in parties.yaml: the fallback contact (obligations.fallbackContact) is used.</p>`
    : html`<table><thead><tr><th scope="col">Level</th><th scope="col">Name</th><th scope="col">E-mail</th><th scope="col">Phone</th></tr></thead><tbody>${contacts.map(
        (c) => html`<tr${c.level === levelName(o.level) ? html` class="current"` : ''}><td>${c.level}</td><td>${c.name}</td><td>${c.email}</td><td>${c.phone}</td></tr>`,
      )}</tbody></table>`}
</section>
</div>
<section aria-labelledby="h-trail"><h2 id="h-trail">Event trail</h2>
${events.length === 0
    ? html`<p class="muted">No recorded events.</p>`
    : html`<ol class="trail">${events.map((e) => html`<li><time datetime="${new Date(e.at).toISOString()}">${utc(e.at)}</time> <strong>${e.status}</strong> level ${levelName(e.level)}, due ${utc(e.dueAt)}, by ${e.actor}${e.detail === null ? '' : html`: ${e.detail}`}</li>`)}</ol>`}
</section>`
}
