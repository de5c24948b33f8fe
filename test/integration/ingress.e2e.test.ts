// Every status of docs/http.md, "Ingress", with a problem body that says what was wrong,
// byte-identical delivery, namespace/format independence, 2^53 counters, duplicates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../../dist/index.js'
import { buildDuisDocument } from '../support/duis-builder.js'
import { ACME_USER, makeWorld, post, Recorder, spoolEmpty, startInProcess, waitFor } from './harness.js'

const DEVICE = '00-12-34-56-78-AB-CD-EF'

describe('ingress (contract §2)', () => {
  let adapter: Recorder
  let gw: Gateway
  let ingress: string
  const auth = { authorization: 'Bearer test-token' }

  beforeAll(async () => {
    adapter = await new Recorder().listen()
    gw = await startInProcess(makeWorld({ adapterUrl: adapter.url, extra: { limits: { maxBodyBytes: 4096 } } }))
    ingress = `${gw.url}/duis`
  })
  afterAll(async () => {
    await gw.close()
    await adapter.close()
  })

  it('delivers the original bytes byte for byte, trailing ds:Signature and CRLFs included', async () => {
    const doc = buildDuisDocument({ kind: 'device_alert', device: DEVICE, counter: 42, signature: true, pretty: true, crlf: true,
      responseId: `${DEVICE}:${ACME_USER}:42`, responseDateTime: '2025-03-14T08:15:30.120Z' })
    expect(doc).toContain('Signature')
    expect(doc).toContain('\r\n')
    const bytes = Buffer.from(doc)
    const r = await post(ingress, bytes, 'text/xml; charset=UTF-8')
    expect(r.json.decision).toBe('deliver')
    const got = await waitFor('delivery', () => adapter.received.find((x) => x.headers['idempotency-key'] === r.json.messageId))
    expect(Buffer.compare(got.body, bytes)).toBe(0)
    expect(got.headers['content-type']).toBe('text/xml; charset=UTF-8')
  })

  it('gives a default-namespace document and a prefixed, pretty-printed CRLF copy the same decision', async () => {
    const base = { kind: 'device_alert' as const, device: '00-12-34-56-78-AB-CD-F0', alertCode: '8F12', gbcsCritical: false, responseDateTime: '2025-03-20T10:00:00Z' }
    const a = await post(ingress, buildDuisDocument({ ...base, prefix: 'default', counter: 7001, responseId: `00-12-34-56-78-AB-CD-F0:${ACME_USER}:7001` }))
    const b = await post(ingress, buildDuisDocument({ ...base, prefix: 'sr', pretty: true, crlf: true, counter: 7002, responseId: `00-12-34-56-78-ab-cd-f0:${ACME_USER.toLowerCase()}:7002` }))
    expect(a.json.decision).toBe('drop')
    expect({ decision: b.json.decision, reason: b.json.reason }).toEqual({ decision: a.json.decision, reason: a.json.reason })
  })

  it('treats two IDs whose counters differ only beyond 2^53 as distinct messages', async () => {
    const c1 = 9007199254740993n // 2^53 + 1: Number() would round it to 2^53
    const c2 = 9007199254740992n
    const mk = (c: bigint) => buildDuisDocument({ kind: 'device_alert', device: DEVICE, counter: c, responseId: `${DEVICE}:${ACME_USER}:${c}`, responseDateTime: '2025-03-14T09:00:00Z' })
    const a = await post(ingress, mk(c1))
    const b = await post(ingress, mk(c2))
    expect(a.json.messageId).toContain(':9007199254740993@')
    expect(b.json.messageId).not.toBe(a.json.messageId)
    expect(b.json.duplicate).toBeUndefined()
    const max = await post(ingress, mk(18446744073709551615n))
    expect(max.json.messageId).toContain(':18446744073709551615@')
  })

  it('answers a resend as a duplicate and delivers it once', async () => {
    const doc = buildDuisDocument({ kind: 'device_alert', device: DEVICE, counter: 555, responseId: `${DEVICE}:${ACME_USER}:555`, responseDateTime: '2025-03-14T09:30:00Z' })
    const first = await post(ingress, doc)
    const again = await post(ingress, doc)
    expect(again.json).toEqual({ ...first.json, duplicate: true })
    await waitFor('delivery', () => adapter.received.find((x) => x.headers['idempotency-key'] === first.json.messageId))
    await waitFor('the spool empty', () => spoolEmpty(gw.url))
    expect(adapter.received.filter((x) => x.headers['idempotency-key'] === first.json.messageId)).toHaveLength(1)
  })

  it('415 for a wrong content type, saying what was sent and what is expected', async () => {
    const r = await post(ingress, '<x/>', 'application/json')
    expect(r.status).toBe(415)
    expect(r.headers.get('content-type')).toBe('application/problem+json')
    expect(r.json).toMatchObject({ status: 415, title: expect.any(String), type: expect.stringContaining('DCCGW_ERR_MEDIA_TYPE') })
    expect(r.json.detail).toContain('application/json')
    expect(r.json.detail).toContain('application/xml or text/xml')
  })

  it('413 for a body over limits.maxBodyBytes; nothing stored', async () => {
    const held = async () => (await gw.store.listQuarantine({ limit: 1000 })).items.length
    const before = await held()
    const r = await post(ingress, `<Response>${'x'.repeat(5000)}</Response>`)
    expect(r.status).toBe(413)
    expect(r.json.detail).toMatch(/5\d{3} bytes; limit is 4096/)
    expect(await held()).toBe(before)
  })

  it.each([
    ['not well-formed XML', '<Response xmlns="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.4"><Header>', /./],
    ['not a DUIS Response', '<Request xmlns="http://www.dccinterface.co.uk/ServiceUserGateway"/>', /Response/],
    ['a DOCTYPE (entities are never expanded)', '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><Response/>', /DOCTYPE/i],
    ['a missing ResponseDateTime', buildDuisDocument({ kind: 'device_alert', responseId: `${DEVICE}:${ACME_USER}:1` }).replace(/<(\w+:)?ResponseDateTime>[^<]*<\/(\w+:)?ResponseDateTime>/, ''), /ResponseDateTime/],
    ['a malformed ResponseID', buildDuisDocument({ kind: 'device_alert', responseId: '../../etc/passwd:x:1' }), /ResponseID/],
  ])('422 for %s, raw bytes kept in quarantine', async (_what, doc, detail) => {
    const r = await post(ingress, doc)
    expect(r.status).toBe(422)
    expect(r.json.detail).toMatch(detail)
    expect(r.json.quarantineId).toMatch(/^[0-9a-f-]{36}$/)
    const raw = await fetch(`${gw.url}/admin/quarantine/${r.json.quarantineId}?raw=1`, { headers: auth })
    expect(Buffer.from(await raw.arrayBuffer()).toString()).toBe(doc)
    const meta = await fetch(`${gw.url}/admin/quarantine/${r.json.quarantineId}`, { headers: auth }).then((x) => x.json() as Promise<any>)
    expect(meta.reason).toBe('malformed')
  })

  it('admin release: a document policy still cannot decide is 409; an unexpected failure is 500, never 409', async () => {
    const q = await post(ingress, '<Request xmlns="http://www.dccinterface.co.uk/ServiceUserGateway"/>')
    const release = () => fetch(`${gw.url}/admin/quarantine/${q.json.quarantineId}/release`, { method: 'POST', headers: auth })
    const conflict = await release()
    expect(conflict.status).toBe(409)
    expect(await conflict.json()).toMatchObject({ code: 'DCCGW_ERR_CONFLICT', detail: expect.stringMatching(/^still not a usable DUIS document/) })
    const store = gw.store as { getQuarantine: (id: string) => Promise<unknown> }
    const real = store.getQuarantine
    store.getQuarantine = () => Promise.reject(new Error('a bug, not a refusal'))
    try {
      const bug = await release()
      expect(bug.status).toBe(500)
      expect(await bug.json()).toMatchObject({ code: 'DCCGW_ERR_INTERNAL', detail: 'internal error; see the gateway log' })
    } finally {
      store.getQuarantine = real
    }
    expect((await release()).status).toBe(409)
  })

  it('admin API: 401 without a token, 403 with a wrong one', async () => {
    expect((await fetch(`${gw.url}/admin/quarantine`)).status).toBe(401)
    expect((await fetch(`${gw.url}/admin/quarantine`, { headers: { authorization: 'Bearer nope' } })).status).toBe(403)
    expect((await fetch(`${gw.url}/admin/quarantine`, { headers: auth })).status).toBe(200)
  })

  it('health and readiness', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200)
  })
})

describe('503 while draining', () => {
  it('answers 503 with Retry-After (and readyz 503) once shutdown has begun, and stores nothing', async () => {
    const gw = await startInProcess(makeWorld({ extra: { server: { host: '127.0.0.1', port: 0, drainDelayMs: 1500 } } }))
    const closing = gw.close(3000)
    const r = await post(`${gw.url}/duis`, buildDuisDocument({ kind: 'device_alert', responseId: `${DEVICE}:${ACME_USER}:9`, responseDateTime: '2025-03-14T09:00:00Z' }))
    expect(r.status).toBe(503)
    expect(r.headers.get('retry-after')).toBe('2')
    expect(r.json.detail).toContain('shutting down')
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(503)
    await closing
    const db = (await import('better-sqlite3')).default(`${gw.config.store.path}/gateway.db`, { readonly: true })
    expect(db.prepare('SELECT COUNT(*) AS n FROM messages').get()).toEqual({ n: 0 })
    db.close()
  })
})
