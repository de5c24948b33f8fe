import { REASONS } from '../policy/index.js'
import type { QuarantineFilter, QuarantineRow } from '../store/index.js'
import { alertName } from '../obligations/index.js'
import { consoleHref, html } from './html.js'
import type { Html } from './html.js'
import { ask, canChange, csrfField, duration, unavailable, utc } from './layout.js'
import type { Session } from './session.js'
import type { ConsoleDeps } from './types.js'

// `/console/quarantine`: the worklist. Critical first, then newest (listQuarantine's order), keyset
// pages of PAGE rows; the filters are query parameters so that a view can be bookmarked.

export const PAGE = 50
/** a bulk release works through at most this many messages per confirmation */
export const BULK_MAX = 10_000

export interface WorklistQuery {
  reason: string
  critical: '' | 'true' | 'false'
  mpxn: string
  alertCode: string
  since: string
  cursor: string
}

export function worklistQuery(q: URLSearchParams): WorklistQuery {
  const critical = q.get('critical') ?? ''
  return {
    reason: (q.get('reason') ?? '').trim(),
    critical: critical === 'true' || critical === 'false' ? critical : '',
    mpxn: (q.get('mpxn') ?? '').trim(),
    alertCode: (q.get('alertCode') ?? '').trim(),
    since: (q.get('since') ?? '').trim(),
    cursor: q.get('cursor') ?? '',
  }
}

export async function quarantineBody(d: ConsoleDeps, s: Session, w: WorklistQuery): Promise<Html> {
  const now = d.now()
  const problems: string[] = []
  const sinceMs = w.since === '' ? undefined : Date.parse(w.since)
  if (sinceMs !== undefined && Number.isNaN(sinceMs)) problems.push(`"${w.since}" is not a date (YYYY-MM-DD)`)
  const f: QuarantineFilter = {
    limit: PAGE,
    ...(w.reason !== '' && { reason: w.reason }),
    ...(w.mpxn !== '' && { mpxn: w.mpxn }),
    ...(w.alertCode !== '' && { alertCode: w.alertCode }),
    ...(sinceMs !== undefined && !Number.isNaN(sinceMs) && { since: sinceMs }),
    ...(w.critical !== '' && { critical: w.critical === 'true' }),
    ...(w.cursor !== '' && { cursor: w.cursor }),
  }
  let page: { items: QuarantineRow[]; nextCursor: string | null } = { items: [], nextCursor: null }
  try {
    if (problems.length === 0) page = await d.store.listQuarantine(f)
  } catch (err) {
    problems.push((err as Error).message)
  }
  const filters = { reason: w.reason, critical: w.critical, mpxn: w.mpxn, alertCode: w.alertCode, since: w.since }
  return html`${filterForm(w)}
${problems.map((p) => html`<p class="flash error" role="alert">${p}</p>`)}
${await bulkRelease(d, s, w.reason)}
${page.items.length === 0
    ? html`<p>No quarantined message matches${w.cursor !== '' ? ' on this page' : ''}.</p>`
    : html`<div class="scroll"><table class="worklist">
<caption class="sr-only">Quarantined messages, critical first, newest first</caption>
<thead><tr><th scope="col">Received</th><th scope="col">Reason</th><th scope="col">Alert</th><th scope="col">Kind</th><th scope="col">Party</th><th scope="col">MPxN</th><th scope="col" class="num">Bytes</th></tr></thead>
<tbody>${page.items.map((r) => row(r, now))}</tbody></table></div>`}
<nav class="pager" aria-label="Pages">
  ${w.cursor !== '' ? html`<a href="${consoleHref('/console/quarantine', filters)}">First page</a>` : ''}
  ${page.nextCursor !== null ? html`<a href="${consoleHref('/console/quarantine', { ...filters, cursor: page.nextCursor })}" rel="next">Next page</a>` : ''}
</nav>`
}

function row(r: QuarantineRow, now: number): Html {
  return html`<tr${r.critical ? html` class="is-critical"` : ''}>
<td><a href="/console/quarantine/${r.id}">${utc(r.receivedAt)}</a><br><span class="muted">${duration(now - r.receivedAt)} ago</span></td>
<td>${r.reason}${r.critical ? html` <span class="badge critical">critical</span>` : ''}</td>
<td>${r.alertCode === null ? '' : html`<abbr title="${alertName(r.alertCode)}">${r.alertCode}</abbr>`}</td>
<td>${r.kind}</td><td>${r.party}</td><td>${r.mpxn}</td><td class="num">${r.size}</td></tr>`
}

function filterForm(w: WorklistQuery): Html {
  const reasons = Object.keys(REASONS)
  const option = (value: string, label: string, selected: string) => html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`
  return html`<form class="filters" method="get" action="/console/quarantine" role="search" aria-label="Filter the quarantine">
  <label>Reason <select name="reason">${option('', 'any reason', w.reason)}${reasons.map((r) => option(r, r, w.reason))}${
    w.reason !== '' && !reasons.includes(w.reason) ? option(w.reason, w.reason, w.reason) : ''
  }</select></label>
  <label>Critical <select name="critical">${option('', 'either', w.critical)}${option('true', 'critical only', w.critical)}${option('false', 'not critical', w.critical)}</select></label>
  <label>MPxN <input name="mpxn" value="${w.mpxn}" inputmode="numeric" autocomplete="off" size="14"></label>
  <label>Alert code <input name="alertCode" value="${w.alertCode}" autocomplete="off" size="6"></label>
  <label>Received since <input name="since" type="date" value="${w.since}"></label>
  <button type="submit">Filter</button>
  <a href="/console/quarantine">Clear</a>
</form>`
}

/** After a registry fix: release every message of one reason, confirming the count first. */
async function bulkRelease(d: ConsoleDeps, s: Session, reason: string): Promise<Html | ''> {
  if (reason === '' || !canChange(s)) return ''
  const count = await ask(() => d.store.countQuarantineByReason(reason))
  if (!count.ok) return unavailable('Releasing a whole reason at once (release messages one by one)', count.why)
  const n = count.value
  if (n === 0) return ''
  return html`<form class="bulk" method="post" action="/console/quarantine/release-all">
  ${csrfField(s)}<input type="hidden" name="reason" value="${reason}"><input type="hidden" name="count" value="${n}">
  <p>After fixing the registry, release all <strong>${n}</strong> messages quarantined as <strong>${reason}</strong>${n > BULK_MAX ? html` (the first ${BULK_MAX} per confirmation)` : ''}: each is re-evaluated on the current registry.</p>
  <button type="submit" class="warn">Release all ${n} ${reason}</button>
</form>`
}
