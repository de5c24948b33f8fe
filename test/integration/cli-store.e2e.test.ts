// The CLI's store commands (docs/operations.md, "Command line": quarantine list|show|delete|purge, obligations list,
// report stale-cos) run as the operator runs them, `dcc-alert-gateway ... --config FILE`, beside
// a running gateway, with each store kind: they read and act through the store port (docs/journal.md),
// so with store.kind nats they see the cluster's quarantine and obligations instead of an empty
// SQLite file, and what that store cannot answer (the stale-CoS report) fails with its code.
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, startGateway, type Gateway } from '../../dist/index.js'
import { buildDuisDocument } from '../support/duis-builder.js'
import { NatsCluster } from '../cluster-harness.js'
import { ACME_USER, makeWorld, post, type World } from './harness.js'

const ROOT = resolve(import.meta.dirname, '../..')
const STALE_DEVICE = '00-12-34-56-78-AB-CD-F0' // MPAN 1412345678901: ACME until 2025-03-01, then BRIT(E)
const UNKNOWN_DEVICE = '00-12-34-56-78-AB-CD-99'

function cli(world: World, ...args: string[]): { status: number | null; stdout: string; stderr: string; bytes: Buffer } {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), ...args, '--config', world.configFile], { timeout: 30_000 })
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString(), bytes: r.stdout }
}

let cluster: NatsCluster | undefined

afterAll(async () => {
  await cluster?.stop()
})

describe.each([
  { kind: 'sqlite', reports: true },
  { kind: 'nats', reports: false },
])('CLI store commands, store.kind $kind', ({ kind, reports }) => {
  let world: World
  let gw: Gateway
  const doc = (device: string, counter: number, critical = true) => buildDuisDocument({
    kind: 'device_alert', alertCode: critical ? '8F3D' : '8F66', gbcsCritical: critical, device, counter,
    responseId: `${device}:${ACME_USER}:${counter}`, responseDateTime: '2025-03-14T08:15:30Z',
  })
  const held = doc(UNKNOWN_DEVICE, 7001)
  let quarantineId: string
  let obligationId: string
  /** what the running gateway's admin API says (the CLI is a second process on the same store) */
  const admin = async (path: string) => (await fetch(`${gw.url}${path}`, { headers: { authorization: 'Bearer test-token' } })).json() as Promise<any>

  beforeAll(async () => {
    const store = kind === 'nats'
      ? { kind, path: './data', nats: { servers: (cluster ??= await NatsCluster.start(1)).urls, replicas: 1 } }
      : { kind }
    world = makeWorld({ noticeUrl: 'http://127.0.0.1:9/unreachable', extra: { store, obligations: { checkIntervalMs: 3_600_000 } } })
    gw = await startGateway(loadConfig({ file: world.configFile, env: {} }), { log: pino({ level: 'silent' }) })
    const q = await post(`${gw.url}/duis`, held)
    expect(q.json).toMatchObject({ decision: 'quarantine', reason: 'unknown-device' })
    const f = await post(`${gw.url}/duis`, doc(STALE_DEVICE, 7002))
    expect(f.json).toMatchObject({ decision: 'forward', reason: 'stale-cos-critical' })
    const page = (await admin('/admin/quarantine')).items as { id: string; messageId: string }[]
    quarantineId = page.find((x) => x.messageId === q.json.messageId)!.id
    obligationId = ((await admin('/admin/obligations')).items as { id: string; mpxn: string }[]).find((o) => o.mpxn === '1412345678901')!.id
  }, 60_000)

  afterAll(async () => {
    await gw?.close(2000)
  })

  it('quarantine list and show (JSON and raw bytes)', () => {
    const list = cli(world, 'quarantine', 'list', '--json')
    expect(list.status, list.stderr).toBe(0)
    expect((JSON.parse(list.stdout) as { items: { id: string }[] }).items.map((x) => x.id)).toContain(quarantineId)
    const table = cli(world, 'quarantine', 'list', '--reason', 'unknown-device')
    expect(table.stdout).toContain(quarantineId)
    const show = cli(world, 'quarantine', 'show', quarantineId)
    expect(JSON.parse(show.stdout)).toMatchObject({ id: quarantineId, reason: 'unknown-device', critical: true, alertCode: '8F3D' })
    expect(cli(world, 'quarantine', 'show', quarantineId, '--raw').bytes.toString()).toBe(held)
  })

  it('obligations list', () => {
    const r = cli(world, 'obligations', 'list', '--json')
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toContainEqual(expect.objectContaining({ id: obligationId, type: 'critical-forward', toParty: 'BRITE' }))
    expect(cli(world, 'obligations', 'list').stdout).toContain(obligationId)
  })

  it(`report stale-cos ${reports ? 'lists the MPxN' : 'fails with DCCGW_ERR_NOT_AVAILABLE'}`, () => {
    const r = cli(world, 'report', 'stale-cos', '--format', 'csv')
    if (reports) {
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/^ACME,1412345678901,2025-03-01,BRITE,open,,1,/m)
    } else {
      expect(r.status).toBe(1)
      expect(r.stderr).toContain('DCCGW_ERR_NOT_AVAILABLE')
      expect(r.stderr).toContain('store.kind nats')
    }
  })

  it('quarantine delete, then purge; the gateway sees both', async () => {
    // a critical alert with an open critical-quarantined obligation is deleted only with a reason
    const bare = cli(world, 'quarantine', 'delete', quarantineId)
    expect(bare.status).toBe(2)
    expect(bare.stderr).toContain('--reason')
    const del = cli(world, 'quarantine', 'delete', quarantineId, '--reason', 'duplicate of a released copy')
    expect([del.status, del.stdout]).toEqual([0, `deleted ${quarantineId}\n`])
    expect((await admin(`/admin/quarantine/${quarantineId}`)).status).toBe(404)
    const again = cli(world, 'quarantine', 'show', quarantineId)
    expect([again.status, again.stderr]).toEqual([1, `no quarantined message ${quarantineId}\n`])
    // a non-critical one: retention never purges a critical alert whose obligation is open
    await post(`${gw.url}/duis`, doc(UNKNOWN_DEVICE, 7003, false))
    expect((await admin('/admin/quarantine')).items).toHaveLength(1)
    // --older-than-days 0: everything received before now
    const purge = cli(world, 'quarantine', 'purge', '--older-than-days', '0')
    expect([purge.status, purge.stdout]).toEqual([0, 'purged 1 quarantined message(s) older than 0 day(s)\n'])
    expect((await admin('/admin/quarantine')).items).toEqual([])
    const audit = (await admin('/admin/audit')).items as { action: string; actor: string }[]
    expect(audit.filter((a) => a.action.startsWith('quarantine.')).map((a) => [a.action, a.actor])).toEqual([['quarantine.purge', 'cli'], ['quarantine.delete', 'cli']])
  })
})
