// The console on a store that cannot answer its summaries (the clustered store): every page
// answers 200, and the pages whose read the store refuses with its not-available StoreError say
// so instead of failing (docs/console.md). The store here is an in-memory stand-in for the port that
// answers as NatsStore does (src/store/nats/nats-store.ts).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCredentials } from '../admin/index.js'
import { createCalendar } from '../obligations/index.js'
import { loadRegistry } from '../registry/index.js'
import { notAvailable, storeUnavailable } from '../store/index.js'
import type { ObligationRow, QuarantineRow } from '../store/index.js'
import { createConsole } from './router.js'
import type { ConsoleStore } from './types.js'

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

describe('console on a store without its summaries (the clustered store)', () => {
  let server: Server
  let url = ''
  let down = false
  beforeAll(async () => {
    const { index } = await loadRegistry({ registrations: join(DEMO, 'registrations.csv'), devices: join(DEMO, 'devices.csv'), parties: join(DEMO, 'parties.yaml') }, { inThread: true, maxRejectRatio: 0.01 })
    const cannot = (what: string) => async (): Promise<never> => { throw notAvailable(what, 'nats') }
    const store: ConsoleStore = {
      listQuarantine: async () => ({ items: [held], nextCursor: null }),
      getQuarantine: async (id) => (id === held.id ? held : undefined),
      getQuarantineBody: async (id) => (id === held.id ? Buffer.from('<x/>') : undefined),
      deleteQuarantined: async () => false,
      listObligations: async () => {
        if (down) throw storeUnavailable('JetStream did not answer the obligations read')
        return [duty]
      },
      getObligation: async (id) => (id === duty.id ? duty : undefined),
      obligationEvents: async () => [],
      acknowledgeObligation: async () => 'ok',
      writeAudit: async () => undefined,
      spoolDepth: () => [{ target: 'adapter:ACME', n: 3, oldest: NOW - 90_000 }],
      staleCosRows: cannot('the stale-CoS report'),
      credentialsUpdatedTimes: cannot('the stale-CoS report'),
      decisionsPerMinute: cannot('the decisions per minute'),
      quarantineByReason: cannot('the quarantine count per reason'),
      countQuarantineByReason: cannot('releasing a whole reason at once'),
      quarantineIdsByReason: cannot('releasing a whole reason at once'),
      auditPage: cannot('the paged audit log'),
      auditActions: cannot('the list of audit actions'),
    }
    const c = createConsole({
      credentials: adminCredentials({ token: 'nats-mode-token' }), tls: false, sessionMinutes: 30, store,
      registry: () => index,
      registryFiles: { registrations: join(DEMO, 'registrations.csv'), devices: join(DEMO, 'devices.csv'), parties: join(DEMO, 'parties.yaml') },
      lastReload: () => ({ at: NOW, ok: true, detail: 'loaded at start', ms: 12 }),
      reloadRegistry: async () => undefined,
      releaseQuarantined: async () => { throw new Error('not in this test') },
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
      ['/console/', 'The decisions chart needs the SQLite store: the decisions per minute is not available with'],
      ['/console/', 'Counting the quarantine by reason needs the SQLite store'],
      ['/console/quarantine?reason=unknown-device', 'Releasing a whole reason at once (release messages one by one) needs the SQLite store'],
      [`/console/quarantine/${held.id}`, 'Credit Below Disablement Threshold'],
      ['/console/obligations', 'overdue by 1 s'],
      [`/console/obligations/${duty.id}`, 'No recorded events.'],
      ['/console/stale-cos', 'The stale-CoS report needs the SQLite store'],
      ['/console/audit', 'The audit log view needs the SQLite store'],
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

  it('answers 503 with a page, not 500, when the store does not answer', async () => {
    const login = await fetch(`${url}/console/login`, { method: 'POST', body: new URLSearchParams({ token: 'nats-mode-token' }), redirect: 'manual' })
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    down = true
    try {
      const r = await fetch(`${url}/console/obligations`, { headers: { cookie }, redirect: 'manual' })
      expect(r.status).toBe(503)
      expect(r.headers.get('content-type')).toContain('text/html')
      expect(await r.text()).toContain('JetStream did not answer the obligations read')
    } finally {
      down = false
    }
    expect((await fetch(`${url}/console/obligations`, { headers: { cookie }, redirect: 'manual' })).status).toBe(200)
  })
})
