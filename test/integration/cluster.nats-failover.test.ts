// Clustered mode (store.kind nats) over a real 3-node JetStream cluster.
// A NATS node (the spool stream's leader) is SIGKILLed in the middle of a replay.
//
// What "lost" and "delivered twice" mean here. Delivery is at-least-once: the gateway acks a
// delivery to JetStream only after the adapter's 2xx, so a 2xx whose ack is lost (the node that
// held the ack died) is redelivered and the adapter sees the same Idempotency-Key again. So:
//   - lost            = a messageId answered 200 that never reaches the adapter with a 2xx;
//   - delivered twice = an Idempotency-Key the adapter would act on twice. An adapter that honours
//     Idempotency-Key (docs/http.md, "Delivery") acts once per key, so the test checks the set of keys equals
//     the set of accepted messageIds, and bounds raw repeats (same key, second 2xx) by what can be
//     in flight when the node dies (delivery.concurrency); a re-sent message is recognised as a
//     duplicate and never spooled again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildDuisDocument } from '../support/duis-builder.js'
import type { Gateway } from '../../dist/index.js'
import { HoldingAdapter, NatsCluster } from '../cluster-harness.js'
import { ACME_USER, makeWorld, startInProcess, waitFor } from './harness.js'

const DEVICE = '00-12-34-56-78-AB-CD-EF'
const doc = (n: number) =>
  buildDuisDocument({ kind: 'device_alert', device: DEVICE, counter: n, responseId: `${DEVICE}:${ACME_USER}:${n}`, responseDateTime: '2025-03-14T08:15:30Z' })

/** The DCC's side: resend on 503 or a broken connection until a 200 (docs/http.md, "Ingress"). */
async function postUntil200(url: string, body: string): Promise<{ messageId: string; decision: string; duplicate?: boolean; tries: number }> {
  for (let tries = 1; ; tries++) {
    try {
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/xml' } })
      const json = (await res.json()) as { messageId: string; decision: string; duplicate?: boolean }
      if (res.status === 200) return { ...json, tries }
      if (res.status !== 503) throw new Error(`unexpected ${res.status}: ${JSON.stringify(json)}`)
    } catch (err) {
      if (tries > 200) throw err
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** delivery.concurrency, set here: the bound on repeats is what can be in flight, not the default (64 since 2026-12-05) */
const IN_FLIGHT = 16

let cluster: NatsCluster
let adapter: HoldingAdapter
let gw: Gateway

beforeAll(async () => {
  cluster = await NatsCluster.start(3)
  adapter = await new HoldingAdapter().listen()
  const world = makeWorld({
    adapterUrl: adapter.url,
    extra: {
      store: { kind: 'nats', path: './data', nats: { servers: cluster.urls, replicas: 3, ackWaitMs: 3000, publishTimeoutMs: 2000 } },
      delivery: { retryBaseMs: 20, retryMaxMs: 200, pollIntervalMs: 50, concurrency: IN_FLIGHT }, // the harness's, plus the concurrency
    },
  })
  gw = await startInProcess(world)
}, 60_000)

afterAll(async () => {
  await gw?.close(2000)
  await adapter?.close()
  await cluster?.stop()
})

describe('clustered mode: a NATS node dies during a replay', () => {
  it('loses no 200-acknowledged message and acts on none twice', async () => {
    const N = 240
    const accepted: { messageId: string; decision: string; duplicate?: boolean; tries: number }[] = []
    let next = 0
    let killed = -1
    const worker = async () => {
      for (;;) {
        const i = next++
        if (i >= N) return
        if (i === 80) {
          // the spool stream's leader: the worst node to lose (elections for stream and consumer)
          killed = await cluster.leaderOf('DCCGW_SPOOL')
          await cluster.killNode(killed)
        }
        accepted.push(await postUntil200(`${gw.url}/duis`, doc(5000 + i)))
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker))
    expect(killed).toBeGreaterThanOrEqual(0)
    expect(accepted).toHaveLength(N)
    expect(accepted.every((a) => a.decision === 'deliver')).toBe(true)
    const ids = new Set(accepted.map((a) => a.messageId))
    expect(ids.size).toBe(N)

    // every accepted message reaches the adapter with a 2xx (nothing lost)...
    await waitFor('every accepted message delivered', () => adapter.delivered().size >= N, 60_000)
    const delivered = adapter.delivered()
    expect(new Set(delivered.keys())).toEqual(ids)
    // Deliveries whose ack was lost with the node come again after ackWait (3 s; same
    // Idempotency-Key): wait until the adapter has seen nothing new for two ackWaits, then count.
    let seen = -1
    await waitFor('redeliveries to settle', () => {
      const n = adapter.requests.length
      const settled = n === seen
      seen = n
      return settled || undefined
    }, 60_000, 6000)
    // ...and repeats of a key are bounded by what was in flight when the node died
    const repeats = [...adapter.delivered().values()].reduce((s, n) => s + n - 1, 0)
    expect(repeats).toBeLessThanOrEqual(IN_FLIGHT)

    // The DCC re-sends a sample: recognised by messageId, answered with the original decision,
    // and not delivered again.
    const before = adapter.requests.length
    for (const i of [0, 79, 80, 81, 200, N - 1]) {
      const again = await postUntil200(`${gw.url}/duis`, doc(5000 + i))
      expect(again).toMatchObject({ decision: 'deliver', duplicate: true })
    }
    await new Promise((r) => setTimeout(r, 1000))
    expect(adapter.requests.length).toBe(before)
  }, 90_000)
})
