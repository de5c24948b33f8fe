// The routing table every part registers on: exact paths with their methods, prefixes, first
// match wins, 404 problem+json for the rest.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createRouter } from './router.js'

async function call(router: ReturnType<typeof createRouter>, method: string, url: string) {
  const seen: { status?: number; body?: string } = {}
  const res = { writeHead(status: number) { seen.status = status; return this }, end(body: string) { seen.body = body } }
  await router.dispatch({ method, url } as IncomingMessage, res as unknown as ServerResponse, 1234)
  return seen
}

describe('router', () => {
  const router = createRouter()
  const hits: string[] = []
  const mark = (name: string) => (_req: IncomingMessage, _res: ServerResponse, url: URL, receivedAt: number) => void hits.push(`${name} ${url.pathname} ${receivedAt}`)
  router.on('*', '/duis', mark('ingress'))
  router.on(['GET'], '/healthz', mark('health'))
  router.under('/admin/', mark('admin'))
  router.under('/console', mark('console'))
  router.on(['GET'], '/console/special', mark('never: the prefix was registered first'))

  it('sends each path to the part that registered it, with the receipt time', async () => {
    hits.length = 0
    for (const [m, u] of [['POST', '/duis'], ['PUT', '/duis?x=1'], ['GET', '/healthz'], ['DELETE', '/admin/quarantine/1'], ['GET', '/console'], ['GET', '/console/special']]) await call(router, m!, u!)
    expect(hits).toEqual(['ingress /duis 1234', 'ingress /duis 1234', 'health /healthz 1234', 'admin /admin/quarantine/1 1234', 'console /console 1234', 'console /console/special 1234'])
  })

  it('answers 404 problem+json for a path, or a method, nobody registered', async () => {
    hits.length = 0
    for (const [m, u] of [['POST', '/healthz'], ['GET', '/consoles'], ['GET', '/admin'], ['GET', '/']]) {
      const r = await call(router, m!, u!)
      expect(r.status).toBe(404)
      expect(JSON.parse(r.body!)).toMatchObject({ code: 'DCCGW_ERR_NOT_FOUND', detail: `no route for ${m} ${u}` })
    }
    expect(hits).toEqual([])
  })
})
