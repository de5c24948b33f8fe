// Issue 3 acceptance: each decision and reason through the real gateway and a real adapter.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildDuisDocument, buildGbcsStub, type Gateway } from '../../dist/index.js'
import { ACME_USER, makeWorld, post, Recorder, startInProcess, waitFor, type World } from './harness.js'

const STALE_ELEC_DEVICE = '00-12-34-56-78-AB-CD-F0' // MPAN 1412345678901: ACME until 2025-03-01, then BRIT
const STALE_GAS_DEVICE = '00-12-34-56-78-AB-CD-F1' // MPRN 7452731806: ACMG until 2025-02-03, then HOMG
const OWN_DEVICE = '00-12-34-56-78-AB-CD-EF' // MPAN 1200012345679: ACME
const SOLAR_DEVICE = '00-12-34-56-78-AB-CD-F4' // MPAN 1312345678907: SOLR, delegated to ACME
let counter = 1000n
const at = '2025-03-14T08:15:30.120Z'

function alert(device: string, code: string, critical: boolean, recipient = ACME_USER): string {
  counter++
  return buildDuisDocument({
    kind: 'device_alert', alertCode: code, device, recipient, counter, responseDateTime: at, gbcsCritical: critical,
    responseId: `${device}:${recipient}:${counter}`,
  })
}

