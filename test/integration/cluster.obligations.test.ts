// Clustered mode (docs/cluster.md, "Obligations"): critical-forward obligations escalate when store.kind is
// nats. Two gateway instances share one JetStream; both run the obligation timer on the same
// (injected) clock, and the obligations bucket's compare-and-set lets exactly one of them escalate
// and spool the next notice. Before this, NatsStore.dueObligations returned [] and nothing escalated.
// Deterministic under load (docs/journal.md): the escalation reads the mirror only once it holds every
// change the bucket had (NatsStore.dueObligations), and the test waits for the delivery's
// `notified` step before it moves the clock, instead of racing it.
// Also the quarantine's read side in clustered mode (GET /admin/quarantine and /{id}), read from the
// JetStream quarantine stream; before, those routes answered 404 "not available with store.kind nats".
import { pino } from 'pino'
import { connect } from '@nats-io/transport-node'
import { jetstreamManager } from '@nats-io/jetstream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, startGateway, type Gateway } from '../../dist/index.js'
import { buildDuisDocument } from '../support/duis-builder.js'
import { NatsCluster } from '../cluster-harness.js'
import { TestClock } from '../support/clock.js'
import { ACME_USER, makeWorld, post, Recorder, waitFor } from './harness.js'

const STALE_DEVICE = '00-12-34-56-78-AB-CD-F0' // MPAN 1412345678901: ACME until 2025-03-01, then BRIT(E)
// running: deliveries and JetStream redeliveries go on in real time; the test jumps a week ahead
const clock = new TestClock('2025-03-14T09:00:00Z', { running: true })

let cluster: NatsCluster
let webhook: Recorder
const gateways: Gateway[] = []

beforeAll(async () => {
  cluster = await NatsCluster.start(1)
  webhook = await new Recorder().listen()
  const world = makeWorld({
    noticeUrl: `${webhook.url}/notices`,
    extra: { store: { kind: 'nats', path: './data', nats: { servers: cluster.urls, replicas: 1 } }, obligations: { checkIntervalMs: 3_600_000 } },
  })
  for (let i = 0; i < 2; i++) {
    gateways.push(await startGateway(loadConfig({ file: world.configFile, env: {} }), { log: pino({ level: 'silent' }), clock }))
  }
}, 60_000)

/** The shared delivery consumer has nothing left to hand out and nothing unacknowledged. */
async function spoolIdle(): Promise<boolean> {
  const nc = await connect({ servers: cluster.urls })
  try {
    const c = await (await jetstreamManager(nc)).consumers.info('DCCGW_SPOOL', 'DCCGW_delivery')
    return c.num_pending === 0 && c.num_ack_pending === 0
  } finally {
    await nc.close()
  }
}

afterAll(async () => {
  for (const g of gateways) await g.close(2000)
  await webhook?.close()
  await cluster?.stop()
})

describe('clustered mode: obligations', () => {
  it('escalates an unacknowledged critical forward once, whichever instance gets there', async () => {
    const [a, b] = gateways as [Gateway, Gateway]
    const doc = buildDuisDocument({
      kind: 'device_alert', alertCode: '8F3D', gbcsCritical: true, device: STALE_DEVICE, counter: 4242,
      responseId: `${STALE_DEVICE}:${ACME_USER}:4242`, responseDateTime: '2025-03-14T08:15:30Z',
    })
    const r = await post(`${a.url}/duis`, doc)
    expect(r.json).toMatchObject({ decision: 'forward', reason: 'stale-cos-critical' })
    const first = await waitFor('the first notice', () => webhook.received.find((x) => x.headers['idempotency-key'] === r.json.messageId), 20_000)
    const obligationId = JSON.parse(first.body.toString()).obligationId as string
    const auth = { authorization: 'Bearer test-token' }
    const stateOn = async (g: Gateway) => (await fetch(`${g.url}/admin/obligations/${obligationId}`, { headers: auth }).then((x) => x.json())) as any

    // The delivery marks it notified after the webhook's 2xx, so after this test saw the notice.
    // Wait for that step in both mirrors: once it is there, nothing else changes the obligation
    // until the clock moves, and the checks below cannot race it.
    for (const g of [a, b]) await waitFor('notified in the mirror', async () => (await stateOn(g)).status === 'notified', 20_000)
    expect(await a.gatewayStore.dueObligations(clock.now())).toEqual([])

    // a week later: past the 1-working-day deadline, unacknowledged. Moving the clock runs both
    // instances' obligation checks; a tick() asked meanwhile counts what the running check changed.
    const moved = clock.advance(7 * 86_400_000)
    const [na, nb] = await Promise.all([a.obligations.tick(), b.obligations.tick()])
    await moved
    expect(na + nb).toBe(1)
    const notices = () => webhook.received.filter((x) => JSON.parse(x.body.toString()).obligationId === obligationId)
    await waitFor('the escalation notice', () => notices().length >= 2 || undefined, 20_000)
    // nothing more is on its way: the spool holds nothing pending or unacknowledged
    await waitFor('an empty spool', () => spoolIdle(), 20_000)
    expect(notices()).toHaveLength(2)

    // the new state is in the bucket: escalated, one level up, a later deadline; acknowledging ends it
    await waitFor('the escalated state in both mirrors', async () => {
      for (const g of [a, b]) {
        const due = await g.gatewayStore.dueObligations(clock.now() + 30 * 86_400_000)
        if (!due.some((o) => o.id === obligationId && o.status === 'escalated' && o.level === 1)) return false
      }
      return true
    })
    // the admin read side answers from the mirror, on either instance
    const open = (await fetch(`${b.url}/admin/obligations?status=open`, { headers: auth }).then((x) => x.json())) as any
    expect(open.items.find((o: { id: string }) => o.id === obligationId)).toMatchObject({ status: 'escalated', level: 1, toParty: 'BRITE' })
    const one = (await fetch(`${a.url}/admin/obligations/${obligationId}`, { headers: auth }).then((x) => x.json())) as any
    expect(one).toMatchObject({ id: obligationId, type: 'critical-forward', mpxn: '1412345678901' })
    const ack = await fetch(`${b.url}/admin/obligations/${obligationId}/ack`, { method: 'POST', headers: auth })
    expect(ack.status).toBe(200)
    await waitFor('acknowledged in the mirror', async () => !(await a.gatewayStore.dueObligations(clock.now() + 30 * 86_400_000)).some((o) => o.id === obligationId))
    const done = (await fetch(`${a.url}/admin/obligations?status=done`, { headers: auth }).then((x) => x.json())) as any
    expect(done.items.map((o: { id: string }) => o.id)).toContain(obligationId)
  })
})

