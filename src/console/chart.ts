import type { DecisionMinute } from '../store/index.js'
import { html } from './html.js'
import type { Html } from './html.js'

// Messages by decision over the last hour: one stacked bar per minute, drawn on the server as SVG
// (no script, no inline style: colours come from classes in console.css). The totals are in the
// legend and in the image's label for screen readers.

const DECISIONS = ['deliver', 'forward', 'drop', 'quarantine'] as const
const W = 1000
const H = 200
const PAD = { left: 44, right: 28, top: 10, bottom: 34 }

export function decisionsChart(rows: readonly DecisionMinute[], now: number, minutes = 60): Html {
  const end = Math.floor(now / 60_000) * 60_000 + 60_000
  const start = end - minutes * 60_000
  const buckets = Array.from({ length: minutes }, () => ({ deliver: 0, forward: 0, drop: 0, quarantine: 0 }) as Record<string, number>)
  const totals: Record<string, number> = { deliver: 0, forward: 0, drop: 0, quarantine: 0 }
  for (const r of rows) {
    const i = Math.floor((r.minute - start) / 60_000)
    if (i < 0 || i >= minutes || !(r.decision in totals)) continue
    buckets[i]![r.decision]! += r.n
    totals[r.decision]! += r.n
  }
  const peak = Math.max(1, ...buckets.map((b) => DECISIONS.reduce((s, d) => s + b[d]!, 0)))
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const bw = plotW / minutes
  const bars = buckets.map((b, i) => {
    let y = PAD.top + plotH
    return DECISIONS.map((d) => {
      const n = b[d]!
      if (n === 0) return ''
      const h = (n / peak) * plotH
      y -= h
      return html`<rect class="d-${d}" x="${(PAD.left + i * bw + 0.5).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(bw - 1, 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${d}: ${n}</title></rect>`
    })
  })
  const total = DECISIONS.reduce((s, d) => s + totals[d]!, 0)
  const label = `Messages by decision per minute over the last ${minutes} minutes: ${DECISIONS.map((d) => `${d} ${totals[d]}`).join(', ')}`
  const ticks = [0, 15, 30, 45, 60].filter((m) => m <= minutes)
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${label}" preserveAspectRatio="xMinYMid meet">
  <line class="axis" x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}"/>
  <text class="tick" x="${PAD.left - 4}" y="${PAD.top + 10}" text-anchor="end">${peak}</text>
  <text class="tick" x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end">0</text>
  ${ticks.map((m) => html`<text class="tick" x="${(PAD.left + (minutes - m) * bw).toFixed(1)}" y="${H - 8}" text-anchor="${m === 0 ? 'end' : m === minutes ? 'start' : 'middle'}">${m === 0 ? 'now' : `-${m} min`}</text>`)}
  ${bars}
</svg>
<figcaption><ul class="legend">${DECISIONS.map((d) => html`<li><span class="swatch d-${d}" aria-hidden="true"></span>${d} <strong>${totals[d]}</strong></li>`)}</ul>
<span class="muted">${total} messages in the last hour</span></figcaption>
</figure>`
}
