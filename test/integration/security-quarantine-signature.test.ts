// The quarantine lifecycle (retention by size, purge, release after a registry
// fix re-evaluates against the current index, every admin action audited with who/when/what) and
// the optional enveloped-signature check (security.verifySignatures, ECDSA-SHA256, exclusive c14n)
// with a P-256 key generated here.
import { generateKeyPairSync } from 'node:crypto'
import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { signEnvelopedDuis } from '../support/sign-duis.js'
import { TestClock } from '../support/clock.js'
import { cleanupAfter, makeWorld, Recorder, startInProcess, waitFor } from './harness.js'
import { adminJson, alert, DEVICES, postRaw } from './reliability-support.js'

const cleanup = cleanupAfter({ ignoreErrors: true })

describe('quarantine lifecycle', () => {
  it('unknown-device -> fix devices.csv -> reload -> release -> delivered; every admin action audited', async () => {
    const adapter = await new Recorder().listen()
    const world = makeWorld({ adapterUrl: adapter.url })
    const gw = await startInProcess(world)
    cleanup.push(() => adapter.close(), () => gw.close())
    const a = await postRaw(`${gw.url}/duis`, alert(DEVICES.unknown, 1))
    expect(a.json).toMatchObject({ decision: 'quarantine', reason: 'unknown-device' })
    const [q] = (await adminJson(gw.url, '/admin/quarantine?reason=unknown-device')).items
    expect(q.messageId).toBe(a.json.messageId)

    // Released before the fix: re-evaluated, still unknown, so the operator's release delivers as is.
    // Here the registry is fixed first, so the release gets a real decision.
    appendFileSync(join(world.dir, 'devices.csv'), `${DEVICES.unknown},ESME,1200012345679\n`)
    await adminJson(gw.url, '/admin/registry/reload', 'POST')
    const released = await adminJson(gw.url, `/admin/quarantine/${q.id}/release`, 'POST')
    expect(released).toMatchObject({ messageId: a.json.messageId, decision: 'deliver', reason: 'responsible' })
    await waitFor('the delivery', () => adapter.received.length > 0)
    expect(adapter.received.map((r) => r.headers['idempotency-key'])).toEqual([a.json.messageId])
    expect((await adminJson(gw.url, '/admin/quarantine')).items).toHaveLength(0)

    // A second quarantined message, deleted.
    const b = await postRaw(`${gw.url}/duis`, alert('00-12-34-56-78-AB-CD-98', 2))
    const [q2] = (await adminJson(gw.url, '/admin/quarantine')).items
    expect(q2.messageId).toBe(b.json.messageId)
    // a critical alert with an open critical-quarantined obligation: deleting it needs a reason (docs/obligations.md)
    await adminJson(gw.url, `/admin/quarantine/${q2.id}?reason=${encodeURIComponent('test device, no customer')}`, 'DELETE')

    const audit = (await adminJson(gw.url, '/admin/audit')).items as { actor: string; action: string; target: string | null; at: number; atIso: string }[]
    expect(audit.map((r) => [r.action, r.target])).toEqual([
      ['quarantine.delete', q2.id],
      ['quarantine.release', q.id],
      ['registry.reload', null],
    ])
    for (const r of audit) {
      expect(r.actor).toMatch(/^admin-api:(::ffff:)?127\.0\.0\.1$/)
      expect(Math.abs(r.at - Date.now())).toBeLessThan(60_000)
      expect(r.atIso).toBe(new Date(r.at).toISOString())
    }
    expect((await adminJson(gw.url, '/admin/audit?action=quarantine.release')).items).toHaveLength(1)
    expect((await fetch(`${gw.url}/admin/audit`)).status).toBe(401)
  }, 30_000)

  it('the quarantine list puts critical alerts first and filters by critical and alertCode', async () => {
    const world = makeWorld({})
    const gw = await startInProcess(world)
    cleanup.push(() => gw.close())
    const routine = await postRaw(`${gw.url}/duis`, alert(DEVICES.unknown, 11, { alertCode: '8F66', gbcsCritical: false }))
    const critical = await postRaw(`${gw.url}/duis`, alert(DEVICES.unknown, 12, { alertCode: '8F35', gbcsCritical: true }))
    const later = await postRaw(`${gw.url}/duis`, alert(DEVICES.unknown, 13, { alertCode: '8F66', gbcsCritical: false }))
    for (const a of [routine, critical, later]) expect(a.json).toMatchObject({ decision: 'quarantine', reason: 'unknown-device' })

    const all = (await adminJson(gw.url, '/admin/quarantine')).items as { messageId: string; critical: boolean; alertCode: string }[]
    expect(all.map((r) => [r.messageId, r.critical, r.alertCode])).toEqual([
      [critical.json.messageId, true, '8F35'],
      [later.json.messageId, false, '8F66'],
      [routine.json.messageId, false, '8F66'],
    ])
    // Keyset pages follow the same order across the critical/non-critical boundary.
    const p1 = await adminJson(gw.url, '/admin/quarantine?limit=1')
    const p2 = await adminJson(gw.url, `/admin/quarantine?limit=1&cursor=${p1.nextCursor}`)
    const p3 = await adminJson(gw.url, `/admin/quarantine?limit=1&cursor=${p2.nextCursor}`)
    expect([...p1.items, ...p2.items, ...p3.items].map((r: { messageId: string }) => r.messageId)).toEqual(all.map((r) => r.messageId))
    expect(p3.nextCursor).toBeNull()

    expect((await adminJson(gw.url, '/admin/quarantine?critical=true')).items.map((r: { messageId: string }) => r.messageId)).toEqual([critical.json.messageId])
    expect((await adminJson(gw.url, '/admin/quarantine?critical=false')).items).toHaveLength(2)
    expect((await adminJson(gw.url, '/admin/quarantine?alertCode=8f35')).items).toHaveLength(1)
    const bad = await fetch(`${gw.url}/admin/quarantine?critical=yes`, { headers: { authorization: 'Bearer test-token' } })
    expect(bad.status).toBe(400)
  }, 30_000)

  it('store.quarantineMaxBytes: a purge removes the oldest first until the rest fits, and is audited', async () => {
    const world = makeWorld({ extra: { store: { path: './data', synchronous: 'NORMAL', quarantineMaxBytes: 1200 } } })
    const clock = new TestClock(Date.now(), { running: true })
    const gw = await startInProcess(world, { clock })
    cleanup.push(() => gw.close())
    const ids: string[] = []
    for (let n = 1; n <= 6; n++) {
      // non-critical: a critical one is held while its obligation is open (docs/obligations.md; test/integration/obligations-duties15.e2e.test.ts)
      ids.push((await postRaw(`${gw.url}/duis`, alert(DEVICES.unknown, n, { alertCode: '8F66', gbcsCritical: false }))).json.messageId)
      await clock.advance(1000) // distinct received_at, so "oldest" is well defined
    }
    const before = (await adminJson(gw.url, '/admin/quarantine')).items as { messageId: string; size: number }[]
    expect(before).toHaveLength(6)
    const size = before[0]!.size
    const keep = Math.floor(1200 / size)
    expect(keep).toBeGreaterThan(0)
    expect(keep).toBeLessThan(6)
    const purged = await adminJson(gw.url, '/admin/quarantine/purge', 'POST')
    expect(purged).toEqual({ byAge: 0, bySize: 6 - keep })
    const after = ((await adminJson(gw.url, '/admin/quarantine')).items as { messageId: string }[]).map((x) => x.messageId)
    expect(new Set(after)).toEqual(new Set(ids.slice(6 - keep))) // the newest stay
    const [row] = (await adminJson(gw.url, '/admin/audit?action=quarantine.purge')).items
    expect(row.detail).toBe(`${6 - keep} oldest over 1200 bytes`)
    expect(row.actor).toMatch(/^admin-api:/)
  }, 30_000)
})

