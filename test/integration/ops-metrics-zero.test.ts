// A freshly started gateway, before any traffic, already exports every series
// of the closed label sets at 0, so the first rate()/increase() of an alert rule or a dashboard
// panel sees the first event (a counter series born at 1 has no earlier sample to rise from).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import {
  DELIVERY_OUTCOMES, DELIVERY_TARGETS, INGRESS_STATUSES, MESSAGE_KINDS, OBLIGATION_TRANSITION_STATUSES, OBLIGATION_TYPES, REASON_CODES,
} from '../../src/metrics/index.js'
import { DECISIONS } from '../../src/policy/index.js'
import { matches, selectorsOf, type Selector } from '../deploy-promql.js'
import { makeWorld, ROOT, startInProcess } from './harness.js'
import { parseExposition, type Sample } from './ops-world.js'

/** Every `expr` string of a parsed JSON/YAML document (alert rules, dashboard targets, nested rows). */
function exprs(doc: unknown): string[] {
  if (Array.isArray(doc)) return doc.flatMap(exprs)
  if (doc === null || typeof doc !== 'object') return []
  return Object.entries(doc).flatMap(([k, v]) => (k === 'expr' && typeof v === 'string' ? [v] : exprs(v)))
}

const deployExprs = [
  ...exprs(parse(readFileSync(join(ROOT, 'deploy/prometheus/rules/dccgw-alerts.yaml'), 'utf8'))),
  ...exprs(JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards/dcc-alert-gateway.json'), 'utf8'))),
]
/** The counter selectors deploy/ queries (rate, increase, delta over a counter need its series from the start). */
const counterSelectors: Selector[] = deployExprs.flatMap((e) => selectorsOf(e.replace(/\$__\w+/g, '5m'))).filter((s) => s.metric.endsWith('_total'))
const show = (s: Selector) => `${s.metric}{${s.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(', ')}}`

describe('zero series on a freshly started gateway (issue 18)', () => {
  let gw: Awaited<ReturnType<typeof startInProcess>>
  let text: string
  let samples: Sample[]
  const series = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))

  beforeAll(async () => {
    gw = await startInProcess(makeWorld())
    text = await (await fetch(`${gw.url}/metrics`)).text()
    samples = parseExposition(text)
  })
  afterAll(() => gw?.close())

  it('reads the labelled counters the alert rules and the dashboard query', () => {
    expect(deployExprs.length).toBeGreaterThan(30)
    const names = new Set(counterSelectors.map((s) => s.metric))
    for (const n of ['dccgw_ingress_rejected_total', 'dccgw_decisions_total', 'dccgw_delivery_attempts_total', 'dccgw_registry_reloads_total']) expect(names).toContain(n)
  })

  it('has a series for every counter selector of deploy/ before the first event', () => {
    const missing = [...new Set(counterSelectors.filter((s) => !series(s.metric).some((x) => s.matchers.every((m) => matches(x.labels, m)))).map(show))]
    expect(missing).toEqual([])
  })

  it('exports dccgw_ingress_rejected_total{status="503"} 0 (the rule DccGatewayIngressRejecting rates it)', () => {
    expect(text).toContain('dccgw_ingress_rejected_total{status="503"} 0\n')
  })

  it('zero-fills every declared label set of the traffic counters', () => {
    const zero = (name: string, labels: Record<string, string>) => expect(series(name, labels).map((s) => s.value), `${name} ${JSON.stringify(labels)}`).toEqual([0])
    for (const status of INGRESS_STATUSES) zero('dccgw_ingress_rejected_total', { status })
    expect(INGRESS_STATUSES).toEqual(expect.arrayContaining(['413', '415', '422', '503']))
    for (const kind of MESSAGE_KINDS) zero('dccgw_messages_received_total', { kind })
    for (const decision of DECISIONS) for (const reason of REASON_CODES) zero('dccgw_decisions_total', { decision, reason })
    for (const target of DELIVERY_TARGETS) {
      for (const outcome of DELIVERY_OUTCOMES) {
        zero('dccgw_delivery_attempts_total', { target, outcome })
        zero('dccgw_delivery_seconds_count', { target, outcome })
      }
      zero('dccgw_delivery_breaker_state', { target })
    }
    zero('dccgw_registry_reloads_total', { outcome: 'failed' })
    expect(series('dccgw_registry_reloads_total', { outcome: 'ok' }).map((s) => s.value)).toEqual([1])
    for (const type of OBLIGATION_TYPES) {
      expect(series('dccgw_obligations_overdue_total', { type }), type).toHaveLength(1)
      for (const status of OBLIGATION_TRANSITION_STATUSES) expect(series('dccgw_obligation_transitions_total', { type, status }), `${type} ${status}`).toHaveLength(1)
    }
    expect(series('dccgw_spool_bytes').map((s) => s.value)).toEqual([0])
    // gauges the rules take delta() of, or compare, by label
    for (const reason of REASON_CODES) zero('dccgw_quarantine_messages', { reason })
  })
})
