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

export interface LabelMatcher {
  label: string
  op: '=' | '!=' | '=~' | '!~'
  value: string
}

export interface Selector {
  metric: string
  matchers: LabelMatcher[]
}

/** The vector selectors of an expression, each with its label matchers (`{__name__=...}` forms are not used here). */
export function selectorsOf(expr: string): Selector[] {
  const out: Selector[] = []
  const text = (n: { from: number; to: number }) => expr.slice(n.from, n.to)
  const c = parser.parse(expr).cursor()
  do {
    if (c.name !== 'VectorSelector') continue
    const node = c.node
    const id = node.getChild('Identifier')
    if (id === null) continue
    const matchers = (node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []).map((m) => {
      const lit = text(m.getChild('StringLiteral')!)
      return {
        label: text(m.getChild('LabelName')!),
        op: text(m.getChild('MatchOp')!) as LabelMatcher['op'],
        value: lit.startsWith('"') ? (JSON.parse(lit) as string) : lit.slice(1, -1),
      }
    })
    out.push({ metric: text(id), matchers })
  } while (c.next())
  return out
}

/** Whether a series' labels satisfy a matcher (PromQL regexes are fully anchored; an absent label reads ""). */
export function matches(labels: Record<string, string>, m: LabelMatcher): boolean {
  const v = labels[m.label] ?? ''
  switch (m.op) {
    case '=': return v === m.value
    case '!=': return v !== m.value
    case '=~': return new RegExp(`^(?:${m.value})$`).test(v)
    case '!~': return !new RegExp(`^(?:${m.value})$`).test(v)
  }
}