describe('clustered mode: the quarantine read side', () => {
  it('lists quarantined messages newest first with filters and a cursor, and serves their bytes', async () => {
    const [a, b] = gateways as [Gateway, Gateway]
    const auth = { authorization: 'Bearer test-token' }
    const docs = [9001, 9002, 9003].map((n) => buildDuisDocument({
      kind: 'device_alert', device: '00-12-34-56-78-AB-CD-99', counter: n,
      responseId: `00-12-34-56-78-AB-CD-99:${ACME_USER}:${n}`, responseDateTime: '2025-03-14T08:15:30Z',
    }))
    const ids: string[] = []
    for (const d of docs) {
      const r = await post(`${a.url}/duis`, d)
      expect(r.json).toMatchObject({ decision: 'quarantine', reason: 'unknown-device' })
      ids.push(r.json.messageId)
    }
    // read through the other instance: the stream is shared
    const page1 = (await fetch(`${b.url}/admin/quarantine?reason=unknown-device&limit=2`, { headers: auth }).then((x) => x.json())) as any
    expect(page1.items.map((q: { messageId: string }) => q.messageId)).toEqual([ids[2], ids[1]])
    expect(page1.nextCursor).toEqual(expect.any(String))
    const page2 = (await fetch(`${b.url}/admin/quarantine?reason=unknown-device&limit=2&cursor=${page1.nextCursor}`, { headers: auth }).then((x) => x.json())) as any
    expect(page2.items.map((q: { messageId: string }) => q.messageId)).toEqual([ids[0]])
    const none = (await fetch(`${b.url}/admin/quarantine?reason=adapter-rejected`, { headers: auth }).then((x) => x.json())) as any
    expect(none.items).toEqual([])
    const raw = await fetch(`${b.url}/admin/quarantine/${page1.items[0].id}?raw=1`, { headers: auth })
    expect(await raw.text()).toBe(docs[2])
  })
})

describe('clustered mode: quarantined critical alerts have a clock (issue 15)', () => {
  it('opens a critical-quarantined obligation per critical quarantined message; delete needs a reason and closes it', async () => {
    const [a, b] = gateways as [Gateway, Gateway]
    const auth = { authorization: 'Bearer test-token' }
    // the three critical unknown-device alerts of the previous test
    const held = (await fetch(`${a.url}/admin/quarantine?reason=unknown-device&critical=true`, { headers: auth }).then((x) => x.json())) as any
    expect(held.items).toHaveLength(3)
    const q = held.items[0]
    let mine: any
    await waitFor('critical-quarantined obligations in both mirrors', async () => {
      const lists = await Promise.all([a, b].map(async (g) => (await g.gatewayStore.dueObligations(clock.now() + 30 * 86_400_000)).filter((o) => o.type === 'critical-quarantined')))
      mine = lists[1]!.find((o) => o.notice.quarantineId === q.id)
      return (lists.every((l) => l.length === 3) && mine !== undefined) || undefined
    })
    // a week past the alert time (the clock moved above): opened overdue and escalated at once
    expect(mine).toMatchObject({ toParty: 'ACME', alertCode: '8F0F', status: expect.stringMatching(/open|notified|escalated/) })
    const bare = await fetch(`${b.url}/admin/quarantine/${q.id}`, { method: 'DELETE', headers: auth })
    expect(bare.status).toBe(400)
    const del = await fetch(`${b.url}/admin/quarantine/${q.id}?reason=test`, { method: 'DELETE', headers: auth })
    expect(del.status).toBe(200)
    await waitFor('closed in the mirror', async () => (await a.gatewayStore.dueObligations(clock.now() + 30 * 86_400_000)).every((o) => o.id !== mine.id) || undefined)
    const done = (await fetch(`${a.url}/admin/obligations/${mine.id}`, { headers: auth }).then((x) => x.json())) as any
    expect(done.status).toBe('closed')
  })
})
