// Dashboards (docs/operations.md, "Dashboard and alerts"): deploy/grafana is valid against @grafana/schema, every PromQL expression
// parses, and every metric it names is exported by a running gateway after traffic.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DashboardCursorSync, ThresholdsMode } from '@grafana/schema'
import type { Dashboard, Panel, RowPanel } from '@grafana/schema'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import dashboardJson from '../deploy/grafana/dashboards/dcc-alert-gateway.json' with { type: 'json' }
import { ROOT } from './integration/harness.js'
import { exportedMetricNames } from './integration/ops-world.js'
import { expandGrafanaVariables, parsePromql, PROMETHEUS_SYNTHETIC } from './deploy-promql.js'

/**
 * Grafana's types as JSON can satisfy them: a JSON import widens every string to `string` (and
 * number to `number`), so enum and literal-union fields are widened here the same way and checked
 * at runtime below. Field names, nesting, arrays, and string/number/boolean kinds stay checked.
 */
type AsJson<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean
  : T extends (infer U)[] ? AsJson<U>[] : T extends object ? { [K in keyof T]: AsJson<T[K]> } : T

// TypeScript-level validation: the JSON file must be assignable to Grafana's Dashboard type
// (npx tsc -p tsconfig.check.json fails otherwise).
const typed: AsJson<Dashboard> = dashboardJson
const dashboard = typed as unknown as Dashboard
const GRAFANA = join(ROOT, 'deploy/grafana')
const PANEL_TYPES = new Set(['timeseries', 'stat', 'gauge', 'bargauge', 'table', 'text', 'row'])

const panels = (dashboard.panels ?? []) as (Panel | RowPanel)[]
const queryPanels = panels.filter((p): p is Panel => p.type !== 'row')
const targets = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title ?? '?', expr: String(t.expr ?? ''), refId: String(t.refId ?? '') })))

describe('Grafana dashboard (deploy/grafana/dashboards)', () => {
  it('has the dashboard-level fields Grafana needs to provision it', () => {
    expect(dashboard.uid).toBe('dcc-alert-gateway')
    expect(dashboard.title).toBeTruthy()
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36)
    const ds = dashboard.templating?.list?.find((v) => v.type === 'datasource')
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' })
    // the enum-typed fields the JSON import widened to string/number
    expect(Object.values(DashboardCursorSync)).toContain(dashboard.graphTooltip)
    for (const p of queryPanels) {
      const mode = p.fieldConfig?.defaults?.thresholds?.mode
      if (mode !== undefined) expect(Object.values(ThresholdsMode), p.title).toContain(mode)
    }
  })

  it('has unique ids, known panel types, titles and a layout on the 24-column grid without overlaps', () => {
    const ids = panels.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
    const cells = new Set<string>()
    for (const p of panels) {
      expect(PANEL_TYPES.has(p.type), `${p.title}: type ${p.type}`).toBe(true)
      expect(p.title, `panel ${p.id}`).toBeTruthy()
      const g = p.gridPos!
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24)
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false)
          cells.add(`${x},${y}`)
        }
      }
    }
  })

  it('queries the templated Prometheus data source with at least one expression per panel, unique refIds', () => {
    for (const p of queryPanels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' })
      expect(p.targets?.length, p.title).toBeGreaterThan(0)
      const refs = (p.targets ?? []).map((t) => t.refId)
      expect(new Set(refs).size, p.title).toBe(refs.length)
      for (const t of p.targets ?? []) expect(t.datasource, p.title).toEqual(p.datasource)
      expect(p.fieldConfig?.defaults?.unit, p.title).toBeTruthy()
    }
  })

  it('parses every PromQL expression without error nodes', () => {
    expect(targets.length).toBeGreaterThan(20)
    for (const t of targets) {
      const r = parsePromql(expandGrafanaVariables(t.expr))
      expect(r.errors, `${t.panel} ${t.refId}: ${t.expr}`).toEqual([])
      expect(r.metrics.length, `${t.panel}: selects no metric`).toBeGreaterThan(0)
    }
  })

  it('the PromQL parser does report errors (guard against a parser that accepts anything)', () => {
    expect(parsePromql('sum(rate(dccgw_decisions_total[5m]').errors).not.toEqual([])
    expect(parsePromql('histogram_quantile(0.9, sum by (le) (rate(x_bucket[$__rate_interval])))').errors).not.toEqual([])
  })

  it('covers the questions operators ask (issue 7)', () => {
    const all = targets.map((t) => t.expr).join('\n')
    for (const needle of [
      'sum by (kind) (rate(dccgw_messages_received_total', // traffic by kind
      'sum by (decision) (rate(dccgw_decisions_total', // by decision
      'dccgw_decisions_total{decision="drop"}', // drop reasons
      'dccgw_decisions_total{decision="quarantine"}', // quarantine reasons
      'histogram_quantile(0.99, sum by (le) (rate(dccgw_processing_seconds_bucket', // latency percentiles
      'dccgw_delivery_attempts_total', // delivery health
      'dccgw_spool_depth',
      'dccgw_spool_oldest_age_seconds',
      'dccgw_quarantine_messages',
      'dccgw_registry_source_timestamp_seconds', // registry age
      'dccgw_obligations{type="critical-forward", status=~"overdue|escalated"}', // obligations overdue
      'dccgw_obligations{status!~"acknowledged|redirected|closed"}', // obligations due (redirected and closed are done too)
      'dccgw_obligations{type="critical-quarantined", status=~"overdue|escalated"}', // quarantined critical alerts overdue
      'dccgw_unreachable_parties', // parties no notice can reach
      'max by (party) (dccgw_unreachable_party)',
    ]) {
      expect(all, needle).toContain(needle)
    }
  })

  it('is provisioned from the folder compose.yaml mounts, with a Prometheus data source', () => {
    const prov = parse(readFileSync(join(GRAFANA, 'provisioning/dashboards/dcc-alert-gateway.yaml'), 'utf8'))
    expect(prov.apiVersion).toBe(1)
    expect(prov.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards/dcc-alert-gateway' } })
    const ds = parse(readFileSync(join(GRAFANA, 'provisioning/datasources/prometheus.yaml'), 'utf8'))
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090' })
    const compose = parse(readFileSync(join(ROOT, 'deploy/compose.yaml'), 'utf8'))
    const mounts: string[] = compose.services.grafana.volumes
    expect(mounts).toContain('./grafana/dashboards:/var/lib/grafana/dashboards/dcc-alert-gateway:ro')
    expect(mounts).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro')
  })
})

describe('dashboard queries against a running gateway', () => {
  let exported: Set<string>
  beforeAll(async () => {
    exported = await exportedMetricNames()
  })

  it('names only metrics the gateway exports (histograms as _bucket/_sum/_count)', () => {
    const missing = new Set<string>()
    for (const t of targets) {
      for (const m of parsePromql(expandGrafanaVariables(t.expr)).metrics) {
        if (!exported.has(m) && !PROMETHEUS_SYNTHETIC.has(m)) missing.add(`${m} (${t.panel})`)
      }
    }
    expect([...missing]).toEqual([])
  })
})