describe('security.verifySignatures', () => {
  it('delivers correctly signed documents byte for byte and quarantines missing, tampered or foreign signatures as bad-signature', async () => {
    const dcc = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const pem = (k: { export(o: object): string | Buffer }, type: string) => String(k.export({ type, format: 'pem' }))
    const adapter = await new Recorder().listen()
    const probe = makeWorld()
    const certFile = join(probe.dir, 'dcc-signer.pem')
    writeFileSync(certFile, pem(dcc.publicKey, 'spki'))
    const gw = await startInProcess(makeWorld({ adapterUrl: adapter.url, extra: { security: { verifySignatures: true, dccCertificates: [certFile] } } }))
    cleanup.push(() => adapter.close(), () => gw.close())
    const dccKey = pem(dcc.privateKey, 'pkcs8')

    const good = await signEnvelopedDuis(alert(DEVICES.acme, 1), dccKey)
    expect(good).toMatch(/<ds:Signature[\s\S]*ecdsa-sha256[\s\S]*<\/ds:Signature><\/sr:Response>$/)
    const ok = await postRaw(`${gw.url}/duis`, good)
    expect(ok.json).toMatchObject({ decision: 'deliver', reason: 'responsible' })

    const cases = {
      unsigned: alert(DEVICES.acme, 2),
      tampered: (await signEnvelopedDuis(alert(DEVICES.acme, 3), dccKey)).replace('8F0F', '8F33'),
      foreignKey: await signEnvelopedDuis(alert(DEVICES.acme, 4), pem(other.privateKey, 'pkcs8')),
      wrongAlgorithm: (await signEnvelopedDuis(alert(DEVICES.acme, 5), dccKey)).replace('xmldsig-more#ecdsa-sha256', 'xmldsig-more#rsa-sha256'),
      stubFromFixture: alert(DEVICES.acme, 6).replace('</sr:Response>', '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature></sr:Response>'),
    }
    for (const [name, body] of Object.entries(cases)) {
      const a = await postRaw(`${gw.url}/duis`, body)
      expect([name, a.status, a.json?.decision, a.json?.reason]).toEqual([name, 200, 'quarantine', 'bad-signature'])
    }
    const q = (await adminJson(gw.url, '/admin/quarantine?reason=bad-signature')).items as { detail: string }[]
    expect(q).toHaveLength(5)
    expect(q.map((x) => x.detail).join('\n')).toMatch(/no enveloped ds:Signature/)

    // The adapter got the signed original, byte for byte, and it still verifies there.
    await waitFor('the delivery', () => adapter.received.length > 0)
    expect(adapter.received).toHaveLength(1)
    expect(adapter.received[0]!.body.equals(Buffer.from(good))).toBe(true)
    const m = await (await fetch(`${gw.url}/metrics`)).text()
    expect(m).toContain('dccgw_decisions_total{decision="quarantine",reason="bad-signature"} 5')
  }, 30_000)
})
