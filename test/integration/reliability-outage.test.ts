// Adapter outage. The gateway keeps accepting into the spool up to limits.maxSpoolBytes
// / maxSpoolAgeSeconds, then answers 503 DCCGW_ERR_SPOOL_FULL + Retry-After; the circuit breaker
// stops hammering the failing adapter; when it returns the spool drains in order per MPxN, never
// two in flight for one MPxN; metrics show depth, age, bytes and the breaker state throughout.
// The gateway runs on a test clock (running from now): spool-bound re-measures, cool-downs and
// spool age are reached by moving it, not by sleeping.
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { TestClock } from '../support/clock.js'
import { cleanupAfter, makeWorld, startInProcess, waitFor } from './harness.js'
import { alert, DEVICES, metricValue, postRaw } from './reliability-support.js'

const cleanup = cleanupAfter({ ignoreErrors: true })

/** An adapter that answers `status()` after `delayMs`, recording arrival order and overlap per MPxN. */
class Adapter {
  status = () => 200
  delayMs = 15
  /** from this request on (1 = the first; 0: every one), answers wait for release() */
  holdFrom = Infinity
  #held: (() => void)[] = []
  hits = 0
  readonly order: { key: string; mpxn: string }[] = []
  readonly inFlight = new Map<string, number>()
  maxInFlightPerMpxn = 0
  #server: Server | undefined
  port = 0

