import { consoleHref, html } from './html.js'
import type { Html } from './html.js'
import { ask, unavailable, utc } from './layout.js'
import type { ConsoleDeps } from './types.js'

// `/console/audit`: who did what and when (admin API, console, CLI), newest first, filterable by
// actor (any part of it: the credential's name, an address), action and date.

const PAGE = 100

export async function auditBody(d: ConsoleDeps, q: URLSearchParams): Promise<Html> {
  const actor = (q.get('actor') ?? '').trim()
  const action = (q.get('action') ?? '').trim()
  const since = (q.get('since') ?? '').trim()
  const before = Number(q.get('before') ?? NaN)
  const sinceMs = since === '' ? undefined : Date.parse(since)
  const answer = await ask(() => d.store.auditPage({
    limit: PAGE,
    ...(actor !== '' && { actor }),
    ...(action !== '' && { action }),
    ...(sinceMs !== undefined && !Number.isNaN(sinceMs) && { since: sinceMs }),
    ...(Number.isInteger(before) && { before }),
  }))
  if (!answer.ok) return unavailable('The audit log view', answer.why)
  const page = answer.value
  const actions = await d.store.auditActions()
  const filters = { actor, action, since }
  return html`<form class="filters" method="get" action="/console/audit" role="search" aria-label="Filter the audit log">
  <label>Actor contains <input name="actor" value="${actor}" autocomplete="off"></label>
  <label>Action <select name="action"><option value="">any action</option>${actions.map((a) => html`<option value="${a}"${a === action ? html` selected` : ''}>${a}</option>`)}</select></label>
  <label>Since <input type="date" name="since" value="${since}"></label>
  <button type="submit">Filter</button>
  <a href="/console/audit">Clear</a>
</form>
${sinceMs !== undefined && Number.isNaN(sinceMs) ? html`<p class="flash error" role="alert">"${since}" is not a date (YYYY-MM-DD)</p>` : ''}
${page.items.length === 0
    ? html`<p>No audited action matches.</p>`
    : html`<div class="scroll"><table><thead><tr><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Detail</th></tr></thead>
<tbody>${page.items.map((r) => html`<tr><td>${utc(r.at)}</td><td>${r.actor}</td><td>${r.action}</td><td>${r.target}</td><td>${r.detail}</td></tr>`)}</tbody></table></div>`}
<nav class="pager" aria-label="Pages">
  ${Number.isInteger(before) ? html`<a href="${consoleHref('/console/audit', filters)}">Newest</a>` : ''}
  ${page.nextBefore !== null ? html`<a href="${consoleHref('/console/audit', { ...filters, before: page.nextBefore })}" rel="next">Older</a>` : ''}
</nav>`
}
