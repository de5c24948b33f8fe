import type { ObligationRow } from '../store/index.js'
import { levelName, ukDeadlineWords, ukTimeWords } from '../obligations/index.js'

// The acknowledgement page's HTML. Pure: a view in, a string out. No script, no inline style: it
// links the operator console's stylesheet (served by the gateway without sign-in) and is served
// with ACK_PAGE_CSP, which allows that stylesheet and posting the form back to this origin only.

/** The console's stylesheet, shared so that the page a receiver sees looks like the gateway's own. */
export const ACK_PAGE_STYLESHEET = '/console/assets/console.css'

/** Strict Content-Security-Policy of the acknowledgement page (no script, no inline style, no frames). */
export const ACK_PAGE_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

/** Headers of every acknowledgement page response. */
export const ACK_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': ACK_PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
}

export interface AckFormView {
  obligation: ObligationRow
  /** the form posts here (the signed link itself) */
  action: string
  /** parties the receiver can name as the current supplier (parties.yaml), not itself */
  parties: readonly { id: string; name: string }[]
  /** what was typed before, when the form comes back with a problem */
  values?: Partial<Record<'name' | 'organisation' | 'answer' | 'party' | 'supplier', string>>
  problem?: string
}

export function renderAckForm(v: AckFormView): string {
  const o = v.obligation
  const val = (k: keyof NonNullable<AckFormView['values']>) => esc(v.values?.[k] ?? '')
  const redirectable = o.type === 'critical-forward'
  const answer = v.values?.answer ?? 'ack'
  const options = v.parties.map((p) => `<option value="${esc(p.id)}"${v.values?.party === p.id ? ' selected' : ''}>${esc(p.name)} (${esc(p.id)})</option>`).join('')
  const form = [
    `<form method="post" action="${esc(v.action)}">`,
    v.problem === undefined ? '' : `<p role="alert"><strong>${esc(v.problem)}</strong></p>`,
    '<fieldset><legend>Who is answering</legend>',
    `<p><label for="name">Your name</label><br><input id="name" name="name" required maxlength="200" autocomplete="name" value="${val('name')}"></p>`,
    `<p><label for="organisation">Your organisation</label><br><input id="organisation" name="organisation" required maxlength="200" autocomplete="organization" value="${val('organisation')}"></p>`,
    '</fieldset>',
    redirectable
      ? [
          '<fieldset><legend>Your answer</legend>',
          `<p><label><input type="radio" name="answer" value="ack"${answer === 'ack' ? ' checked' : ''}> We are the current supplier: we have this alert and will act on it.</label></p>`,
          `<p><label><input type="radio" name="answer" value="redirect"${answer === 'redirect' ? ' checked' : ''}> We are not the current supplier. The current supplier is:</label></p>`,
          `<p><label for="party">A supplier we know of</label><br><select id="party" name="party"><option value="">(not in this list)</option>${options}</select></p>`,
          `<p><label for="supplier">Or its name, if not in the list</label><br><input id="supplier" name="supplier" maxlength="200" value="${val('supplier')}"></p>`,
          '</fieldset>',
        ].join('')
      : '<input type="hidden" name="answer" value="ack">',
    '<p><button type="submit">Send answer</button></p>',
    '</form>',
  ].join('')
  return page(o.type === 'critical-quarantined' ? 'Quarantined critical alert' : 'Acknowledge', `${summary(o)}${form}`)
}

export function renderAckDone(o: ObligationRow, outcome: 'acknowledged' | 'redirected' | 'already'): string {
  const text =
    outcome === 'already' ? 'This was already answered; nothing more is needed.'
      : outcome === 'redirected' ? 'Thank you: your answer is recorded. The alert is passed on to the supplier you named (when we know how to reach it) and this reference is closed for you.'
        : 'Thank you: the acknowledgement is recorded.'
  return page(outcome === 'already' ? 'Already answered' : 'Answer recorded', `<p>${esc(text)}</p>${summary(o)}`)
}

function summary(o: ObligationRow): string {
  const n = o.notice as Record<string, unknown>
  const alertTime = typeof n.alertTime === 'string' ? Date.parse(n.alertTime) : NaN
  const rows: [string, unknown][] = [
    ['Reference', o.id],
    ['Duty', DUTY[o.type]],
    ['MPxN', o.mpxn],
    ['Alert', o.alertCode === null ? null : `${o.alertCode} ${String(n.alertName ?? '')}`],
    ['Alert time', Number.isNaN(alertTime) ? null : `${ukTimeWords(alertTime)} (${String(n.alertTime)})`],
    ['Device', n.deviceId],
    ['Status', o.status],
    ['Contact level', levelName(o.level)],
    ['Answer by', `${ukDeadlineWords(o.dueAt)} (${new Date(o.dueAt).toISOString()})`],
  ]
  return `<table>${rows.filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join('')}</table>`
}

const DUTY: Record<ObligationRow['type'], string> = {
  'critical-forward': 'Critical alert forwarded to you: the meter still reports to your predecessor',
  'install-code': 'Install code for a non-commissioned device (SECMP0121)',
  'critical-quarantined': 'Critical alert held in quarantine: nobody has acted on it yet',
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex"><title>${esc(title)}</title><link rel="stylesheet" href="${ACK_PAGE_STYLESHEET}"></head>` +
    `<body><header class="top"><span class="brand">dcc-alert-gateway</span></header><main><h1>${esc(title)}</h1>${body}</main></body></html>\n`
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
