// Two gateway instances (child processes) over one 3-node JetStream cluster.
// Instance A holds deliveries (the adapter does not answer), B runs beside it and gets none of
// them while A is alive (A signals progress); A is SIGKILLed and B delivers everything A held.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildDuisDocument } from '../support/duis-builder.js'
import { HoldingAdapter, NatsCluster } from '../cluster-harness.js'
import { ACME_USER, GatewayProcess, makeWorld, post, waitFor } from './harness.js'
import type { World } from './harness.js'

const DEVICE = '00-12-34-56-78-AB-CD-EF'
const doc = (n: number) =>
  buildDuisDocument({ kind: 'device_alert', device: DEVICE, counter: n, responseId: `${DEVICE}:${ACME_USER}:${n}`, responseDateTime: '2025-03-14T08:15:30Z' })
const ACK_WAIT_MS = 2000

let cluster: NatsCluster
let adapter: HoldingAdapter
let world: World
const gateways: GatewayProcess[] = []

beforeAll(async () => {
  cluster = await NatsCluster.start(3)
  adapter = await new HoldingAdapter().listen()
  world = makeWorld({
    adapterUrl: adapter.url,
    extra: {
      store: { kind: 'nats', path: './data', nats: { servers: cluster.urls, replicas: 3, ackWaitMs: ACK_WAIT_MS } },
      delivery: { retryBaseMs: 20, retryMaxMs: 200, pollIntervalMs: 50, timeoutMs: 60_000 },
    },
  })
}, 60_000)

afterAll(async () => {
  for (const g of gateways) await g.kill('SIGKILL')
  await adapter?.close()
  await cluster?.stop()
})

describe('clustered mode: a gateway instance dies', () => {
  it("another instance picks up the dead one's deliveries, once each", async () => {
    adapter.hold = true
    const a = await new GatewayProcess(world).start()
    gateways.push(a)
    const accepted: string[] = []
    for (let i = 0; i < 6; i++) {
      const r = await post(`${a.url}/duis`, doc(700 + i))
      expect(r.status).toBe(200)
      expect(r.json.decision).toBe('deliver')
      accepted.push(r.json.messageId)
    }
    // A has the first delivery in flight (held by the adapter) and the rest leased behind it
    await waitFor('A to attempt a delivery', () => adapter.requests.length >= 1, 20_000)
    const inFlightAtA = adapter.requests[0]!.key

    const b = await new GatewayProcess(world).start()
    gateways.push(b)
    // While A lives it keeps its leases (working() heartbeats), well past ackWait: B gets nothing.
    await new Promise((r) => setTimeout(r, 2.5 * ACK_WAIT_MS))
    expect(adapter.requests).toHaveLength(1)

    adapter.hold = false
    expect(await a.kill('SIGKILL')).toBe(null)
    await waitFor('B to deliver what A held', () => adapter.delivered().size >= accepted.length, 30_000)
    const delivered = adapter.delivered()
    expect(new Set(delivered.keys())).toEqual(new Set(accepted))
    expect(delivered.get(inFlightAtA)).toBe(1) // A's in-flight delivery, completed by B
    expect([...delivered.values()].every((n) => n === 1)).toBe(true)

    // B knows A's messages as duplicates (the decisions live in the cluster, not in A)
    const dup = await post(`${b.url}/duis`, doc(700))
    expect(dup.json).toMatchObject({ messageId: accepted[0], decision: 'deliver', duplicate: true })
    expect(await b.kill('SIGTERM')).toBe(0)
  }, 90_000)
})
