import { DEFAULT_ENVELOPE_LIMITS, parseEnvelope } from '../envelope/index.js'
import { alertName } from '../obligations/index.js'
import { html } from './html.js'
import type { Html } from './html.js'
import { canChange, csrfField, facts, utc, when } from './layout.js'
import type { Session } from './session.js'
import type { ConsoleDeps } from './types.js'

// `/console/quarantine/{id}`: one quarantined message. Everything shown here may come from the
// document (attacker-controlled bytes): every value goes through html``, which escapes it, and the
// raw document is shown only on request, as text inside <pre>.

export async function quarantineItemBody(d: ConsoleDeps, s: Session, id: string, raw: boolean): Promise<Html | undefined> {
  const row = await d.store.getQuarantine(id)
  const body = row === undefined ? undefined : await d.store.getQuarantineBody(id)
  if (row === undefined || body === undefined) return undefined
  const now = d.now()
  const parsed = parseEnvelope(body, DEFAULT_ENVELOPE_LIMITS)
  const env = parsed.ok ? parsed.value : undefined
  const alertCode = row.alertCode ?? env?.alertCode ?? env?.dccAlertCode
  const header: Html = env === undefined
    ? html`<p class="notice">The document does not parse as DUIS: ${parsed.ok ? '' : html`<code>${parsed.error.code}</code> ${parsed.error.detail}`}</p>`
    : facts([
        ['Request ID', env.requestId?.raw],
        ['Response ID', env.responseId?.raw],
        ['Response code', env.responseCode],
        ['Response date-time', env.responseDateTime],
        ['Service reference', env.serviceReference === undefined ? '' : `${env.serviceReference}${env.serviceReferenceVariant ? ` (variant ${env.serviceReferenceVariant})` : ''}`],
        ['Body element', env.bodyElement],
        ['Device IDs', env.deviceIds.join(', ')],
        ['MPxNs', env.mpxns.join(', ')],
        ['Schema version', env.schemaVersion],
      ])
  return html`<p><a href="/console/quarantine">Back to the quarantine</a></p>
<div class="grid">
<section aria-labelledby="h-why"><h2 id="h-why">Why it is held</h2>
${facts([
  ['Reason', html`<strong>${row.reason}</strong>`],
  ['Detail', row.detail],
  ['Critical', row.critical ? html`<span class="badge critical">critical</span>` : 'no'],
  ['Alert code', alertCode === undefined || alertCode === null ? '' : html`<code>${alertCode}</code> ${alertName(alertCode)}`],
  ['Received', html`${utc(row.receivedAt)} (${when(row.receivedAt, now)})`],
  ['Kind', row.kind],
  ['Addressed party', row.party],
  ['MPxN', row.mpxn],
  ['Message ID', row.messageId],
  ['Quarantine ID', row.id],
  ['Size', `${row.size} bytes (${row.contentType ?? 'no content type'})`],
])}
</section>
<section aria-labelledby="h-header"><h2 id="h-header">DUIS header</h2>${header}</section>
</div>
${canChange(s) ? actions(s, row.id) : ''}
<section aria-labelledby="h-raw"><h2 id="h-raw">Document</h2>
${raw
    ? html`<p><a href="/console/quarantine/${row.id}">Hide the document</a></p><pre class="raw" tabindex="0" aria-label="Raw document">${body.toString('utf8')}</pre>`
    : html`<p><a href="/console/quarantine/${row.id}?raw=1">Show the raw document</a> <span class="muted">(shown as text, never run)</span></p>`}
</section>`
}

function actions(s: Session, id: string): Html {
  return html`<section aria-labelledby="h-actions" class="actions"><h2 id="h-actions">Actions</h2>
<form method="post" action="/console/quarantine/${id}/release">${csrfField(s)}
  <p>Re-evaluate on the current registry and deliver, forward or drop as it decides; still undecidable, it is delivered as it is to the addressed party.</p>
  <button type="submit">Release</button>
</form>
<form method="post" action="/console/quarantine/${id}/delete">${csrfField(s)}
  <label for="delete-reason">Reason for deleting (kept in the audit log)</label>
  <input id="delete-reason" name="reason" required minlength="3" maxlength="300" autocomplete="off">
  <button type="submit" class="danger">Delete</button>
</form>
</section>`
}
