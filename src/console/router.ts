import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { matchCredential } from '../admin/index.js'
import type { HttpPlugin } from '../http/index.js'
import { isGatewayError } from '../http/index.js'
import { isStoreUnavailable } from '../store/index.js'
import * as act from './actions.js'
import type { ActionResult } from './actions.js'
import { COOKIE, cookieValue, crossSite, readForm, redirect, sendPage, sendText, sessionCookie } from './http.js'
import { html } from './html.js'
import type { Html } from './html.js'
import { page, shell } from './layout.js'
import type { NavPath } from './layout.js'
import { overviewBody } from './page-overview.js'
import { quarantineBody, worklistQuery } from './page-quarantine.js'
import { quarantineItemBody } from './page-quarantine-item.js'
import { OBLIGATION_VIEWS, obligationBody, obligationsBody } from './page-obligations.js'
import type { ObligationView } from './page-obligations.js'
import { staleCosBody, staleCosOf, staleCosQuery } from './page-stale-cos.js'
import { auditBody } from './page-audit.js'
import { registryBody } from './page-registry.js'
import { SessionStore, csrfMatches } from './session.js'
import type { Session } from './session.js'
import type { ConsoleDeps } from './types.js'

// The operator console (docs/console.md) under /console: server-rendered pages, sessions from the admin
// credentials, CSRF tokens on every state-changing form. Unauthenticated page requests go to the
// sign-in form; a viewer sees everything and may change nothing.

const ID = '([0-9a-f-]{36})'
const QUARANTINE_ITEM = new RegExp(`^/console/quarantine/${ID}$`)
const QUARANTINE_ACTION = new RegExp(`^/console/quarantine/${ID}/(release|delete)$`)
const OBLIGATION_ITEM = new RegExp(`^/console/obligations/${ID}$`)
const OBLIGATION_ACK = new RegExp(`^/console/obligations/${ID}/ack$`)

/** the static assets (a stylesheet the ack page can share, the countdown script, the icon) */
const ASSETS: Record<string, { type: string; body: Buffer }> = Object.fromEntries(
  [['console.css', 'text/css; charset=utf-8'], ['console.js', 'text/javascript; charset=utf-8'], ['favicon.svg', 'image/svg+xml']].map(([name, type]) => [
    `/console/assets/${name}`,
    { type: type!, body: readFileSync(new URL(`../../assets/console/${name}`, import.meta.url)) },
  ]),
)

export interface ConsoleHandler {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>
  readonly sessions: SessionStore
}

/** The console under /console (its own sessions; the admin credentials sign in). */
export const registerConsole: HttpPlugin<ConsoleHandler> = (router, console) => {
  router.under('/console', (req, res, url) => console.handle(req, res, url))
}

