// A gateway with the operator console for the console tests (docs/console.md): the demo world, an
// operator (admin.token), a named operator and a viewer, a recording adapter and notice endpoint,
// and helpers that sign in and post console forms as a browser would (same-origin, with the
// session cookie and the page's CSRF token).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Gateway } from '../../dist/index.js'
import { DEMO, makeWorld, post, Recorder, startInProcess, type World } from './harness.js'

export const OPERATOR = { name: 'olivia', token: 'olivia-operator-0123456789' }
export const VIEWER = { name: 'victor', token: 'victor-viewer-0123456789' }
export const LEGACY_TOKEN = 'test-token'

export interface ConsoleWorld {
  world: World
  gw: Gateway
  adapter: Recorder
  notices: Recorder
  close(): Promise<void>
}

export async function startConsoleWorld(extra: Record<string, unknown> = {}): Promise<ConsoleWorld> {
  const adapter = await new Recorder().listen()
  const notices = await new Recorder().listen()
  const world = makeWorld({
    adapterUrl: `${adapter.url}/adapter`,
    noticeUrl: `${notices.url}/notices`,
    extra: {
      admin: { token: LEGACY_TOKEN, tokens: [{ ...OPERATOR, role: 'operator' }, { ...VIEWER, role: 'viewer' }] },
      ...extra,
    },
  })
  const gw = await startInProcess(world)
  return {
    world, gw, adapter, notices,
    async close() {
      await gw.close()
      await adapter.close()
      await notices.close()
    },
  }
}

export const demoDocument = (name: string): Buffer => readFileSync(join(DEMO, 'duis', name))

export async function postDemo(gw: Gateway, name: string): Promise<{ messageId: string; decision: string; reason: string }> {
  const r = await post(`${gw.url}/duis`, demoDocument(name))
  if (r.status !== 200) throw new Error(`${name}: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json
}

/** Signs in with the form as a browser does; returns the cookie header to send. */
export async function signIn(url: string, token: string): Promise<string> {
  const r = await fetch(`${url}/console/login`, { method: 'POST', body: new URLSearchParams({ token }), redirect: 'manual', headers: { origin: url } })
  if (r.status !== 303) throw new Error(`sign-in: ${r.status}`)
  return r.headers.get('set-cookie')!.split(';')[0]!
}

export async function getPage(url: string, path: string, cookie: string): Promise<{ status: number; text: string; headers: Headers }> {
  const r = await fetch(url + path, { headers: { cookie }, redirect: 'manual' })
  return { status: r.status, text: await r.text(), headers: r.headers }
}

/** The CSRF token a page's forms carry. */
export function csrfOf(pageText: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(pageText)
  if (m === null) throw new Error('no CSRF field on the page')
  return m[1]!
}

export async function postForm(url: string, path: string, cookie: string, fields: Record<string, string>, headers: Record<string, string> = { origin: url }) {
  const r = await fetch(url + path, {
    method: 'POST', body: new URLSearchParams(fields), redirect: 'manual', headers: { cookie, ...headers },
  })
  return { status: r.status, location: r.headers.get('location'), text: await r.text() }
}
