// Registry deltas (docs/registry.md) through the real gateway: deltas by POST /admin/registry/apply-delta and by the watched
// folder, under concurrent posts (every decision is the old or the new world's, never a mix);
// compaction writes a snapshot that the next start reads, with the deltas folded in; a refused
// delta changes nothing.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../../dist/index.js'
import { TestClock } from '../support/clock.js'
import { makeWorld, post, startInProcess, waitFor, type World } from './harness.js'
import { alertFrom, deviceId, DEVICES, EXPECTED, metric, writeRegistry, type WorldName } from './registry-world.js'

const mpanX = (i: number) => `19${String(i).padStart(11, '0')}`
const mpanY = (i: number) => `21${String(i).padStart(11, '0')}`
const REG = 'op,mpxn,supplier_mpid,effective_from'
const DEV = 'op,device_id,device_type,mpxn'

/**
 * World `from` -> `to` as three deltas, each leaving a clean world (registry-world.ts): the new
 * MPxNs' periods, then the devices moved onto them, then the old MPxNs' periods removed.
 */
function deltas(to: WorldName): string[] {
  const rows = (f: (i: number) => string[]) => Array.from({ length: DEVICES }, (_, i) => f(i)).flat()
  const addY = rows((i) => [`add,${mpanY(i)},ACME,2023-06-01`, `add,${mpanY(i)},BRIT,2025-03-01`])
  const rmY = rows((i) => [`remove,${mpanY(i)},ACME,2023-06-01`, `remove,${mpanY(i)},BRIT,2025-03-01`])
  const addX = rows((i) => [`add,${mpanX(i)},ACME,2024-01-01`])
  const rmX = rows((i) => [`remove,${mpanX(i)},ACME,2024-01-01`])
  const move = (a: (i: number) => string, b: (i: number) => string) => rows((i) => [`remove,${deviceId(i)},ESME,${a(i)}`, `add,${deviceId(i)},ESME,${b(i)}`])
  return to === 'B'
    ? [[REG, ...addY], [DEV, ...move(mpanX, mpanY)], [REG, ...rmX]].map((l) => l.join('\n') + '\n')
    : [[REG, ...addX], [DEV, ...move(mpanY, mpanX)], [REG, ...rmY]].map((l) => l.join('\n') + '\n')
}

