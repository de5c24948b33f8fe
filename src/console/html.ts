// A tagged template that escapes every interpolated value (quarantined documents are attacker-
// controlled bytes: docs/console.md). Only values already wrapped as Html (the output of
// another html`` or of `trusted()` for a constant the code wrote) pass through unescaped.
// Attribute values must always be quoted in the templates: escaping covers both quote kinds.

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

export type HtmlValue = Html | string | number | bigint | boolean | null | undefined | readonly HtmlValue[]

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' }
const SPECIAL = /[&<>"'`]/g

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(SPECIAL, (c) => ENTITIES[c]!)
}

function render(v: HtmlValue): string {
  if (v instanceof Html) return v.text
  if (v === null || v === undefined || v === false) return ''
  if (Array.isArray(v)) return v.map(render).join('')
  return escapeHtml(String(v))
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!
  return new Html(out)
}

/** Markup the code itself wrote (never a value from a request or a document). */
export function trusted(markup: string): Html {
  return new Html(markup)
}

/** A path and query string under /console, each parameter value percent-encoded. */
export function consoleHref(path: string, params: Record<string, string | number | undefined | null> = {}): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s === '' ? path : `${path}?${s}`
}
