// Each decision and reason through the real gateway and a real adapter.
import { spawnSync } from 'node:child_process'
import { appendFileSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../../dist/index.js'
import { buildDuisDocument } from '../support/duis-builder.js'
import { buildGbcsStub } from '../support/gbcs-stub.js'
import { ACME_USER, makeWorld, post, Recorder, ROOT, sqliteOf, startInProcess, waitFor, type World } from './harness.js'

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

/** The gateway first, then the servers it delivers to. */
async function closeAll(...parts: { close(): Promise<unknown> }[]): Promise<void> {
  for (const p of parts) await p.close()
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
  afterAll(() => closeAll(gw, adapter, webhook))

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
    // Due from the alert time (Friday 14 March 2025) -> the end of Monday 17 March, long past: late
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
    sqliteOf(gw).queue.flush()
    sqliteOf(gw).db.pragma('wal_checkpoint(TRUNCATE)')
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

// Decision rules that hold on real registry data. Each case here failed on the main
// branch before the fix (the comment on each says how). Real HTTP, real registry files: the demo
// world plus the rows below.
describe('issue #14 rules end to end (real registry files)', () => {
  const ACME_ES_USER = '90-B3-D5-1F-30-01-00-02'
  const SOLAR_USER = '90-B3-D5-1F-30-05-00-00'
  const OTHER_DCC = '90-B3-D5-1F-30-00-00-0A'
  const DCC = '90-B3-D5-1F-30-00-00-02'
  const INCLUSIVE_DEVICE = '00-12-34-56-78-AB-CD-E1' // 1400000000172: ACME to 03-14 (incl.), BRIT 03-15..03-30, ACME from 03-31
  const BRIT_ONLY_DEVICE = '00-12-34-56-78-AB-CD-E2' // 1800021679848: BRIT since 2020, never ACME
  const IMPORT_EXPORT_DEVICE = '00-12-34-56-78-AB-CD-E3' // import 1412345678901 (BRIT from 03-01), export 1500000000238 (ACME)
  const SOLAR_LOST_DEVICE = '00-12-34-56-78-AB-CD-E4' // 1600000000358: SOLR to 03-09, BRIT from 03-10
  let adapter: Recorder
  let webhook: Recorder
  let gw: Gateway
  let ingress: string
  let n = 5000n
  const auth = { headers: { authorization: 'Bearer test-token' } }

  beforeAll(async () => {
    adapter = await new Recorder().listen()
    webhook = await new Recorder().listen()
    const world = makeWorld({ adapterUrl: `${adapter.url}/adapter`, noticeUrl: `${webhook.url}/notices`, extra: { dcc: { userIds: [DCC, OTHER_DCC] } } })
    appendFileSync(join(world.dir, 'registrations.csv'), [
      '1400000000172,ACME,2025-01-06,2025-03-14', '1400000000172,BRIT,2025-03-15,2025-03-30', '1400000000172,ACME,2025-03-31',
      '1500000000238,ACME,2024-01-01', '1600000000358,SOLR,2021-05-01,2025-03-09', '1600000000358,BRIT,2025-03-10', '',
    ].join('\n'))
    writeFileSync(join(world.dir, 'devices.csv'), readFileSync(join(world.dir, 'devices.csv'), 'utf8').replace('device_id,device_type,mpxn\n', 'device_id,device_type,mpxn,device_status,mpxn_role\n') + [
      `${INCLUSIVE_DEVICE},ESME,1400000000172`, `${BRIT_ONLY_DEVICE},ESME,1800021679848`,
      `${IMPORT_EXPORT_DEVICE},ESME,1412345678901,Commissioned,import`, `${IMPORT_EXPORT_DEVICE},ESME,1500000000238,Commissioned,export`,
      `${SOLAR_LOST_DEVICE},ESME,1600000000358`, '',
    ].join('\n'))
    const parties = parse(readFileSync(join(world.dir, 'parties.yaml'), 'utf8')) as { id: string; userIds: unknown[] }[]
    parties.find((p) => p.id === 'ACME')!.userIds.push({ eui64: ACME_ES_USER, role: 'ES' })
    writeFileSync(join(world.dir, 'parties.yaml'), stringify(parties))
    gw = await startInProcess(world)
    ingress = `${gw.url}/duis`
  })
  afterAll(() => closeAll(gw, adapter, webhook))

  const deviceAlert = (device: string, code: string, critical: boolean, time: string, recipient = ACME_USER): string => {
    n++
    return buildDuisDocument({ kind: 'device_alert', alertCode: code, device, recipient, counter: n, responseDateTime: time, gbcsCritical: critical, responseId: `${device}:${recipient}:${n}` })
  }
  const delivered = (id: string) => waitFor(`adapter delivery of ${id}`, () => adapter.received.find((x) => x.headers['idempotency-key'] === id))

  // Rule 1. Before: drop stale-cos-noncritical (and a critical one forwarded to BRITE).
  it('quarantines an MPxN the tenant never supplied: never-supplied, not in the stale-CoS report', async () => {
    const r = await post(ingress, deviceAlert(BRIT_ONLY_DEVICE, '8F12', false, '2025-03-14T09:00:00Z'))
    expect(r.json).toMatchObject({ decision: 'quarantine', reason: 'never-supplied' })
    const c = await post(ingress, deviceAlert(BRIT_ONLY_DEVICE, '8F3D', true, '2025-03-14T09:00:01Z'))
    expect(c.json).toMatchObject({ decision: 'quarantine', reason: 'never-supplied' })
    const q = await fetch(`${gw.url}/admin/quarantine?reason=never-supplied`, auth).then((x) => x.json() as Promise<any>)
    expect(q.items.map((i: { messageId: string }) => i.messageId)).toEqual(expect.arrayContaining([r.json.messageId, c.json.messageId]))
    const csv = await fetch(`${gw.url}/admin/reports/stale-cos?format=csv`, auth).then((x) => x.text())
    expect(csv).not.toContain('1800021679848')
  })

  // Rule 2. Before: 14 March fell in the hole after an exclusive effective_to (unknown-mpxn); the
  // supply start date was ACME's effective_to, not BRIT's effective_from.
  it('effective_to is the last day supplied; judged at the UK local date (BST); supplyStartDate is the acquirer effective_from', async () => {
    const onLastDay = await post(ingress, deviceAlert(INCLUSIVE_DEVICE, '8F0F', true, '2025-03-14T12:00:00Z'))
    expect(onLastDay.json).toMatchObject({ decision: 'deliver', reason: 'responsible' })
    const lost = await post(ingress, deviceAlert(INCLUSIVE_DEVICE, '8F12', false, '2025-03-30T22:59:00Z')) // 23:59 BST on the 30th: BRIT
    expect(lost.json).toMatchObject({ decision: 'drop', reason: 'stale-cos-noncritical' })
    const back = await post(ingress, deviceAlert(INCLUSIVE_DEVICE, '8F12', false, '2025-03-30T23:30:00Z')) // 00:30 BST on the 31st: ACME again
    expect(back.json).toMatchObject({ decision: 'deliver', reason: 'responsible' })
    const csv = await fetch(`${gw.url}/admin/reports/stale-cos?format=csv`, auth).then((x) => x.text())
    const [header, ...lines] = csv.trim().split('\n')
    const cols = header!.split(',')
    const row = lines.find((l) => l.includes('1400000000172'))!.split(',')
    expect(row[cols.indexOf('supplyStartDate')]).toBe('2025-03-15')
  })

  // Rule 3. Before: the export MPAN ACME still supplies made it `responsible`, delivered to ACME.
  it('judges IS traffic on the import MPAN and ES traffic on the export MPAN', async () => {
    const is = await post(ingress, deviceAlert(IMPORT_EXPORT_DEVICE, '8F3D', true, '2025-03-14T10:00:00Z'))
    expect(is.json).toMatchObject({ decision: 'forward', reason: 'stale-cos-critical' })
    const notice = await waitFor('notice to BRITE', () => webhook.received.find((x) => x.headers['idempotency-key'] === is.json.messageId))
    expect(JSON.parse(notice.body.toString())).toMatchObject({ mpxn: '1412345678901', toParty: 'BRITE', fromParty: 'ACME' })
    const es = await post(ingress, deviceAlert(IMPORT_EXPORT_DEVICE, '8F3D', true, '2025-03-14T10:00:01Z', ACME_ES_USER))
    expect(es.json).toMatchObject({ decision: 'deliver', reason: 'responsible' })
    expect((await delivered(es.json.messageId)).headers['x-dcc-gateway-mpxn']).toBe('1500000000238')
  })

  // Rule 4. Before: deliver/passthrough to SOLAR itself (no adapter: its outbox), not to the SRP.
  it("delivers a payload-free E4 for the failed supplier's lost MPxN to the SRP: solr-delegated", async () => {
    n++
    const e4 = buildDuisDocument({ kind: 'response', responseCode: 'E4', serviceReference: '4.1', serviceReferenceVariant: '4.1.1',
      responseDateTime: '2025-03-14T11:00:00Z', requestId: `${SOLAR_USER}:${SOLAR_LOST_DEVICE}:${n}` })
    const r = await post(ingress, e4)
    expect(r.json).toMatchObject({ decision: 'deliver', reason: 'solr-delegated' })
    expect((await delivered(r.json.messageId)).headers['x-dcc-gateway-reason']).toBe('solr-delegated')
  })

  // Rule 5. Before: the first DeviceID (or MPxN) of the inventory was taken as the subject:
  // quarantined unknown-device (a CHF query lists devices without MPxNs) or unknown-mpxn.
  it('delivers an SR 8.2 inventory (RequestID target: the DCC) to the requester whatever devices it lists', async () => {
    const inventory = (devices: { deviceId: string; deviceType: string; importMPxN?: string }[]) => {
      n++
      return buildDuisDocument({ kind: 'response', serviceReference: '8.2', serviceReferenceVariant: '8.2', responseDateTime: '2025-03-14T11:00:01Z',
        requestId: `${ACME_USER}:${DCC}:${n}`, responseId: `${DCC}:${ACME_USER}:${n}`, inventory: devices })
    }
    for (const devices of [
      [{ deviceId: '00-12-34-56-78-AB-CD-99', deviceType: 'CHF' }, { deviceId: '00-12-34-56-78-AB-CD-98', deviceType: 'GPF' }],
      [{ deviceId: '00-12-34-56-78-AB-CD-99', deviceType: 'ESME', importMPxN: '1999999999999' }],
    ]) {
      const r = await post(ingress, inventory(devices))
      expect(r.json).toMatchObject({ decision: 'deliver', reason: 'passthrough' })
      await delivered(r.json.messageId)
    }
  })

  // Rule 6. Before: an acknowledgement from a DCC ID other than the DCC Boxed one was taken for a
  // device: quarantined unknown-device.
  it('recognises every configured dcc.userIds ID as the DCC', async () => {
    n++
    const ack = buildDuisDocument({ kind: 'response', responseCode: 'I99', serviceReference: '8.2', serviceReferenceVariant: '8.2', responseDateTime: '2025-03-14T11:00:02Z',
      requestId: `${ACME_USER}:${OTHER_DCC}:${n}`, responseId: `${OTHER_DCC}:${ACME_USER}:${n}` })
    expect((await post(ingress, ack)).json).toMatchObject({ decision: 'deliver', reason: 'passthrough' })
  })

  // Rule 7. Before: a SMETS1 DSP-scheduled read was stale-cos-noncritical.
  it('withholds a SMETS1 DSP-scheduled read for a lost MPxN as consumption data', async () => {
    n++
    const read = buildDuisDocument({ kind: 'smets1', dspScheduleId: '4712', device: STALE_ELEC_DEVICE, recipient: ACME_USER, counter: n,
      responseDateTime: '2025-03-14T11:00:03Z', responseId: `${STALE_ELEC_DEVICE}:${ACME_USER}:${n}` })
    expect((await post(ingress, read)).json).toMatchObject({ decision: 'drop', reason: 'stale-cos-consumption' })
  })

  // Rule 7. Before: accepted, making 8F0F droppable.
  it('refuses to start when policy.consumptionDataCodes holds a safety-listed code: exit 2', () => {
    const world = makeWorld({ extra: { policy: { nonCritical: 'drop', consumptionDataCodes: ['8F0A', '8F0F'] } } })
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'serve', '--config', world.configFile], { encoding: 'utf8', timeout: 30_000 })
    expect(run.status).toBe(2)
    expect(run.stderr).toContain('/policy/consumptionDataCodes/1 "8F0F" is also in /policy/safetyListedCodes')
  })
})
