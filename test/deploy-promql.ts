// PromQL checks shared by the dashboard and alert-rule tests: parse with the Prometheus project's
// own grammar (@prometheus-io/lezer-promql) and list the metric names an expression selects.
import { parser } from '@prometheus-io/lezer-promql'

/** Grafana's built-in interval variables, replaced by a literal duration before parsing. */
export function expandGrafanaVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m')
}

export interface ParsedPromql {
  errors: string[]
  metrics: string[]
}

export function parsePromql(expr: string): ParsedPromql {
  const tree = parser.parse(expr)
  const errors: string[] = []
  const metrics = new Set<string>()
  const c = tree.cursor()
  for (;;) {
    if (c.type.isError) errors.push(`syntax error at ${c.from}: …${expr.slice(Math.max(0, c.from - 20), c.from)}⟨here⟩${expr.slice(c.from, c.from + 20)}…`)
    if (c.name === 'Identifier') {
      const node = c.node
      if (node.parent?.name === 'VectorSelector') metrics.add(expr.slice(c.from, c.to))
    }
    if (c.firstChild()) continue
    while (!c.nextSibling()) {
      if (!c.parent()) return { errors, metrics: [...metrics].sort() }
    }
  }
}

/** Series Prometheus makes itself for every target, not exported by the gateway. */
export const PROMETHEUS_SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped'])
