import { staleCosReport } from '../admin/index.js'
import type { StaleCosReport, StaleCosReportRow } from '../admin/index.js'
import type { WorkingDayCalendar } from '../obligations/index.js'
import { consoleHref, html } from './html.js'
import type { Html } from './html.js'
import { ask, unavailable, utc } from './layout.js'
import type { Answer } from './layout.js'
import type { ConsoleDeps } from './types.js'

// `/console/stale-cos`: the stale-CoS report (src/admin/stale-cos.ts) as a table sorted on the
// server by any column (header links: works without script), with its CSV download.

const COLUMNS: readonly (readonly [keyof StaleCosReportRow, string, boolean])[] = [
  ['mpxn', 'MPxN', false],
  ['party', 'Losing party', false],
  ['acquirer', 'Acquirer', false],
  ['supplyStartDate', 'Supply start', false],
  ['status', 'Status', false],
  ['workingDaysToLastSeen', 'Working days to last message', true],
  ['messages', 'Messages', true],
  ['criticalForwarded', 'Critical forwarded', true],
  ['dropped', 'Dropped', true],
  ['quarantined', 'Quarantined', true],
  ['lastSeenIso', 'Last message', false],
]

/** rows shown on the page (a browser table of thousands helps nobody; the CSV has every row) */
export const MAX_ROWS = 500

export interface StaleCosQuery {
  sort: keyof StaleCosReportRow
  dir: 'asc' | 'desc'
  since: string
}

export function staleCosQuery(q: URLSearchParams): StaleCosQuery {
  const sort = COLUMNS.find((c) => c[0] === q.get('sort'))?.[0] ?? 'workingDaysToLastSeen'
  return { sort, dir: q.get('dir') === 'asc' ? 'asc' : q.get('dir') === 'desc' ? 'desc' : 'desc', since: q.get('since') ?? '' }
}

export function staleCosOf(d: ConsoleDeps, since: string): Promise<Answer<StaleCosReport>> {
  const ms = since === '' ? undefined : Date.parse(since)
  return ask(() => staleCosReport(d.store, ms === undefined || Number.isNaN(ms) ? {} : { since: ms }, d.now(), memoized(d.calendar)))
}

/**
 * The report counts working days twice per row, mostly between the same few dates (one supply
 * start date, today): remembered per request, 2000 rows take ~50 ms instead of ~250 ms
 * (bench/results/console.md).
 */
function memoized(calendar: WorkingDayCalendar): WorkingDayCalendar {
  const seen = new Map<string, number>()
  return Object.assign(Object.create(calendar) as WorkingDayCalendar, {
    workingDaysBetween(from: string, to: string): number {
      const key = `${from}/${to}`
      let n = seen.get(key)
      if (n === undefined) seen.set(key, (n = calendar.workingDaysBetween(from, to)))
      return n
    },
  })
}

export async function staleCosBody(d: ConsoleDeps, q: StaleCosQuery): Promise<Html> {
  const answer = await staleCosOf(d, q.since)
  if (!answer.ok) return unavailable('The stale-CoS report', answer.why)
  const report = answer.value
  const sign = q.dir === 'asc' ? 1 : -1
  const rows = [...report.rows].sort((a, b) => {
    const x = a[q.sort] ?? ''
    const y = b[q.sort] ?? ''
    return (x < y ? -1 : x > y ? 1 : 0) * sign
  })
  const shown = rows.slice(0, MAX_ROWS)
  const head = COLUMNS.map(([key, label, num]) => {
    const active = key === q.sort
    const next = active && q.dir === 'desc' ? 'asc' : 'desc'
    return html`<th scope="col"${num ? html` class="num"` : ''}${active ? html` aria-sort="${q.dir === 'asc' ? 'ascending' : 'descending'}"` : ''}><a href="${consoleHref('/console/stale-cos', { sort: key, dir: next, since: q.since })}">${label}${active ? (q.dir === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`
  })
  return html`<p>Households a tenant lost that still sent it traffic after the supply start date: the Update Security Credentials (SR 6.23) step of the change of supplier was not done.</p>
<form class="filters" method="get" action="/console/stale-cos">
  <input type="hidden" name="sort" value="${q.sort}"><input type="hidden" name="dir" value="${q.dir}">
  <label>Messages since <input type="date" name="since" value="${q.since}"></label>
  <button type="submit">Show</button>
  <a class="button" href="${consoleHref('/console/stale-cos.csv', { since: q.since })}" download>Download CSV</a>
</form>
${rows.length === 0
    ? html`<p>No stale change of supplier: every lost household has stopped sending traffic.</p>`
    : html`<div class="scroll"><table class="sortable"><caption class="sr-only">Stale change-of-supplier households; column headers sort</caption>
<thead><tr>${head}</tr></thead>
<tbody>${shown.map((r) => html`<tr>${COLUMNS.map(([key, , num]) => html`<td${num ? html` class="num"` : ''}>${key === 'lastSeenIso' ? utc(r.lastSeen) : r[key]}</td>`)}</tr>`)}</tbody></table></div>
${rows.length > MAX_ROWS ? html`<p class="muted">The first ${MAX_ROWS} of ${rows.length} households in this order; the CSV has them all.</p>` : ''}`}`
}