async function applyDelta(url: string, text: string, name = 'api.csv'): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}/admin/registry/apply-delta?name=${name}`, { method: 'POST', body: text, headers: { authorization: 'Bearer test-token', 'content-type': 'text/csv' } })
  return { status: res.status, json: await res.json() }
}

describe('registry deltas through the gateway (issue #17)', () => {
  let world: World
  let gw: Gateway | undefined
  // running from now; the test moves it a poll interval on instead of waiting for the folder scan
  const clock = new TestClock(Date.now(), { running: true })
  const deltaDir = () => join(world.dir, 'data', 'registry-deltas')
  const snapshots = () => readdirSync(join(world.dir, 'data', 'registry-snapshots')).filter((n) => n.endsWith('.snap'))

  beforeAll(async () => {
    world = makeWorld({ extra: { registry: { registrations: 'registrations.csv', devices: 'devices.csv', parties: 'parties.yaml', deltaPollSeconds: 3600 } } })
    writeRegistry(world, 'A')
    gw = await startInProcess(world, { clock })
  })
  afterAll(async () => {
    await gw?.close()
    rmSync(world.dir, { recursive: true, force: true })
  })

  it('applies deltas under concurrent posts: nothing lost, each decision the old or the new world', async () => {
    const url = gw!.url
    let next = 0
    const results: { status: number; json: any }[] = []
    const poster = async () => {
      for (let k = next++; k < 300; k = next++) results.push(await post(`${url}/duis`, alertFrom(k % DEVICES)))
    }
    const posting = Promise.all(Array.from({ length: 6 }, poster))
    let done = false
    void posting.finally(() => (done = true))
    let current: WorldName = 'A'
    let flips = 0
    while (!done || flips < 4) {
      current = current === 'A' ? 'B' : 'A'
      for (const d of deltas(current)) {
        const r = await applyDelta(url, d)
        expect(r.status, JSON.stringify(r.json)).toBe(200)
      }
      flips++
    }
    await posting
    expect(results.every((r) => r.status === 200)).toBe(true)
    expect(new Set(results.map((r) => r.json.messageId)).size).toBe(300)
    const seen = { A: 0, B: 0 }
    for (const r of results) {
      const w = (Object.keys(EXPECTED) as WorldName[]).find((n) => EXPECTED[n].decision === r.json.decision && EXPECTED[n].reason === r.json.reason)
      expect(w, `${r.json.decision}/${r.json.reason} is neither world's decision`).toBeDefined()
      seen[w!]++
    }
    expect(seen.A).toBeGreaterThan(0)
    expect(seen.B).toBeGreaterThan(0)
    expect((await post(`${url}/duis`, alertFrom(1))).json).toMatchObject(EXPECTED[current])
    expect(readdirSync(join(deltaDir(), 'applied')).filter((n) => n.endsWith('.csv'))).toHaveLength(3 * flips)
    // make it B for what follows
    if (current === 'A') for (const d of deltas('B')) expect((await applyDelta(url, d)).status).toBe(200)
    expect((await post(`${url}/duis`, alertFrom(2))).json).toMatchObject(EXPECTED.B)
  }, 90_000)

  it('refuses a bad delta whole (400 with file:line reasons) and keeps serving the same answers', async () => {
    const bad = `${REG}\nadd,${mpanX(1)},ACME,2024-01-01\nremove,${mpanX(2)},ACME,1999-01-01\n`
    const r = await applyDelta(gw!.url, bad, 'bad.csv')
    expect(r.status).toBe(400)
    expect(r.json.reasons).toEqual([{ file: expect.stringMatching(/bad\.csv$/), line: 3, reason: expect.stringMatching(/no registration of ACME/) }])
    expect((await post(`${gw!.url}/duis`, alertFrom(1))).json).toMatchObject(EXPECTED.B)
  })

  it('compacts in the background into a snapshot that the next start reads, deltas folded in', async () => {
    await waitFor('compacted', () => !(gw!.registry() as unknown as { hasOverlay: boolean }).hasOverlay, 30_000)
    await waitFor('snapshot with the deltas', () => snapshots().length > 0 && snapshots().some((n) => {
      const text = readFileSync(join(world.dir, 'data', 'registry-snapshots', n)).subarray(24, 200_000).toString('latin1')
      return /"deltas":\[\{"name"/.test(text)
    }), 30_000)
    expect((await post(`${gw!.url}/duis`, alertFrom(3))).json).toMatchObject(EXPECTED.B)
    await gw!.close()
    gw = await startInProcess(world, { clock })
    expect(await metric(gw.url, 'dccgw_registry_reloads_total{outcome="ok"}')).toBe(1)
    expect((gw.registry() as unknown as { hasOverlay: boolean }).hasOverlay).toBe(false) // nothing left to re-apply
    for (const i of [4, 5]) expect((await post(`${gw.url}/duis`, alertFrom(i))).json).toMatchObject(EXPECTED.B)
  }, 90_000)

  it('applies a delta file dropped into the watched folder, and moves a refused one to rejected/', async () => {
    const [first, second, third] = deltas('A')
    writeFileSync(join(deltaDir(), 'a1.csv'), first!)
    writeFileSync(join(deltaDir(), 'a2.csv'), second!)
    writeFileSync(join(deltaDir(), 'a3.csv'), third!)
    writeFileSync(join(deltaDir(), 'z-bad.csv'), `${DEV}\nadd,not-a-device,ESME,${mpanX(1)}\n`)
    await clock.advance(3_600_000) // registry.deltaPollSeconds: the folder scan runs, and this settles when it has
    expect(existsSync(join(deltaDir(), 'a3.csv')) || existsSync(join(deltaDir(), 'z-bad.csv'))).toBe(false)
    expect((await post(`${gw!.url}/duis`, alertFrom(6))).json).toMatchObject(EXPECTED.A)
    const rejected = readdirSync(join(deltaDir(), 'rejected'))
    expect(rejected.some((n) => n.endsWith('z-bad.csv.reason.txt'))).toBe(true)
    const why = readFileSync(join(deltaDir(), 'rejected', rejected.find((n) => n.endsWith('.reason.txt'))!), 'utf8')
    expect(why).toMatch(/z-bad\.csv:2: device_id "not-a-device" is not an EUI-64/)
  }, 40_000)

  it('a full reload from new files supersedes the kept deltas', async () => {
    writeRegistry(world, 'B') // newer than every kept delta
    const r = await fetch(`${gw!.url}/admin/registry/reload`, { method: 'POST', headers: { authorization: 'Bearer test-token' } })
    expect(r.status).toBe(200)
    expect((gw!.registry() as unknown as { hasOverlay: boolean }).hasOverlay).toBe(false)
    expect((await post(`${gw!.url}/duis`, alertFrom(7))).json).toMatchObject(EXPECTED.B)
  })
})