export function createConsole(d: ConsoleDeps): ConsoleHandler {
  const sessions = new SessionStore(d.sessionMinutes * 60_000, d.now)
  const cookie = (s: Session) => sessionCookie(s.id, d.sessionMinutes * 60, d.tls)
  const overviewCache = {}
  const actorOf = (s: Session, req: IncomingMessage) => `console:${s.name}@${req.socket.remoteAddress ?? 'unknown'}`

  /**
   * A store that does not answer (503: no quorum, disk full) or refuses a request (its StoreError
   * status) gets a page saying so, as the admin API answers a problem body: never a bare 500.
   */
  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      await route(req, res, url)
    } catch (err) {
      if (res.headersSent || !(isGatewayError(err) || isStoreUnavailable(err))) throw err
      const status = isGatewayError(err) ? err.status : 503
      sendPage(res, status, shell('Store not answering', html`<main id="main"><h1>The store did not answer</h1><p>${(err as Error).message}</p><p>Nothing was changed by this request unless the page said so. <a href="/console/">Try again</a></p></main>`))
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname
    const method = req.method ?? 'GET'
    const asset = ASSETS[path]
    if (asset !== undefined && method === 'GET') return sendText(res, 200, asset.type, asset.body, { 'cache-control': 'max-age=300' })
    if (path === '/console') return redirect(res, '/console/')
    if (method !== 'GET' && method !== 'HEAD' && crossSite(req)) {
      req.resume()
      return sendPage(res, 403, shell('Refused', html`<main id="main"><h1>Refused</h1><p>A form from another site cannot change anything here.</p></main>`))
    }
    if (path === '/console/login') return login(req, res, url, method)

    const session = sessions.get(cookieValue(req, COOKIE))
    if (session === undefined) {
      req.resume()
      if (method === 'GET' || method === 'HEAD') return redirect(res, `/console/login?next=${encodeURIComponent(path + url.search)}`)
      return sendPage(res, 401, loginPage('Your session has ended: sign in again.'))
    }
    if (method === 'POST') return post(req, res, path, session)
    if (method !== 'GET' && method !== 'HEAD') return (req.resume(), sendPage(res, 405, notFound(session), { allow: 'GET, POST' }))

    const show = (title: string, current: NavPath, body: Html) => sendPage(res, 200, page({ title, session, current, body }))
    const q = url.searchParams
    if (path === '/console/') return show('Overview', '/console/', await overviewBody(d, overviewCache))
    if (path === '/console/quarantine') return show('Quarantine', '/console/quarantine', await quarantineBody(d, session, worklistQuery(q)))
    const qi = QUARANTINE_ITEM.exec(path)
    if (qi !== null) {
      const body = await quarantineItemBody(d, session, qi[1]!, q.get('raw') === '1')
      return body === undefined ? sendPage(res, 404, notFound(session)) : show('Quarantined message', '/console/quarantine', body)
    }
    if (path === '/console/obligations') {
      const status = q.get('status') ?? 'open'
      const view: ObligationView = (OBLIGATION_VIEWS as readonly string[]).includes(status) ? (status as ObligationView) : 'open'
      return show('Obligations', '/console/obligations', await obligationsBody(d, session, view))
    }
    const oi = OBLIGATION_ITEM.exec(path)
    if (oi !== null) {
      const body = await obligationBody(d, session, oi[1]!)
      return body === undefined ? sendPage(res, 404, notFound(session)) : show('Obligation', '/console/obligations', body)
    }
    if (path === '/console/stale-cos') return show('Stale change of supplier', '/console/stale-cos', await staleCosBody(d, staleCosQuery(q)))
    if (path === '/console/stale-cos.csv') {
      const report = await staleCosOf(d, q.get('since') ?? '')
      if (!report.ok) return sendPage(res, 404, notFound(session))
      return sendText(res, 200, 'text/csv; charset=utf-8', report.value.csv(), { 'content-disposition': 'attachment; filename="stale-cos.csv"' })
    }
    if (path === '/console/audit') return show('Audit log', '/console/audit', await auditBody(d, q))
    if (path === '/console/registry') return show('Registry', '/console/registry', await registryBody(d, session))
    return sendPage(res, 404, notFound(session))
  }

  async function login(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    const next = safeNext(url.searchParams.get('next'))
    if (method === 'GET') {
      if (sessions.get(cookieValue(req, COOKIE)) !== undefined) return redirect(res, next)
      return sendPage(res, 200, loginPage(undefined, next))
    }
    if (method !== 'POST') return (req.resume(), sendPage(res, 405, loginPage(), { allow: 'GET, POST' }))
    const form = await readForm(req)
    const credential = matchCredential(form?.get('token') ?? '', d.credentials)
    if (credential === undefined) return sendPage(res, 403, loginPage('That is not an admin credential of this gateway.', next))
    const old = cookieValue(req, COOKIE)
    if (old !== undefined) sessions.end(old) // a new session id at each sign-in (no fixation)
    const s = sessions.create(credential)
    await d.store.writeAudit(actorOf(s, req), 'console.sign-in', null, s.role)
    return redirect(res, safeNext(form?.get('next') ?? null), { 'set-cookie': cookie(s) })
  }

  async function post(req: IncomingMessage, res: ServerResponse, path: string, s: Session): Promise<void> {
    const form = await readForm(req)
    const refuse = (why: string) => sendPage(res, 403, page({ title: 'Refused', session: s, current: '/console/', body: html`<p>${why}</p>` }))
    if (form === undefined || !csrfMatches(s, form.get('csrf'))) return refuse('The form is out of date or did not come from this console (CSRF token missing or wrong). Reload the page and try again.')
    if (path === '/console/logout') {
      sessions.end(s.id)
      return redirect(res, '/console/login', { 'set-cookie': sessionCookie('', 0, d.tls) })
    }
    if (s.role !== 'operator') return refuse(`${s.name} has the viewer role: it may look at everything and change nothing.`)
    const actor = actorOf(s, req)
    let r: ActionResult | undefined
    const qa = QUARANTINE_ACTION.exec(path)
    const oa = OBLIGATION_ACK.exec(path)
    if (qa !== null) r = qa[2] === 'release' ? await act.release(d, qa[1]!, actor) : await act.remove(d, qa[1]!, (form.get('reason') ?? '').trim(), actor)
    else if (path === '/console/quarantine/release-all') r = await act.releaseAll(d, form.get('reason') ?? '', Number(form.get('count')), actor)
    else if (oa !== null) r = await act.acknowledge(d, oa[1]!, actor)
    else if (path === '/console/registry/reload') r = await act.reload(d, actor)
    if (r === undefined) return sendPage(res, 404, notFound(s))
    s.flash = { kind: r.ok ? 'ok' : 'error', text: r.text }
    return redirect(res, r.location)
  }

  return { handle, sessions }
}

/** Only a console page may follow the sign-in (no open redirect). */
function safeNext(next: string | null): string {
  return next !== null && /^\/console\/[\w\-./?=&%]*$/.test(next) ? next : '/console/'
}

function notFound(s: Session): Html {
  return page({ title: 'Not found', session: s, current: '/console/', body: html`<p>Nothing here: it may have been released or deleted. <a href="/console/">Back to the overview</a></p>` })
}

function loginPage(error?: string, next = '/console/'): Html {
  return shell(
    'Sign in',
    html`<main id="main" class="login">
<h1>DCC alert gateway</h1>
<form method="post" action="/console/login">
  ${error === undefined ? '' : html`<p class="flash error" role="alert">${error}</p>`}
  <input type="hidden" name="next" value="${next}">
  <label for="token">Admin credential</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
  <button type="submit">Sign in</button>
  <p class="muted">A token from <code>admin.token</code> or <code>admin.tokens</code>. The session ends after a period without use.</p>
</form>
</main>`,
  )
}
