// The operator console over HTTP, without a browser (the browser walk-through is in
// console.browser.test.ts): sign-in and sessions, the CSP, CSRF and cross-site refusal, roles on
// the console and on the admin API, the audit log naming the credential, bulk release with a
// count to confirm, delete with a reason, and the escaping of what came from a document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { post } from './harness.js'
import { csrfOf, demoDocument, getPage, LEGACY_TOKEN, OPERATOR, postDemo, postForm, signIn, startConsoleWorld, VIEWER } from './console-world.js'
import type { ConsoleWorld } from './console-world.js'

const PAGES = ['/console/', '/console/quarantine', '/console/obligations', '/console/stale-cos', '/console/audit', '/console/registry']
const EVIL = '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;'

async function audit(w: ConsoleWorld, action: string): Promise<{ actor: string; target: string | null; detail: string | null }[]> {
  const r = await fetch(`${w.gw.url}/admin/audit?action=${action}`, { headers: { authorization: `Bearer ${LEGACY_TOKEN}` } })
  return ((await r.json()) as { items: { actor: string; target: string | null; detail: string | null }[] }).items
}

describe('operator console over HTTP (issue #16)', () => {
  let w: ConsoleWorld
  let url: string
  beforeAll(async () => {
    w = await startConsoleWorld()
    url = w.gw.url
    await postDemo(w.gw, 'unknown-device.xml')
    await postDemo(w.gw, 'critical-alert-stale-cos.xml')
  })
  afterAll(() => w?.close())

  it('sends an unauthenticated page request to the sign-in form, and a wrong token gets 403 and no cookie', async () => {
    const r = await fetch(`${url}/console/quarantine?reason=unknown-device`, { redirect: 'manual' })
    expect(r.status).toBe(303)
    expect(r.headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fquarantine%3Freason%3Dunknown-device')
    const form = await fetch(`${url}/console/login`)
    expect(await form.text()).toMatch(/<form method="post" action="\/console\/login">[\s\S]*name="token"/)
    const wrong = await fetch(`${url}/console/login`, { method: 'POST', body: new URLSearchParams({ token: 'nope' }), redirect: 'manual' })
    expect(wrong.status).toBe(403)
    expect(wrong.headers.get('set-cookie')).toBeNull()
  })

  it('exchanges the token for an HttpOnly, SameSite=Strict, expiring cookie scoped to /console, and returns to the page asked for', async () => {
    const r = await fetch(`${url}/console/login`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: OPERATOR.token, next: '/console/obligations' }),
    })
    expect(r.status).toBe(303)
    expect(r.headers.get('location')).toBe('/console/obligations')
    const cookie = r.headers.get('set-cookie')!
    expect(cookie).toMatch(/^dccgw_console=[\w-]{43}; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=1800$/) // no Secure over plain HTTP
    expect(cookie).not.toContain(OPERATOR.token)
    // an open redirect is not possible
    const away = await fetch(`${url}/console/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: OPERATOR.token, next: '//evil.example/' }) })
    expect(away.headers.get('location')).toBe('/console/')
  })

  it('every page answers with a strict CSP and carries no inline script or style', async () => {
    const cookie = await signIn(url, LEGACY_TOKEN)
    for (const p of PAGES) {
      const r = await getPage(url, p, cookie)
      expect(r.status, p).toBe(200)
      const csp = r.headers.get('content-security-policy')!
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("default-src 'none'")
      expect(csp).not.toContain('unsafe')
      expect(r.headers.get('x-frame-options')).toBe('DENY')
      expect(r.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
      expect(r.text).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i)
    }
    const css = await fetch(`${url}/console/assets/console.css`)
    expect(css.headers.get('content-type')).toContain('text/css')
  })

  it('refuses a state-changing post without the CSRF token, with another session token, or from another site', async () => {
    const cookie = await signIn(url, OPERATOR.token)
    const other = await signIn(url, OPERATOR.token)
    const otherCsrf = csrfOf((await getPage(url, '/console/registry', other)).text)
    const csrf = csrfOf((await getPage(url, '/console/registry', cookie)).text)
    expect((await postForm(url, '/console/registry/reload', cookie, {})).status).toBe(403)
    expect((await postForm(url, '/console/registry/reload', cookie, { csrf: otherCsrf })).status).toBe(403)
    expect((await postForm(url, '/console/registry/reload', cookie, { csrf }, { origin: 'https://evil.example' })).status).toBe(403)
    expect((await postForm(url, '/console/registry/reload', cookie, { csrf }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect(await audit(w, 'registry.reload')).toEqual([])
    const ok = await postForm(url, '/console/registry/reload', cookie, { csrf })
    expect(ok).toMatchObject({ status: 303, location: '/console/registry' })
    expect((await audit(w, 'registry.reload'))[0]).toMatchObject({ actor: expect.stringMatching(/^console:olivia@/), detail: 'ok' })
  })

  it('a viewer sees every page with no form that changes anything, and gets 403 when posting anyway', async () => {
    const cookie = await signIn(url, VIEWER.token)
    const list = await getPage(url, '/console/quarantine?reason=unknown-device', cookie)
    const id = /\/console\/quarantine\/([0-9a-f-]{36})"/.exec(list.text)![1]!
    const obligation = /\/console\/obligations\/([0-9a-f-]{36})"/.exec((await getPage(url, '/console/obligations', cookie)).text)![1]!
    for (const p of [...PAGES, `/console/quarantine/${id}`, `/console/obligations/${obligation}`, '/console/quarantine?reason=unknown-device']) {
      const r = await getPage(url, p, cookie)
      expect(r.status, p).toBe(200)
      const posts = [...r.text.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"/g)].map((m) => m[1])
      expect(posts, p).toEqual(['/console/logout'])
    }
    const csrf = csrfOf(list.text)
    for (const [path, fields] of [
      [`/console/quarantine/${id}/release`, {}],
      [`/console/quarantine/${id}/delete`, { reason: 'viewer tries' }],
      ['/console/quarantine/release-all', { reason: 'unknown-device', count: '1' }],
      [`/console/obligations/${obligation}/ack`, {}],
      ['/console/registry/reload', {}],
    ] as const) {
      expect((await postForm(url, path, cookie, { csrf, ...fields })).status, path).toBe(403)
    }
    expect((await getPage(url, `/console/quarantine/${id}`, cookie)).status).toBe(200) // still there
  })

  it('the admin API takes the named credentials: a viewer reads and gets 403 on every state-changing call; the audit names who', async () => {
    const as = (token: string, method = 'GET', path = '/admin/quarantine') => fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}` } })
    expect((await as(VIEWER.token)).status).toBe(200)
    const { items } = (await (await as(VIEWER.token)).json()) as { items: { id: string; reason: string }[] }
    const id = items.find((i) => i.reason === 'unknown-device')!.id
    expect((await as(VIEWER.token, 'POST', `/admin/quarantine/${id}/release`)).status).toBe(403)
    expect((await as(VIEWER.token, 'DELETE', `/admin/quarantine/${id}`)).status).toBe(403)
    expect((await as(VIEWER.token, 'POST', '/admin/registry/reload')).status).toBe(403)
    expect((await as('wrong-token-0123456789')).status).toBe(403)
    expect((await as(OPERATOR.token, 'POST', '/admin/registry/reload')).status).toBe(200)
    expect((await as(LEGACY_TOKEN, 'POST', '/admin/registry/reload')).status).toBe(200)
    const actors = (await audit(w, 'registry.reload')).map((r) => r.actor)
    expect(actors[0]).toMatch(/^admin-api:(::ffff:)?127\.0\.0\.1$/) // admin.token: the form it always had
    expect(actors[1]).toMatch(/^admin-api:olivia@(::ffff:)?127\.0\.0\.1$/)
    // registry deltas (docs/registry.md) change state too: a viewer gets 403 and nothing is applied; an
    // operator's delta is applied and audited through the store port with who and which file
    const delta = 'op,mpxn,supplier_mpid,effective_from,effective_to\nadd,1999999999993,ACME,2025-01-01,2025-01-31\n'
    const post = (token: string) => fetch(`${url}/admin/registry/apply-delta?name=console-test.csv`, { method: 'POST', body: delta, headers: { authorization: `Bearer ${token}` } })
    expect((await post(VIEWER.token)).status).toBe(403)
    expect(w.gw.registry().periods('1999999999993')).toEqual([])
    expect((await audit(w, 'registry.delta'))).toEqual([])
    expect((await post(OPERATOR.token)).status).toBe(200)
    expect(w.gw.registry().periods('1999999999993')).toEqual([{ mpid: 'ACME', from: '2025-01-01', to: '2025-01-31' }])
    expect((await audit(w, 'registry.delta'))[0]).toMatchObject({ actor: expect.stringMatching(/^admin-api:olivia@/), target: 'console-test.csv', detail: 'ok' })
  })

  it('bulk release asks for the count again when it changed, and delete records the operator reason', async () => {
    const cookie = await signIn(url, OPERATOR.token)
    const page = await getPage(url, '/console/quarantine?reason=unknown-device', cookie)
    const csrf = csrfOf(page.text)
    expect(page.text).toMatch(/name="count" value="1"/)
    // the worklist filters by alert code too (the admin API's alertCode, any case)
    expect((await getPage(url, '/console/quarantine?alertCode=8f0f', cookie)).text).toContain(`/console/quarantine/${/\/console\/quarantine\/([0-9a-f-]{36})"/.exec(page.text)![1]}`)
    expect((await getPage(url, '/console/quarantine?alertCode=8F01', cookie)).text).toContain('No quarantined message matches')
    const stale = await postForm(url, '/console/quarantine/release-all', cookie, { csrf, reason: 'unknown-device', count: '2' })
    expect(stale.status).toBe(303)
    expect((await getPage(url, stale.location!, cookie)).text).toContain('The count changed: 1 messages are now quarantined as unknown-device, not 2')
    const id = /\/console\/quarantine\/([0-9a-f-]{36})"/.exec(page.text)![1]!
    expect((await postForm(url, `/console/quarantine/${id}/delete`, cookie, { csrf, reason: '' })).status).toBe(303)
    expect((await getPage(url, `/console/quarantine/${id}`, cookie)).status).toBe(200) // no reason, not deleted
    const del = await postForm(url, `/console/quarantine/${id}/delete`, cookie, { csrf, reason: 'test device, never installed' })
    expect(del).toMatchObject({ status: 303, location: '/console/quarantine' })
    expect((await getPage(url, `/console/quarantine/${id}`, cookie)).status).toBe(404)
    expect((await audit(w, 'quarantine.delete'))[0]).toMatchObject({ actor: expect.stringMatching(/^console:olivia@/), target: id, detail: 'test device, never installed' })
  })

  it('escapes what came from a quarantined document on the list, the detail and the raw view', async () => {
    const base = demoDocument('unknown-device.xml').toString()
    const doc = base.replace('00-12-34-56-78-AB-CD-99:90-B3-D5-1F-30-01-00-00:10', EVIL).replace('<sr:Body>', `<sr:Body><!-- </pre><script>alert(3)</script> -->`)
    const r = await post(`${url}/duis`, doc)
    expect(r.status).toBe(422)
    const cookie = await signIn(url, OPERATOR.token)
    for (const p of ['/console/quarantine', `/console/quarantine/${r.json.quarantineId}`, `/console/quarantine/${r.json.quarantineId}?raw=1`, '/console/']) {
      const text = (await getPage(url, p, cookie)).text
      expect(text, p).not.toMatch(/<script>alert|<img src=x|<\/pre><script/)
    }
    const raw = (await getPage(url, `/console/quarantine/${r.json.quarantineId}?raw=1`, cookie)).text
    expect(raw).toContain('&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;')
    expect(raw).toContain('&amp;lt;script&amp;gt;alert(2)') // the document's own entity, shown as written
  })

  it('sign-out ends the session', async () => {
    const cookie = await signIn(url, VIEWER.token)
    const csrf = csrfOf((await getPage(url, '/console/', cookie)).text)
    const out = await postForm(url, '/console/logout', cookie, { csrf })
    expect(out.status).toBe(303)
    expect((await getPage(url, '/console/', cookie)).status).toBe(303)
  })
})
