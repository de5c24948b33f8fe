// Hand-written SVG: throughput over time (left) and latency percentiles (right), gateway vs
// baseline (and the durable floor with --floor), from the median round of each.
import type { RoundStats } from './replay-run.js'

const W = 900
const H = 340
const COLORS: Record<RoundStats['target'], string> = { gateway: '#1f6feb', baseline: '#9a6700', floor: '#7a7a7a' }

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
const fmt = (v: number) => (v === 0 ? '0' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2))

function niceMax(v: number): number {
  if (v <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((x) => x >= v)!
}

function throughputPanel(runs: RoundStats[], x0: number, y0: number, w: number, h: number): string[] {
  const series = runs.map((r) => ({ r, rate: r.timeline.map((c) => c / (r.bucketMs / 1000)) }))
  const tMax = Math.max(...series.map((s) => s.rate.length * (s.r.bucketMs / 1000)), 1)
  const yMax = niceMax(Math.max(...series.flatMap((s) => s.rate), 1))
  const out = [`<text x="${x0}" y="${y0 - 12}" font-weight="bold">Throughput over time (msg/s)</text>`,
    `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`]
  for (let k = 0; k <= 4; k++) {
    const y = y0 + h - (k / 4) * h
    out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y}" y2="${y}" stroke="#eee"/>`, `<text x="${x0 - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt((yMax * k) / 4)}</text>`)
  }
  for (let k = 0; k <= 5; k++) out.push(`<text x="${x0 + (k / 5) * w}" y="${y0 + h + 16}" text-anchor="middle" font-size="11">${fmt((tMax * k) / 5)} s</text>`)
  for (const s of series) {
    const pts = s.rate.map((v, i) => `${(x0 + (((i + 0.5) * s.r.bucketMs) / 1000 / tMax) * w).toFixed(1)},${(y0 + h - (v / yMax) * h).toFixed(1)}`)
    out.push(`<polyline fill="none" stroke="${COLORS[s.r.target]}" stroke-width="1.5" points="${pts.join(' ')}"/>`)
  }
  return out
}

function latencyPanel(runs: RoundStats[], x0: number, y0: number, w: number, h: number): string[] {
  const ps = ['p50', 'p95', 'p99'] as const
  const yMax = niceMax(Math.max(...runs.flatMap((r) => ps.map((p) => r[p])), 0.1))
  const out = [`<text x="${x0}" y="${y0 - 12}" font-weight="bold">Latency percentiles (ms)</text>`,
    `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`]
  for (let k = 0; k <= 4; k++) {
    const y = y0 + h - (k / 4) * h
    out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y}" y2="${y}" stroke="#eee"/>`, `<text x="${x0 - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt((yMax * k) / 4)}</text>`)
  }
  const group = w / ps.length
  const bar = (group - 30) / runs.length
  ps.forEach((p, g) => {
    out.push(`<text x="${x0 + g * group + group / 2}" y="${y0 + h + 16}" text-anchor="middle" font-size="11">${p}</text>`)
    runs.forEach((r, j) => {
      const bh = (r[p] / yMax) * h
      const x = x0 + g * group + 15 + j * bar
      out.push(`<rect x="${x.toFixed(1)}" y="${(y0 + h - bh).toFixed(1)}" width="${(bar - 4).toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLORS[r.target]}"/>`,
        `<text x="${(x + bar / 2 - 2).toFixed(1)}" y="${(y0 + h - bh - 3).toFixed(1)}" text-anchor="middle" font-size="10">${fmt(r[p])}</text>`)
    })
  })
  return out
}

/** `runs`: the median round of each contender. */
export function renderSvg(title: string, runs: RoundStats[]): string {
  const step = Math.min(300, (W - 60) / runs.length)
  const legend = runs.map((r, i) => `<rect x="${60 + i * step}" y="${H - 22}" width="12" height="12" fill="${COLORS[r.target]}"/>` +
    `<text x="${78 + i * step}" y="${H - 12}" font-size="12">${r.target} (round ${r.round}): ${fmt(r.throughput)} msg/s</text>`)
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    ...throughputPanel(runs, 60, 60, 480, 220),
    ...latencyPanel(runs, 620, 60, 250, 220),
    ...legend,
    '</svg>',
    '',
  ].join('\n')
}
