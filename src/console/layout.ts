import { isNotAvailable } from '../store/index.js'
import { html } from './html.js'
import type { Html, HtmlValue } from './html.js'
import type { Session } from './session.js'

// The page shell: header with the signed-in credential, navigation, the flash message, main.

export const NAV = [
  ['/console/', 'Overview'],
  ['/console/quarantine', 'Quarantine'],
  ['/console/obligations', 'Obligations'],
  ['/console/stale-cos', 'Stale CoS'],
  ['/console/audit', 'Audit'],
  ['/console/registry', 'Registry'],
] as const

export type NavPath = (typeof NAV)[number][0]

export interface PageOptions {
  title: string
  session: Session
  current: NavPath
  body: HtmlValue
}

export function page(o: PageOptions): Html {
  const flash = o.session.flash
  o.session.flash = undefined
  return shell(
    o.title,
    html`<header class="top">
  <a class="brand" href="/console/">dcc-alert-gateway</a>
  <nav aria-label="Console sections"><ul>${NAV.map(
    ([href, label]) => html`<li><a href="${href}"${href === o.current ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>
  <form class="who" method="post" action="/console/logout">
    <span>${o.session.name} <span class="badge">${o.session.role}</span></span>
    ${csrfField(o.session)}
    <button type="submit" class="link">Sign out</button>
  </form>
</header>
<main id="main">
  <h1>${o.title}</h1>
  ${flash === undefined ? '' : html`<p class="flash ${flash.kind}" role="status">${flash.text}</p>`}
  ${o.body}
</main>`,
  )
}

export function shell(title: string, body: HtmlValue): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · DCC alert gateway</title>
<link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${body}
</body>
</html>
`
}

export function csrfField(s: Session): Html {
  return html`<input type="hidden" name="csrf" value="${s.csrf}">`
}

export const canChange = (s: Session): boolean => s.role === 'operator'

/** `2026-03-14 09:30:00Z` (UTC, as the audit log and the API give times). */
export function utc(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return ''
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

/** A duration as an operator reads it: `45 s`, `12 min`, `3 h 5 min`, `4 d 2 h`. */
export function duration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`
}

/** A time with its age, in a <time> element (console.js keeps relative texts current). */
export function when(ms: number | null | undefined, now: number): Html {
  if (ms === null || ms === undefined) return html`<span class="muted">never</span>`
  return html`<time datetime="${new Date(ms).toISOString()}" title="${utc(ms)}">${duration(now - ms)} ago</time>`
}

/** A definition list of label/value pairs. */
export function facts(rows: readonly (readonly [string, HtmlValue])[]): Html {
  return html`<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v === '' || v === null || v === undefined ? html`<span class="muted">none</span>` : v}</dd>`)}</dl>`
}

/** A store's answer, or why this kind of store cannot give it (its not-available StoreError). */
export type Answer<T> = { ok: true; value: T } | { ok: false; why: string }

/**
 * Reads through the store port; what the store cannot answer (the clustered store keeps no
 * SQLite tables to summarise) becomes `ok: false`, shown with `unavailable`, never a 500.
 * Any other error is thrown.
 */
export async function ask<T>(read: () => Promise<T>): Promise<Answer<T>> {
  try {
    return { ok: true, value: await read() }
  } catch (err) {
    if (isNotAvailable(err)) return { ok: false, why: err.message }
    throw err
  }
}

export function unavailable(what: string, why: string): Html {
  return html`<p class="notice">${what} needs the SQLite store: ${why}.</p>`
}