  async listen(port = 0): Promise<this> {
    this.#server = createServer((req, res) => {
      const hit = ++this.hits
      const mpxn = String(req.headers['x-dcc-gateway-mpxn'])
      const n = (this.inFlight.get(mpxn) ?? 0) + 1
      this.inFlight.set(mpxn, n)
      this.maxInFlightPerMpxn = Math.max(this.maxInFlightPerMpxn, n)
      req.resume()
      const answer = () => {
        this.inFlight.set(mpxn, this.inFlight.get(mpxn)! - 1)
        const status = this.status()
        if (status < 300) this.order.push({ key: String(req.headers['idempotency-key']), mpxn })
        res.writeHead(status).end()
      }
      req.on('end', () => (hit >= this.holdFrom ? this.#held.push(answer) : setTimeout(answer, this.delayMs)))
    })
    this.#server.listen(port, '127.0.0.1')
    await once(this.#server, 'listening')
    this.port = (this.#server.address() as AddressInfo).port
    return this
  }

  /** answers what it held, and holds nothing more */
  release(): void {
    this.holdFrom = Infinity
    for (const answer of this.#held.splice(0)) answer()
  }

  async close(): Promise<void> {
    if (this.#server === undefined) return
    this.#server.closeAllConnections()
    await new Promise((r) => this.#server!.close(r))
    this.#server = undefined
  }
}

const metrics = async (url: string) => (await fetch(`${url}/metrics`)).text()

describe('adapter outage', () => {
  it('spools up to limits.maxSpoolBytes, then 503 SPOOL_FULL; the breaker stops hammering; the spool drains in order per MPxN', async () => {
    const adapter = await new Adapter().listen()
    adapter.status = () => 503 // phase 1: up but failing
    const port = adapter.port
    // a cool-down longer than the test: a probe goes only when the test moves the clock past it
    const cooldownMs = 600_000
    const world = makeWorld({
      adapterUrl: `http://127.0.0.1:${port}`,
      extra: {
        limits: { maxSpoolBytes: 40_000, maxSpoolAgeSeconds: 0, retryAfterSeconds: 3 },
        delivery: { retryBaseMs: 10, retryMaxMs: 40, pollIntervalMs: 20, breakerFailures: 3, breakerCooldownMs: cooldownMs, concurrency: 8 },
      },
    })
    const clock = new TestClock(Date.now(), { running: true })
    const gw = await startInProcess(world, { clock })
    cleanup.push(() => gw.close(), () => adapter.close())
    const breaker = async () => metricValue(await metrics(gw.url), 'dccgw_delivery_breaker_state', 'target="adapter"')

    // Accept until the spool bound answers 503, alternating two households; every 10 posts a
    // minute passes, so the spool guard measures again.
    const accepted: { id: string; mpxn: string }[] = []
    let full: Awaited<ReturnType<typeof postRaw>> | undefined
    for (let n = 1; n <= 400 && full === undefined; n++) {
      const device = n % 2 ? DEVICES.acme : DEVICES.acmeGas
      const a = await postRaw(`${gw.url}/duis`, alert(device, n))
      if (a.status === 200) accepted.push({ id: a.json.messageId, mpxn: n % 2 ? '1200012345679' : '3938424403' })
      else full = a
      if (n % 10 === 0) await clock.advance(60_000)
    }
    expect(full?.status).toBe(503)
    expect(full?.json).toMatchObject({ code: 'DCCGW_ERR_SPOOL_FULL', status: 503 })
    expect(full?.headers['retry-after']).toBe('3')
    expect(accepted.length).toBeGreaterThan(10)

    // The breaker opened: while it is open nothing reaches the adapter; each cool-down lets exactly
    // one probe through, which fails and opens it again (without it, 8 concurrent items retrying
    // every <= 40 ms would hit the adapter as fast as it answers).
    await waitFor('breaker open', async () => (await breaker()) === 2)
    for (let probe = 1; probe <= 3; probe++) {
      const before = adapter.hits
      await clock.advance(cooldownMs)
      await waitFor(`probe ${probe}`, () => adapter.hits > before)
      await waitFor(`breaker open again after probe ${probe}`, async () => (await breaker()) === 2)
      expect(adapter.hits).toBe(before + 1)
    }
    let m = await metrics(gw.url)
    expect(metricValue(m, 'dccgw_spool_depth', 'target="adapter"')).toBe(accepted.length)
    expect(metricValue(m, 'dccgw_spool_oldest_age_seconds', 'target="adapter"')).toBeGreaterThan(1)
    expect(metricValue(m, 'dccgw_spool_bytes')).toBeGreaterThanOrEqual(40_000)

    // Phase 2: the adapter is gone altogether (connection refused); still 503 at ingress.
    await adapter.close()
    await clock.advance(60_000)
    expect((await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, 9999))).status).toBe(503)

    // Phase 3: it returns on the same port; past the cool-down the probe succeeds and the spool
    // drains, in order per MPxN, one at a time each.
    const back = await new Adapter().listen(port)
    cleanup.push(() => back.close())
    await clock.advance(cooldownMs)
    await waitFor('the spool drained', () => back.order.length >= accepted.length, 20_000)
    expect(back.order).toHaveLength(accepted.length)
    expect(back.maxInFlightPerMpxn).toBe(1)
    for (const mpxn of ['1200012345679', '3938424403']) {
      expect(back.order.filter((o) => o.mpxn === mpxn).map((o) => o.key)).toEqual(accepted.filter((a) => a.mpxn === mpxn).map((a) => a.id))
    }
    m = await metrics(gw.url)
    expect(metricValue(m, 'dccgw_delivery_breaker_state', 'target="adapter"')).toBe(0)
    expect(metricValue(m, 'dccgw_spool_depth', 'target="adapter"')).toBe(0)
    await clock.advance(60_000) // the spool guard measures the empty spool
    expect((await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, 10_000))).status).toBe(200)
  }, 60_000)

  it('answers 503 SPOOL_FULL once the oldest undelivered message is older than limits.maxSpoolAgeSeconds', async () => {
    const adapter = await new Adapter().listen()
    const port = adapter.port
    await adapter.close() // down from the start
    const clock = new TestClock(Date.now(), { running: true })
    const gw = await startInProcess(makeWorld({
      adapterUrl: `http://127.0.0.1:${port}`,
      extra: { limits: { maxSpoolAgeSeconds: 60, maxSpoolBytes: 0 }, delivery: { retryBaseMs: 10, retryMaxMs: 50, pollIntervalMs: 20, breakerCooldownMs: 200 } },
    }), { clock })
    cleanup.push(() => gw.close())
    expect((await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, 1))).status).toBe(200)
    expect((await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, 2))).status).toBe(200)
    await clock.advance(61_000) // the oldest undelivered message is now over a minute old
    const a = await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, 3))
    expect(a.status).toBe(503)
    expect(a.json.code).toBe('DCCGW_ERR_SPOOL_FULL')
    expect(a.json.detail).toMatch(/maxSpoolAgeSeconds/)
    expect(a.headers['retry-after']).toBeDefined()
    const back = await new Adapter().listen(port)
    cleanup.push(() => back.close())
    await clock.advance(1000) // past the breaker's cool-down
    await waitFor('the spool drained', () => back.order.length >= 2)
    expect(back.order.map((o) => o.key)).toHaveLength(2)
    await clock.advance(1000) // the spool guard measures the empty spool
    expect((await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, 3))).status).toBe(200)
  }, 30_000)

  // Overload (docs/performance.md, "Overload"): the adapter is up but slower than the traffic.
  it('holds deliveries waiting for their first attempt to limits.maxWaitingDeliveries (503 OVERLOADED), and takes traffic again once the adapter catches up', async () => {
    const adapter = await new Adapter().listen()
    adapter.holdFrom = 0 // up, but answers nothing until released: every delivery waits
    const clock = new TestClock(Date.now(), { running: true })
    const gw = await startInProcess(makeWorld({
      adapterUrl: `http://127.0.0.1:${adapter.port}`,
      extra: { limits: { maxWaitingDeliveries: 4, retryAfterSeconds: 3 }, delivery: { concurrency: 1, pollIntervalMs: 20 } },
    }), { clock })
    cleanup.push(() => gw.close(), () => adapter.close())
    const post = async (n: number) => {
      await clock.advance(1000) // the spool guard measures again
      return postRaw(`${gw.url}/duis`, alert(n % 2 ? DEVICES.acme : DEVICES.acmeGas, n))
    }
    for (let n = 1; n <= 4; n++) expect((await post(n)).status).toBe(200)
    await waitFor('one delivery at the adapter', () => adapter.hits === 1)
    const over = await post(5) // 1 at the adapter, 3 behind it: 4 not attempted to the end yet
    expect(over.status).toBe(503)
    expect(over.json).toMatchObject({ code: 'DCCGW_ERR_OVERLOADED', status: 503 })
    expect(over.json.detail).toBe('4 accepted deliveries are waiting for their first attempt at targets that are up (what arrived during an outage not counted); limit 4 (limits.maxWaitingDeliveries)')
    expect(over.headers['retry-after']).toBe('3')
    adapter.release()
    await waitFor('the four delivered', () => adapter.order.length === 4)
    expect((await post(5)).status).toBe(200)
  }, 30_000)

  it("does not count an outage's backlog: with the breaker open, ingress goes on spooling past limits.maxWaitingDeliveries, and once the adapter is back only growth beyond that backlog counts", async () => {
    const adapter = await new Adapter().listen()
    adapter.status = () => 503
    const clock = new TestClock(Date.now(), { running: true })
    const gw = await startInProcess(makeWorld({
      adapterUrl: `http://127.0.0.1:${adapter.port}`,
      extra: {
        limits: { maxWaitingDeliveries: 4 },
        delivery: { concurrency: 1, breakerFailures: 1, breakerCooldownMs: 600_000, retryBaseMs: 10, retryMaxMs: 40, pollIntervalMs: 20 },
      },
    }), { clock })
    cleanup.push(() => gw.close(), () => adapter.close())
    expect((await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, 1))).status).toBe(200)
    await waitFor('breaker open', async () => metricValue(await metrics(gw.url), 'dccgw_delivery_breaker_state', 'target="adapter"') === 2)
    for (let n = 2; n <= 12; n++) {
      await clock.advance(1000) // the spool guard measures again; the cool-down is far off
      expect((await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, n))).status).toBe(200)
    }
    expect(metricValue(await metrics(gw.url), 'dccgw_spool_depth', 'target="adapter"')).toBe(12)
    expect(adapter.hits).toBe(1)

    // The adapter is back: the probe succeeds and closes the breaker, then it holds every answer,
    // so the outage's backlog waits. It is set aside: ingress takes new messages, and only what
    // comes beyond it counts against the bound.
    adapter.status = () => 200
    adapter.holdFrom = adapter.hits + 2
    await clock.advance(600_000)
    await waitFor('the probe delivered, the next delivery held', () => adapter.hits === adapter.holdFrom)
    expect(metricValue(await metrics(gw.url), 'dccgw_delivery_breaker_state', 'target="adapter"')).toBe(0)
    // set aside: the 11 never attempted (the first one failed before the breaker opened)
    for (let n = 13; n <= 16; n++) {
      await clock.advance(1000)
      expect((await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, n))).status).toBe(200)
    }
    await clock.advance(1000)
    const over = await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, 17))
    expect(over.status).toBe(503)
    expect(over.json.detail).toMatch(/^4 accepted deliveries are waiting/)
    adapter.release()
    await waitFor('everything accepted delivered', () => adapter.order.length === 16)
  }, 30_000)
})
