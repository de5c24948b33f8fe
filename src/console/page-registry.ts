import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { html } from './html.js'
import type { Html } from './html.js'
import { canChange, csrfField, facts, utc, when } from './layout.js'
import type { Session } from './session.js'
import type { ConsoleDeps } from './types.js'

// `/console/registry`: what the index in force holds, the source files as they are on disk now
// (a file newer than the load means a reload is due), the last load's outcome, and the reload
// button (operators only).

export async function registryBody(d: ConsoleDeps, s: Session): Promise<Html> {
  const now = d.now()
  const reg = d.registry()
  const last = d.lastReload()
  const files = await Promise.all(
    Object.entries(d.registryFiles).map(async ([kind, path]) => {
      try {
        const st = await stat(path)
        return { kind, path, size: st.size, mtime: st.mtimeMs as number | undefined }
      } catch (err) {
        return { kind, path, size: undefined, mtime: undefined, error: (err as NodeJS.ErrnoException).code ?? 'unreadable' }
      }
    }),
  )
  return html`<div class="grid">
<section aria-labelledby="h-index"><h2 id="h-index">Index in force</h2>
${facts([
  ['Loaded', html`${utc(reg.loadedAt)} (${when(reg.loadedAt, now)})`],
  ['Registrations', reg.counts.registrations],
  ['MPxNs', reg.counts.mpxns],
  ['Devices', reg.counts.devices],
  ['Parties', reg.counts.parties],
  ['User IDs', reg.counts.userIds],
])}
</section>
<section aria-labelledby="h-last"><h2 id="h-last">Last load</h2>
${last === undefined
    ? html`<p class="muted">No load recorded.</p>`
    : facts([
        ['Outcome', html`<span class="${last.ok ? 'ok' : 'critical'}">${last.ok ? 'ok' : 'failed: still serving the previous index'}</span>`],
        ['When', html`${utc(last.at)} (${when(last.at, now)})`],
        ['Took', `${last.ms} ms`],
        ['Detail', last.detail],
      ])}
${canChange(s)
    ? html`<form method="post" action="/console/registry/reload">${csrfField(s)}<button type="submit">Reload the registry</button></form>`
    : ''}
</section>
</div>
<section aria-labelledby="h-files"><h2 id="h-files">Source files</h2>
<div class="scroll"><table><thead><tr><th scope="col">File</th><th scope="col">Path</th><th scope="col" class="num">Bytes</th><th scope="col">Modified (UTC)</th><th scope="col">Since the load</th></tr></thead>
<tbody>${files.map((f) => html`<tr><td>${f.kind}</td><td><code>${basename(f.path)}</code><br><span class="muted">${f.path}</span></td><td class="num">${f.size ?? ''}</td>
<td>${f.mtime === undefined ? html`<span class="critical">${'error' in f ? f.error : ''}</span>` : utc(f.mtime)}</td>
<td>${f.mtime !== undefined && f.mtime > reg.loadedAt ? html`<strong class="warn-text">changed: reload to use it</strong>` : f.mtime === undefined ? '' : 'loaded'}</td></tr>`)}</tbody></table></div>
</section>`
}
