// Retries, rejection to quarantine, and what survives a crash and restart.
import { describe, expect, it } from 'vitest'
import { buildDuisDocument } from '../support/duis-builder.js'
import { cleanupAfter, ACME_USER, GatewayProcess, makeWorld, post, Recorder, spoolEmpty, startInProcess, waitFor } from './harness.js'

const DEVICE = '00-12-34-56-78-AB-CD-EF'
const doc = (n: number) =>
  buildDuisDocument({ kind: 'device_alert', device: DEVICE, counter: n, responseId: `${DEVICE}:${ACME_USER}:${n}`, responseDateTime: '2025-03-14T08:15:30Z' })
const cleanup = cleanupAfter()

describe('delivery to the adapter (contract §4)', () => {
  it('retries 503 twice, then delivers once on 200, with the same Idempotency-Key', async () => {
    const adapter = await new Recorder().listen()
    adapter.respond = (_r, n) => (n <= 2 ? 503 : 200)
    const gw = await startInProcess(makeWorld({ adapterUrl: adapter.url }))
    cleanup.push(() => adapter.close(), () => gw.close())
    const r = await post(`${gw.url}/duis`, doc(1))
    await waitFor('three attempts', () => adapter.received.length >= 3)
    await waitFor('the spool empty', () => spoolEmpty(gw.url))
    expect(adapter.statuses).toEqual([503, 503, 200])
    expect(new Set(adapter.received.map((x) => x.headers['idempotency-key']))).toEqual(new Set([r.json.messageId]))
    const m = await fetch(`${gw.url}/metrics`).then((x) => x.text())
    expect(m).toContain('dccgw_delivery_attempts_total{target="adapter",outcome="retry"} 2')
    expect(m).toContain('dccgw_delivery_attempts_total{target="adapter",outcome="ok"} 1')
  })

  it('moves a message the adapter refuses with 400 to quarantine as adapter-rejected', async () => {
    const adapter = await new Recorder().listen()
    adapter.respond = () => 400
    const gw = await startInProcess(makeWorld({ adapterUrl: adapter.url }))
    cleanup.push(() => adapter.close(), () => gw.close())
    const r = await post(`${gw.url}/duis`, doc(2))
    expect(r.json.decision).toBe('deliver')
    const auth = { authorization: 'Bearer test-token' }
    const item = await waitFor('quarantined adapter-rejected', async () =>
      (await fetch(`${gw.url}/admin/quarantine?reason=adapter-rejected`, { headers: auth }).then((x) => x.json() as Promise<any>)).items[0])
    expect(item).toMatchObject({ messageId: r.json.messageId, reason: 'adapter-rejected', detail: 'HTTP 400' })
    expect(adapter.received).toHaveLength(1)
    // The message's recorded decision follows it, so a resend says where it is.
    expect((await post(`${gw.url}/duis`, doc(2))).json).toMatchObject({ decision: 'quarantine', reason: 'adapter-rejected', duplicate: true })
  })
})

describe('crash and restart', () => {
  it('delivers after a restart what was accepted before a SIGKILL, and still knows its duplicates', async () => {
    // The adapter is down while the gateway accepts: the 200 means spooled, not delivered.
    const adapter = new Recorder()
    const world = makeWorld({ adapterUrl: 'http://127.0.0.1:1' })
    const gp = await new GatewayProcess(world).start()
    cleanup.push(() => gp.kill())
    const accepted = []
    for (let i = 0; i < 5; i++) accepted.push((await post(`${gp.url}/duis`, doc(100 + i))).json)
    expect(accepted.every((a) => a.decision === 'deliver')).toBe(true)
    expect(await gp.kill('SIGKILL')).toBe(null)

    await adapter.listen()
    cleanup.push(() => adapter.close())
    const { writeFileSync, readFileSync } = await import('node:fs')
    const parties = readFileSync(`${world.dir}/parties.yaml`, 'utf8').replace('http://127.0.0.1:1', adapter.url)
    writeFileSync(`${world.dir}/parties.yaml`, parties)
    const again = await new GatewayProcess(world).start()
    cleanup.push(() => again.kill())
    await waitFor('all five delivered', () => adapter.received.length >= 5)
    expect(new Set(adapter.received.map((x) => x.headers['idempotency-key']))).toEqual(new Set(accepted.map((a) => a.messageId)))
    const dup = await post(`${again.url}/duis`, doc(100))
    expect(dup.json).toMatchObject({ messageId: accepted[0].messageId, duplicate: true })
    await waitFor('the spool empty', () => spoolEmpty(again.url))
    expect(adapter.received).toHaveLength(5)
    expect(await again.kill('SIGTERM')).toBe(0)
  })
})