describe('decisions end to end (contract §3)', () => {
  let adapter: Recorder
  let webhook: Recorder
  let world: World
  let gw: Gateway
  let ingress: string

  beforeAll(async () => {
    adapter = await new Recorder().listen()
    webhook = await new Recorder().listen()
    world = makeWorld({ adapterUrl: `${adapter.url}/adapter`, noticeUrl: `${webhook.url}/notices` })
    gw = await startInProcess(world)
    ingress = `${gw.url}/duis`
  })
  afterAll(async () => {
    await gw.close()
    await adapter.close()
    await webhook.close()
  })

  it('delivers an alert for an MPxN the tenant supplies: responsible', async () => {
    const r = await post(ingress, alert(OWN_DEVICE, '8F0F', true))
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ decision: 'deliver', reason: 'responsible' })
    const got = await waitFor('adapter delivery', () => adapter.received.find((x) => x.headers['idempotency-key'] === r.json.messageId))
    expect(got.headers['x-dcc-gateway-decision']).toBe('deliver')
    expect(got.headers['x-dcc-gateway-reason']).toBe('responsible')
    expect(got.headers['x-dcc-gateway-mpxn']).toBe('1200012345679')
    expect(got.headers['content-type']).toBe('application/xml')
  })

  it('forwards a critical alert for a stale MPxN: notice JSON + text to the acquiring supplier, obligation open', async () => {
    const r = await post(ingress, alert(STALE_ELEC_DEVICE, '8F3D', true))
    expect(r.json).toMatchObject({ decision: 'forward', reason: 'stale-cos-critical' })
    const n = await waitFor('notice', () => webhook.received.find((x) => x.headers['idempotency-key'] === r.json.messageId))
    const notice = JSON.parse(n.body.toString())
    expect(notice).toMatchObject({ mpxn: '1412345678901', alertCode: '8F3D', alertTime: at, deviceId: STALE_ELEC_DEVICE, fromParty: 'ACME', toParty: 'BRITE' })
    expect(notice.obligationId).toMatch(/^[0-9a-f-]{36}$/)
    // issue 15: due from the alert time (Friday 14 March 2025) -> the end of Monday 17 March, long past: late
    expect(notice.acknowledgeBy).toBe('2025-03-18T00:00:00.000Z')
    expect(notice.late.byMs).toBeGreaterThan(0)
    expect(notice.text).toContain('MPxN:          1412345678901')
    expect(n.body.toString()).not.toContain('GBCSPayload')
    const obligations = await fetch(`${gw.url}/admin/obligations?status=open`, { headers: { authorization: 'Bearer test-token' } }).then((x) => x.json() as Promise<any>)
    expect(obligations.items.map((o: { id: string }) => o.id)).toContain(notice.obligationId)
    expect(adapter.received.some((x) => x.headers['idempotency-key'] === r.json.messageId)).toBe(false)
  })

  it('forwards a safety-listed non-critical (0xDD) alert: safety-listed', async () => {
    const r = await post(ingress, alert(STALE_ELEC_DEVICE, '81BF', false))
    expect(r.json).toMatchObject({ decision: 'forward', reason: 'safety-listed' })
  })

  it('drops non-critical traffic and consumption data for a stale MPxN', async () => {
    expect((await post(ingress, alert(STALE_ELEC_DEVICE, '8F12', false))).json).toMatchObject({ decision: 'drop', reason: 'stale-cos-noncritical' })
    expect((await post(ingress, alert(STALE_GAS_DEVICE, '8F0A', true))).json).toMatchObject({ decision: 'drop', reason: 'stale-cos-consumption' })
    counter++
    const read = buildDuisDocument({ kind: 'scheduled_read', device: STALE_ELEC_DEVICE, counter, responseDateTime: at, responseId: `${STALE_ELEC_DEVICE}:${ACME_USER}:${counter}` })
    expect((await post(ingress, read)).json).toMatchObject({ decision: 'drop', reason: 'stale-cos-consumption' })
  })

  it('quarantines unknown device, unknown recipient and unknown MPxN', async () => {
    expect((await post(ingress, alert('00-12-34-56-78-AB-CD-99', '8F0F', true))).json).toMatchObject({ decision: 'quarantine', reason: 'unknown-device' })
    expect((await post(ingress, alert(OWN_DEVICE, '8F0F', true, '90-B3-D5-1F-30-09-09-09'))).json).toMatchObject({ decision: 'quarantine', reason: 'unknown-recipient' })
    counter++
    const outage = buildDuisDocument({
      kind: 'response', serviceReference: '8.2', serviceReferenceVariant: '8.2', responseDateTime: at, requestId: `${ACME_USER}:${OWN_DEVICE}:${counter}`,
      inventory: [{ deviceId: OWN_DEVICE, deviceType: 'ESME', importMPxN: '1999999999999' }],
    })
    const r = await post(ingress, outage)
    expect(r.json).toMatchObject({ decision: 'quarantine', reason: 'unknown-mpxn' })
    const q = await fetch(`${gw.url}/admin/quarantine?reason=unknown-mpxn`, { headers: { authorization: 'Bearer test-token' } }).then((x) => x.json() as Promise<any>)
    expect(q.items.length).toBeGreaterThan(0)
  })

  it('always delivers DCC Alerts: dcc-alert', async () => {
    counter++
    const doc = buildDuisDocument({
      kind: 'dcc_alert', dccAlertCode: 'N16', device: STALE_ELEC_DEVICE, mpxns: ['1412345678901'], responseDateTime: at,
      responseId: `90-B3-D5-1F-30-00-00-02:${ACME_USER}:${counter}`,
    })
    expect((await post(ingress, doc)).json).toMatchObject({ decision: 'deliver', reason: 'dcc-alert' })
  })

  it("routes a failed supplier's traffic to the SRP during its delegation: solr-delegated", async () => {
    const r = await post(ingress, alert(SOLAR_DEVICE, '8F0F', true, '90-B3-D5-1F-30-05-00-00'))
    expect(r.json).toMatchObject({ decision: 'deliver', reason: 'solr-delegated' })
    await waitFor('delegated delivery to ACME adapter', () => adapter.received.find((x) => x.headers['idempotency-key'] === r.json.messageId))
  })

  it('passes an E4 response with no payload through: passthrough', async () => {
    counter++
    const e4 = buildDuisDocument({ kind: 'response', responseCode: 'E4', serviceReference: '4.1', serviceReferenceVariant: '4.1.1',
      responseDateTime: at, requestId: `${ACME_USER}:${STALE_ELEC_DEVICE}:${counter}` })
    expect((await post(ingress, e4)).json).toMatchObject({ decision: 'deliver', reason: 'passthrough' })
  })

  it('keeps no payload bytes of a dropped message anywhere in the data folder', async () => {
    const payload = buildGbcsStub({ critical: false, originator: STALE_ELEC_DEVICE, recipient: ACME_USER, counter: 987654321 })
    counter++
    const doc = buildDuisDocument({ kind: 'scheduled_read', device: STALE_ELEC_DEVICE, gbcs: payload, responseDateTime: at, responseId: `${STALE_ELEC_DEVICE}:${ACME_USER}:${counter}` })
    expect((await post(ingress, doc)).json).toMatchObject({ decision: 'drop' })
    gw.store.queue.flush()
    gw.store.db.pragma('wal_checkpoint(TRUNCATE)')
    const needles = [payload, Buffer.from(payload, 'base64').toString('latin1')]
    for (const file of walk(join(world.dir, 'data'))) {
      const bytes = readFileSync(file).toString('latin1')
      for (const n of needles) expect(bytes.includes(n), `${file} contains the dropped payload`).toBe(false)
    }
  })

  it('exports the contract metrics and they move', async () => {
    const text = await fetch(`${gw.url}/metrics`).then((r) => r.text())
    for (const name of ['dccgw_messages_received_total{kind="device_alert"}', 'dccgw_decisions_total{decision="drop",reason="stale-cos-noncritical"}',
      'dccgw_delivery_attempts_total{target="adapter",outcome="ok"}', 'dccgw_spool_depth', 'dccgw_quarantine_messages', 'dccgw_processing_seconds_bucket',
      'dccgw_delivery_seconds_bucket', 'dccgw_registry_entries{kind="mpxns"}', 'dccgw_registry_loaded_timestamp_seconds', 'dccgw_obligations{type="critical-forward"']) {
      expect(text, name).toContain(name)
    }
    expect(text).not.toMatch(/="(\d{6,13}|[0-9A-F]{2}(-[0-9A-F]{2}){7})"/i)
  })
})

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) yield* walk(p)
    else yield p
  }
}
