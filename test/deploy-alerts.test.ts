// Alert rules (docs/operations.md, "Dashboard and alerts"): deploy/prometheus/rules pass `promtool check rules`, every alert has a
// firing and a quiet `promtool test rules` case that passes, and every metric a rule selects is
// exported by a running gateway.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ROOT } from './integration/harness.js'
import { exportedMetricNames } from './integration/ops-world.js'
import { requireBinary } from './deploy-binaries.js'
import { parsePromql, PROMETHEUS_SYNTHETIC } from './deploy-promql.js'

const PROM = join(ROOT, 'deploy/prometheus')
const RULES = join(PROM, 'rules/dccgw-alerts.yaml')
const TESTS = join(PROM, 'tests/dccgw-alerts.test.yaml')

interface Rule { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface RuleTest { alertname: string; exp_alerts: unknown[] }
const rules: Rule[] = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules)
const cases: RuleTest[] = (parse(readFileSync(TESTS, 'utf8')) as { tests: { alert_rule_test?: RuleTest[] }[] }).tests.flatMap((t) => t.alert_rule_test ?? [])

function promtool(...args: string[]) {
  const r = spawnSync(requireBinary('promtool'), args, { cwd: PROM, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

describe('Prometheus alert rules (deploy/prometheus)', () => {
  it('has the alerts issue 7 asks for, each with a severity and a summary', () => {
    const names = rules.map((r) => r.alert)
    for (const a of ['DccGatewayDown', 'DccGatewayIngressErrors', 'DccGatewayDeliveryFailing', 'DccGatewaySpoolGrowing', 'DccGatewaySpoolOld',
      'DccGatewayQuarantineGrowing', 'DccGatewayRegistryStale', 'DccGatewayCriticalForwardOverdue',
      'DccGatewayCriticalQuarantinedOverdue', 'DccGatewayUnreachableParties']) { // docs/obligations.md
      expect(names).toContain(a)
    }
    for (const r of rules) {
      expect(['critical', 'page', 'warning'], r.alert).toContain(r.labels?.severity)
      expect(r.annotations?.summary, r.alert).toBeTruthy()
    }
    expect(rules.find((r) => r.alert === 'DccGatewayRegistryStale')!.expr).toContain('26 * 3600')
  })

  it('passes promtool check rules', () => {
    const r = promtool('check', 'rules', RULES)
    expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`)
    expect(r.status, r.out).toBe(0)
  })

  it('covers every alert with a firing case and a quiet case', () => {
    for (const r of rules) {
      const mine = cases.filter((c) => c.alertname === r.alert)
      expect(mine.some((c) => c.exp_alerts.length > 0), `${r.alert}: no firing case`).toBe(true)
      expect(mine.some((c) => c.exp_alerts.length === 0), `${r.alert}: no quiet case`).toBe(true)
    }
  })

  it('passes promtool test rules', () => {
    const r = promtool('test', 'rules', TESTS)
    expect(r.out).toContain('SUCCESS')
    expect(r.status, r.out).toBe(0)
  })

  it('parses every rule expression with the PromQL grammar', () => {
    for (const r of rules) expect(parsePromql(r.expr).errors, r.alert).toEqual([])
  })
})

describe('alert rules against a running gateway', () => {
  let exported: Set<string>
  beforeAll(async () => {
    exported = await exportedMetricNames()
  })

  it('select only metrics the gateway exports', () => {
    const missing = rules.flatMap((r) => parsePromql(r.expr).metrics.filter((m) => !exported.has(m) && !PROMETHEUS_SYNTHETIC.has(m)).map((m) => `${m} (${r.alert})`))
    expect(missing).toEqual([])
  })
})
