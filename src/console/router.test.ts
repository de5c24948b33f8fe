// The console with store.kind nats (no SQLite): every page answers 200, and the pages that read
// SQLite-only tables say so instead of failing (issue #16). The readers here are in-memory
// stand-ins with the shape the NATS store gives the admin router (src/gateway/index.ts).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCredentials } from '../admin/index.js'
import { createCalendar } from '../obligations/index.js'
import { loadRegistry } from '../registry/index.js'
import type { ObligationRow, QuarantineRow } from '../store/index.js'
import { createConsole } from './router.js'

const DEMO = join(import.meta.dirname, '../../examples/demo')
const NOW = Date.parse('2026-03-16T10:00:00Z')

const held: QuarantineRow = {
  id: '7f0c1f6e-2f4e-4a38-9d55-0d0a0d0a0d0a', messageId: 'm1', receivedAt: NOW - 60_000, reason: 'unknown-device', detail: 'device not in devices.csv',
  kind: 'device_alert', party: 'ACME', mpxn: null, contentType: 'application/xml', size: 5, releasedAt: null, releasedBy: null, critical: true, alertCode: '8F0F',
}
const duty: ObligationRow = {
  id: '0b1f6e2f-4e4a-4389-9d55-0d0a0d0a0d0b', type: 'critical-forward', status: 'notified', messageId: 'm2', fromParty: 'ACME', toParty: 'BRITE',
  mpxn: '1412345678901', alertCode: '8F0F', alertTime: NOW - 7_200_000, createdAt: NOW - 7_000_000, dueAt: NOW - 1000, level: 0,
  notifiedAt: NOW - 6_000_000, ackedAt: null, ackedBy: null, notice: {}, text: '',
}

describe('console with store.kind nats', () => {
  let server: Server
  let url = ''
  beforeAll(async () => {
    const { index } = await loadRegistry({ registrations: join(DEMO, 'registrations.csv'), devices: join(DEMO, 'devices.csv'), parties: join(DEMO, 'parties.yaml') }, { inThread: true, maxRejectRatio: 0.01 })
    const c = createConsole({
      credentials: adminCredentials({ token: 'nats-mode-token' }), tls: false, sessionMinutes: 30,
      quarantine: { list: async () => ({ items: [held], nextCursor: null }), get: async (id) => (id === held.id ? { row: held, body: Buffer.from('<x/>') } : undefined) },
      obligations: { list: () => [duty], get: (id) => (id === duty.id ? duty : undefined), events: () => [] },
      db: () => undefined,
      spoolDepth: () => [{ target: 'adapter:ACME', n: 3, oldest: NOW - 90_000 }],
      registry: () => index,
      registryFiles: { registrations: join(DEMO, 'registrations.csv'), devices: join(DEMO, 'devices.csv'), parties: join(DEMO, 'parties.yaml') },
      lastReload: () => ({ at: NOW, ok: true, detail: 'loaded at start', ms: 12 }),
      reloadRegistry: async () => undefined,
      releaseQuarantined: async () => { throw new Error('not in this test') },
      deleteQuarantined: async () => false,
      acknowledge: async () => 'ok',
      audit: async () => undefined,
      calendar: createCalendar({ region: 'england-and-wales', extraNonWorkingDays: [] } as never),
      now: () => NOW,
    })
    server = createServer((req, res) => void c.handle(req, res, new URL(req.url ?? '/', 'http://x')))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise((r) => server?.close(r)))

  it('answers every page, saying which need the SQLite store', async () => {
    const login = await fetch(`${url}/console/login`, { method: 'POST', body: new URLSearchParams({ token: 'nats-mode-token' }), redirect: 'manual' })
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const get = async (p: string) => {
      const r = await fetch(url + p, { headers: { cookie }, redirect: 'manual' })
      return { status: r.status, text: await r.text() }
    }
    const pages: [string, string | RegExp][] = [
      ['/console/', /The decisions chart is not available with <code>store.kind: nats<\/code>/],
      ['/console/quarantine?reason=unknown-device', 'Releasing a whole reason at once needs the SQLite store'],
      [`/console/quarantine/${held.id}`, 'Credit below disablement threshold'],
      ['/console/obligations', 'overdue by 1 s'],
      [`/console/obligations/${duty.id}`, 'store.kind nats keeps them in the audit stream'],
      ['/console/stale-cos', 'The stale-CoS report is not available'],
      ['/console/audit', 'The audit log view is not available'],
      ['/console/registry', 'loaded at start'],
    ]
    for (const [p, expected] of pages) {
      const r = await get(p)
      expect(r.status, p).toBe(200)
      expect(r.text, p).toMatch(expected)
    }
    expect((await get('/console/')).text).toContain('adapter:ACME')
    expect((await get('/console/stale-cos.csv')).status).toBe(404)
  })
})
