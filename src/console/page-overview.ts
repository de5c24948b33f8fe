import type { DecisionMinute } from '../store/index.js'
import { ukDateOf } from '../obligations/index.js'
import { decisionsChart } from './chart.js'
import { consoleHref, html } from './html.js'
import type { Html } from './html.js'
import { ask, duration, facts, unavailable, utc, when } from './layout.js'
import type { Answer } from './layout.js'
import type { ConsoleDeps } from './types.js'

/**
 * The chart's per-minute counts, read at most every CHART_TTL_MS: the hour's messages are the
 * overview's costliest read (~25 ms for 30k messages, bench/results/console.md) and a bar is a
 * minute wide, so a few seconds' lag is invisible.
 */
export const CHART_TTL_MS = 5_000

export interface ChartCache {
  at: number
  rows: Answer<DecisionMinute[]>
}

/** `/console/`: the day's numbers from the gateway's own state (works without Prometheus). */
export async function overviewBody(d: ConsoleDeps, cache: { chart?: ChartCache } = {}): Promise<Html> {
  const now = d.now()
  if (cache.chart === undefined || now - cache.chart.at >= CHART_TTL_MS || now < cache.chart.at) {
    cache.chart = { at: now, rows: await ask(() => d.store.decisionsPerMinute(now - 3_600_000, now + 60_000)) }
  }
  const perMinute = cache.chart.rows
  const chart = perMinute.ok ? decisionsChart(perMinute.value, now) : unavailable('The decisions chart', perMinute.why)

  const spool = d.store.spoolDepth()
  const spoolTable = spool.length === 0
    ? html`<p>Nothing waiting: every accepted message has been delivered.</p>`
    : html`<table><thead><tr><th scope="col">Target</th><th scope="col" class="num">Waiting</th><th scope="col">Oldest</th></tr></thead><tbody>${spool.map(
        (s) => html`<tr><td>${s.target}</td><td class="num">${s.n}</td><td>${duration(now - s.oldest)}</td></tr>`,
      )}</tbody></table>`

  let quarantine: Html
  const counted = await ask(() => d.store.quarantineByReason())
  if (!counted.ok) quarantine = unavailable('Counting the quarantine by reason', counted.why)
  else {
    const byReason = counted.value
    const critical = byReason.filter((r) => r.critical).reduce((s, r) => s + r.n, 0)
    const all = byReason.reduce((s, r) => s + r.n, 0)
    quarantine = html`<p class="big"><a href="/console/quarantine">${all} quarantined</a>${critical > 0 ? html`, <a class="critical" href="${consoleHref('/console/quarantine', { critical: 'true' })}">${critical} critical</a>` : ''}</p>
${byReason.length === 0 ? '' : html`<table><thead><tr><th scope="col">Reason</th><th scope="col">Critical</th><th scope="col" class="num">Messages</th><th scope="col">Oldest</th></tr></thead><tbody>${byReason.map(
      (r) => html`<tr${r.critical ? html` class="is-critical"` : ''}><td><a href="${consoleHref('/console/quarantine', { reason: r.reason, critical: r.critical ? 'true' : 'false' })}">${r.reason}</a></td><td>${r.critical ? 'critical' : ''}</td><td class="num">${r.n}</td><td>${duration(now - r.oldest)}</td></tr>`,
    )}</tbody></table>`}`
  }

  const open = await d.store.listObligations('open', now)
  const today = ukDateOf(now)
  const overdue = open.filter((o) => o.dueAt < now)
  const dueToday = open.filter((o) => o.dueAt >= now && ukDateOf(o.dueAt) === today)
  const reg = d.registry()
  const last = d.lastReload()

  return html`<div class="grid">
<section aria-labelledby="h-decisions" class="wide"><h2 id="h-decisions">Decisions, last hour</h2>${chart}</section>
<section aria-labelledby="h-quarantine"><h2 id="h-quarantine">Quarantine</h2>${quarantine}</section>
<section aria-labelledby="h-obligations"><h2 id="h-obligations">Obligations</h2>
  <p class="big"><a href="${consoleHref('/console/obligations', { status: 'overdue' })}" class="${overdue.length > 0 ? 'critical' : ''}">${overdue.length} overdue</a>, <a href="/console/obligations">${dueToday.length} due today</a></p>
  <p class="muted">${open.length} awaiting acknowledgement in all.</p>
</section>
<section aria-labelledby="h-spool"><h2 id="h-spool">Delivery spool</h2>${spoolTable}</section>
<section aria-labelledby="h-registry"><h2 id="h-registry">Registry</h2>
  ${facts([
    ['Loaded', html`${when(reg.loadedAt, now)} <span class="muted">(${utc(reg.loadedAt)})</span>`],
    ['Registrations', reg.counts.registrations],
    ['MPxNs', reg.counts.mpxns],
    ['Devices', reg.counts.devices],
    ['Parties', reg.counts.parties],
    ['Last reload', last === undefined ? '' : html`<span class="${last.ok ? 'ok' : 'critical'}">${last.ok ? 'ok' : 'failed'}</span> ${when(last.at, now)}${last.ok ? '' : html`: ${last.detail}`}`],
  ])}
  <p><a href="/console/registry">Registry details</a></p>
</section>
</div>`
}
