// The operator console (docs/console.md) on the store port of a gateway with store.kind nats. It
// reads and acts through the same port as with SQLite: the worklist, one message, the obligations
// and their trail come from JetStream; what the clustered store cannot answer (the per-minute
// chart, counts by reason, the bulk release, the paged audit log, the stale-CoS report) is its
// not-available StoreError, which each page shows as a notice, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NatsCluster } from '../cluster-harness.js'
import { csrfOf, getPage, LEGACY_TOKEN, OPERATOR, postDemo, postForm, signIn, startConsoleWorld } from './console-world.js'
import type { ConsoleWorld } from './console-world.js'

const ID = /\/console\/(?:quarantine|obligations)\/([0-9a-f-]{36})"/

async function audit(w: ConsoleWorld, action: string): Promise<{ actor: string; target: string | null; detail: string | null }[]> {
  const r = await fetch(`${w.gw.url}/admin/audit?action=${action}`, { headers: { authorization: `Bearer ${LEGACY_TOKEN}` } })
  return ((await r.json()) as { items: { actor: string; target: string | null; detail: string | null }[] }).items
}

describe('operator console with store.kind nats', () => {
  let cluster: NatsCluster
  let w: ConsoleWorld
  let url: string
  let cookie: string

  beforeAll(async () => {
    cluster = await NatsCluster.start(1)
    w = await startConsoleWorld({ store: { kind: 'nats', path: './data', nats: { servers: cluster.urls, replicas: 1 } }, obligations: { checkIntervalMs: 3_600_000 } })
    url = w.gw.url
    await postDemo(w.gw, 'unknown-device.xml')
    await postDemo(w.gw, 'critical-alert-stale-cos.xml')
    cookie = await signIn(url, OPERATOR.token)
  }, 60_000)
  afterAll(async () => {
    await w?.close()
    await cluster?.stop()
  })

  it('answers every page; what the clustered store cannot count says it needs the SQLite store', async () => {
    const pages: [string, string][] = [
      ['/console/', 'The decisions chart needs the SQLite store: the decisions per minute is not available with'],
      ['/console/', 'Counting the quarantine by reason needs the SQLite store'],
      ['/console/quarantine', 'unknown-device'],
      ['/console/quarantine?reason=unknown-device', 'Releasing a whole reason at once (release messages one by one) needs the SQLite store'],
      ['/console/obligations', 'critical-forward'],
      ['/console/stale-cos', 'The stale-CoS report needs the SQLite store'],
      ['/console/audit', 'The audit log view needs the SQLite store'],
      ['/console/registry', 'Reload'],
    ]
    for (const [p, expected] of pages) {
      const r = await getPage(url, p, cookie)
      expect(r.status, p).toBe(200)
      expect(r.text, p).toContain(expected)
    }
    expect((await getPage(url, '/console/stale-cos.csv', cookie)).status).toBe(404)
    // the sign-in went to the JetStream audit stream, under the credential's name
    expect((await audit(w, 'console.sign-in')).map((a) => a.actor)).toContainEqual(expect.stringMatching(/^console:olivia@/))
  })

  it('acknowledges an obligation from its page; the trail comes from the store', async () => {
    const list = await getPage(url, '/console/obligations', cookie)
    const id = ID.exec(list.text)![1]!
    const before = await getPage(url, `/console/obligations/${id}`, cookie)
    expect(before.text).toMatch(/<ol class="trail">[\s\S]*<strong>open<\/strong>/)
    const r = await postForm(url, `/console/obligations/${id}/ack`, cookie, { csrf: csrfOf(before.text) })
    expect(r).toMatchObject({ status: 303, location: `/console/obligations/${id}` })
    const after = await getPage(url, `/console/obligations/${id}`, cookie)
    expect(after.text).toContain('Acknowledged.')
    expect(after.text).toMatch(/<strong>acknowledged<\/strong>[^<]*by console:olivia@/)
    expect((await audit(w, 'obligation.ack')).map((a) => a.target)).toEqual([id])
  })

  it('deletes a quarantined message with the reason in its audit row', async () => {
    const list = await getPage(url, '/console/quarantine', cookie)
    const id = ID.exec(list.text)![1]!
    const item = await getPage(url, `/console/quarantine/${id}`, cookie)
    expect(item.status).toBe(200)
    const r = await postForm(url, `/console/quarantine/${id}/delete`, cookie, { csrf: csrfOf(item.text), reason: 'test message from the demo set' })
    expect(r).toMatchObject({ status: 303, location: '/console/quarantine' })
    expect((await getPage(url, `/console/quarantine/${id}`, cookie)).status).toBe(404)
    expect(await audit(w, 'quarantine.delete')).toEqual([expect.objectContaining({ target: id, detail: 'test message from the demo set', actor: expect.stringMatching(/^console:olivia@/) })])
  })
})
