// Hot reload of the registration index through the real gateway.
// - reload under concurrent posts: nothing lost or duplicated, every decision is the old or the
//   new world's, never a mix (registry-world.ts explains how a mix would show);
// - a reload with a broken file keeps serving on the old index (409, failed-reload metric);
// - SIGHUP reloads a gateway child process, and a broken file on SIGHUP keeps the old index.
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../../dist/index.js'
import { GatewayProcess, makeWorld, post, Recorder, startInProcess, waitFor, type World } from './harness.js'
import { alertFrom, breakRegistry, DEVICES, EXPECTED, metric, reload, writeRegistry, type WorldName } from './registry-world.js'

const MESSAGES = 400
const CONCURRENCY = 8

describe('registry hot reload (issue #5)', () => {
  let adapter: Recorder
  let world: World
  let gw: Gateway

  beforeAll(async () => {
    adapter = await new Recorder().listen()
    world = makeWorld({ adapterUrl: `${adapter.url}/adapter` })
    writeRegistry(world, 'A')
    gw = await startInProcess(world)
  })
  afterAll(async () => {
    await gw?.close()
    await adapter?.close()
    rmSync(world.dir, { recursive: true, force: true })
  })

  it('reloads under concurrent posts: nothing lost or duplicated, each decision from the old or the new index', async () => {
    let next = 0
    const results: { i: number; status: number; json: any }[] = []
    async function poster(): Promise<void> {
      for (let k = next++; k < MESSAGES; k = next++) {
        const i = k % DEVICES
        const r = await post(`${gw.url}/duis`, alertFrom(i))
        results.push({ i, status: r.status, json: r.json })
      }
    }
    const posting = Promise.all(Array.from({ length: CONCURRENCY }, poster))
    let done = false
    void posting.finally(() => (done = true))
    // flip A <-> B and reload, back to back, until every message is answered (at least 4 times)
    const reloads: WorldName[] = []
    let current: WorldName = 'A'
    while (!done || reloads.length < 4) {
      current = current === 'A' ? 'B' : 'A'
      writeRegistry(world, current)
      const r = await reload(gw.url)
      expect(r.status).toBe(200)
      reloads.push(current)
    }
    await posting

    expect(results).toHaveLength(MESSAGES)
    expect(results.every((r) => r.status === 200)).toBe(true)
    const ids = new Set(results.map((r) => r.json.messageId))
    expect(ids.size).toBe(MESSAGES)
    expect(results.some((r) => r.json.duplicate)).toBe(false)
    const seen = { A: 0, B: 0 }
    for (const r of results) {
      const w = (Object.keys(EXPECTED) as WorldName[]).find((n) => EXPECTED[n].decision === r.json.decision && EXPECTED[n].reason === r.json.reason)
      expect(w, `message ${r.json.messageId}: ${r.json.decision}/${r.json.reason} is neither world's decision`).toBeDefined()
      seen[w!]++
    }
    // both worlds really served traffic while posts were in flight
    expect(seen.A).toBeGreaterThan(0)
    expect(seen.B).toBeGreaterThan(0)

    // accounted for exactly once: each delivery reaches the adapter once, each drop is counted once
    const delivered = results.filter((r) => r.json.decision === 'deliver').map((r) => r.json.messageId)
    await waitFor('deliveries', () => adapter.received.length >= delivered.length, 20_000)
    const keys = adapter.received.map((r) => r.headers['idempotency-key'])
    expect(new Set(keys).size).toBe(keys.length)
    expect([...keys].sort()).toEqual([...delivered].sort())
    expect(await metric(gw.url, 'dccgw_decisions_total{decision="drop",reason="stale-cos-noncritical"}')).toBe(seen.B)
    expect(await metric(gw.url, 'dccgw_registry_reloads_total{outcome="ok"}')).toBe(reloads.length + 1)
  }, 60_000)

  it('a reload with a broken file keeps serving on the old index', async () => {
    writeRegistry(world, 'B')
    expect((await reload(gw.url)).status).toBe(200)
    const before = await post(`${gw.url}/duis`, alertFrom(3))
    expect(before.json).toMatchObject(EXPECTED.B)
    const failed0 = await metric(gw.url, 'dccgw_registry_reloads_total{outcome="failed"}')
    const loaded0 = await metric(gw.url, 'dccgw_registry_loaded_timestamp_seconds')

    breakRegistry(world)
    const r = await reload(gw.url)
    expect(r.status).toBe(409)
    expect(r.json).toMatchObject({ code: 'DCCGW_ERR_CONFLICT' })
    expect(r.json.detail).toMatch(/registrations\.csv: no valid rows/)
    expect(await metric(gw.url, 'dccgw_registry_reloads_total{outcome="failed"}')).toBe(failed0 + 1)
    expect(await metric(gw.url, 'dccgw_registry_loaded_timestamp_seconds')).toBe(loaded0)
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200)
    for (const i of [3, 4, 5]) expect((await post(`${gw.url}/duis`, alertFrom(i))).json).toMatchObject(EXPECTED.B)
  })
})

describe('SIGHUP reload (issue #5)', () => {
  let world: World
  let proc: GatewayProcess

  beforeAll(async () => {
    world = makeWorld()
    writeRegistry(world, 'A')
    proc = await new GatewayProcess(world).start()
  }, 30_000)
  afterAll(async () => {
    await proc?.kill('SIGTERM')
    rmSync(world.dir, { recursive: true, force: true })
  })

  it('reloads the registry on SIGHUP, and keeps the old index when the new files are broken', async () => {
    expect((await post(`${proc.url}/duis`, alertFrom(1))).json).toMatchObject(EXPECTED.A)
    writeRegistry(world, 'B')
    proc.child!.kill('SIGHUP')
    await waitFor('registry reloaded', () => /registry reloaded/.test(proc.output), 20_000)
    expect((await post(`${proc.url}/duis`, alertFrom(1))).json).toMatchObject(EXPECTED.B)

    breakRegistry(world)
    proc.child!.kill('SIGHUP')
    await waitFor('reload failure', () => /registry reload failed, still serving the previous index/.test(proc.output), 20_000)
    expect(proc.output).toMatch(/no valid rows/)
    expect((await post(`${proc.url}/duis`, alertFrom(2))).json).toMatchObject(EXPECTED.B)
    expect(proc.child!.exitCode).toBeNull()
  }, 40_000)
})
