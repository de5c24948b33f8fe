// The obligations of docs/obligations.md, through real HTTP (DUIS ingress, webhook receivers, an SMTP server, the
// signed acknowledgement page):
//  (1) deadlines count from the alert time: an alert dated before Good Friday 2026 is due at the
//      end of Tuesday 7 April (Good Friday and Easter Monday are not working days); the same kind
//      of alert replayed a week late keeps that deadline, opens overdue and escalates at once, and
//      its notice says it arrived late and by how much;
//  (2) a quarantined critical alert (unknown device at ingest; adapter refusal later) opens a
//      critical-quarantined obligation to the tenant's own contacts, sorts first in the admin list,
//      is never purged while open, and closes by delete-with-reason or release;
//  (3) a party with e-mail contacts but no smtp.host is not "notified" by an outbox file: it is
//      named as unreachable, its obligation stays open, escalates on time, and after its last
//      level goes to obligations.fallbackContact;
//  (4) "not the supplier: pass it on" on the acknowledgement page closes the obligation as
//      redirected and opens a forward obligation to the party named.
// Each of these fails on the gateway before these rules (receipt-based deadlines, no obligation for
// quarantined alerts, outbox counted as notified, no redirect answer).
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../../dist/index.js'
import { buildDuisDocument } from '../support/duis-builder.js'
import { spawnSync } from 'node:child_process'
import { ACME_USER, makeWorld, post, Recorder, ROOT, spoolEmpty, waitFor, type World } from './harness.js'
import { TestClock } from '../support/clock.js'
import { admin, smtpConfig, SmtpSink, startOnClock, withUncommissioned } from './obligations-harness.js'

const STALE_ELEC = '00-12-34-56-78-AB-CD-F0' // MPAN 1412345678901: ACME until 2025-03-01, then BRIT
const STALE_GAS = '00-12-34-56-78-AB-CD-F1' // MPRN 7452731806: ACMG until 2025-02-03, then HOMG
const ACME_GAS_USER = '90-B3-D5-1F-30-01-00-01'
const ACME_METER = '00-12-34-56-78-AB-CD-EF' // MPAN 1200012345679: ACME's own
const UNKNOWN = '00-12-34-56-78-AB-CD-99'
// Thursday 2 April 2026; Good Friday is 3 April, Easter Monday 6 April (England & Wales)
const BEFORE_GOOD_FRIDAY = '2026-04-02T10:00:00.000Z'
const DUE = '2026-04-07T23:00:00.000Z' // end of Tuesday 7 April (BST)
let counter = 15_000n

function alert(device: string, opts: { at: string; recipient?: string; code?: string; critical?: boolean }): string {
  counter++
  const recipient = opts.recipient ?? ACME_USER
  return buildDuisDocument({
    kind: 'device_alert', alertCode: opts.code ?? '8F3D', device, recipient, counter, responseDateTime: opts.at,
    gbcsCritical: opts.critical ?? true, responseId: `${device}:${recipient}:${counter}`,
  })
}

const form = (f: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(f), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
const metricsOf = (gw: Gateway) => fetch(`${gw.url}/metrics`).then((r) => r.text())
const auth = { authorization: 'Bearer test-token' }

async function obligationWhere(gw: Gateway, pred: (o: any) => boolean, what: string): Promise<any> {
  const found = await waitFor(what, async () => (await admin(gw, '/admin/obligations?status=all')).items.find(pred))
  return admin(gw, `/admin/obligations/${found.id}`)
}

describe('issue 15: duties that cannot fall through', () => {
  let smtp: SmtpSink
  let webhook: Recorder
  let adapter: Recorder
  let world: World
  let gw: Gateway
  const clock = new TestClock(Date.parse('2026-04-02T10:05:00.000Z'), { running: true })
  let forwardId = ''
  let ackUrl = ''

  beforeAll(async () => {
    smtp = await new SmtpSink().listen()
    webhook = await new Recorder().listen()
    adapter = await new Recorder().listen()
    adapter.respond = () => 400 // the adapter refuses everything until the release below
    world = makeWorld({
      noticeUrl: `${webhook.url}/notices`,
      adapterUrl: `${adapter.url}/adapter`,
      extra: { smtp: smtpConfig(smtp), obligations: { checkIntervalMs: 100 }, store: { path: './data', synchronous: 'NORMAL', quarantineRetentionDays: 1 } },
    })
    gw = await startOnClock(world, clock)
  })
  afterAll(async () => {
    await gw.close()
    await Promise.all([webhook.close(), adapter.close(), smtp.close()])
    rmSync(world.dir, { recursive: true, force: true })
  })

  it('(1) an alert dated before Good Friday is due at the end of the next working day after its UK date, in words', async () => {
    const r = await post(`${gw.url}/duis`, alert(STALE_ELEC, { at: BEFORE_GOOD_FRIDAY }))
    expect(r.json).toMatchObject({ decision: 'forward' })
    const hook = await waitFor('notice', () => webhook.received.find((x) => x.headers['idempotency-key'] === r.json.messageId))
    const notice = JSON.parse(hook.body.toString())
    expect(notice).toMatchObject({ acknowledgeBy: DUE, alertTime: BEFORE_GOOD_FRIDAY })
    expect(notice.late).toBeUndefined()
    forwardId = notice.obligationId
    ackUrl = notice.ackUrl
    const mail = await waitFor('mail', () => smtp.to('critical@brite.example').find((m) => m.text.includes(forwardId)))
    expect(mail.text).toContain('Alert time:    2026-04-02T10:00:00.000Z (11:00 on Thursday 2 April 2026, UK time)')
    expect(mail.text).toContain(`Acknowledge by the end of Tuesday 7 April 2026, UK time (${DUE})`)
    expect(mail.subject).toContain('acknowledge by the end of Tuesday 7 April 2026, UK time')
  })

  it('(2) a critical alert from an unknown device is quarantined with a clock, addressed to the tenant itself', async () => {
    const crit = await post(`${gw.url}/duis`, alert(UNKNOWN, { at: BEFORE_GOOD_FRIDAY, code: '8F3F' }))
    expect(crit.json).toMatchObject({ decision: 'quarantine', reason: 'unknown-device' })
    const plain = await post(`${gw.url}/duis`, alert(UNKNOWN, { at: BEFORE_GOOD_FRIDAY, code: '8F12', critical: false }))
    expect(plain.json).toMatchObject({ decision: 'quarantine', reason: 'unknown-device' })
    const o = await obligationWhere(gw, (x) => x.type === 'critical-quarantined' && x.messageId === crit.json.messageId, 'critical-quarantined obligation')
    expect(o).toMatchObject({ toParty: 'ACME', alertCode: '8F3F', dueAt: Date.parse(DUE), level: 0 })
    expect(o.events[0]).toMatchObject({ status: 'open', detail: 'unknown-device' })
    const mail = await waitFor('mail to ACME primary', () => smtp.to('alerts@acme.example').find((m) => m.text.includes(o.id)))
    expect(mail.subject).toMatch(/^Quarantined critical alert 8F3F Unauthorised Physical Access - Tamper Detect/)
    expect(mail.text).toContain('Held because:  unknown-device')

    const list = await admin(gw, '/admin/quarantine')
    expect(list.items[0]).toMatchObject({ critical: true, alertCode: '8F3F', messageId: crit.json.messageId })
    expect(list.items.find((q: any) => q.messageId === plain.json.messageId)).toMatchObject({ critical: false })
    const only = await admin(gw, '/admin/quarantine?critical=true')
    expect(only.items.every((q: any) => q.critical)).toBe(true)
    expect(o.notice.quarantineId).toBe(only.items.find((q: any) => q.messageId === crit.json.messageId).id)
  })

  it('(2) a critical alert the adapter refuses is quarantined critical, with its obligation', async () => {
    const r = await post(`${gw.url}/duis`, alert(ACME_METER, { at: BEFORE_GOOD_FRIDAY, code: '8F0F' }))
    expect(r.json).toMatchObject({ decision: 'deliver', reason: 'responsible' })
    const o = await obligationWhere(gw, (x) => x.type === 'critical-quarantined' && x.alertCode === '8F0F', 'adapter-rejected obligation')
    expect(o).toMatchObject({ toParty: 'ACME', mpxn: '1200012345679', dueAt: Date.parse(DUE) })
    expect(o.notice).toMatchObject({ quarantineReason: 'adapter-rejected', deviceId: ACME_METER })
    const q = await admin(gw, `/admin/quarantine/${o.notice.quarantineId}`)
    expect(q).toMatchObject({ reason: 'adapter-rejected', critical: true, alertCode: '8F0F' })
  })

  it('(4) "not the supplier": the page closes the obligation as redirected and forwards to the party named', async () => {
    const page = await fetch(ackUrl).then((x) => x.text())
    expect(page).toContain('We are not the current supplier')
    expect(page).toContain('<option value="HOMEGAS">Home Gas Ltd (not a DCC User) (HOMEGAS)</option>')
    expect(page).not.toContain('<option value="BRITE">')
    const none = await fetch(ackUrl, form({ name: 'Sam Field', organisation: 'Brite Power', answer: 'redirect' }))
    expect(none.status).toBe(400)
    const res = await fetch(ackUrl, form({ name: 'Sam Field', organisation: 'Brite Power', answer: 'redirect', party: 'HOMEGAS' }))
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('passed on to the supplier you named')
    const row = await admin(gw, `/admin/obligations/${forwardId}`)
    expect(row.status).toBe('redirected')
    expect(row.events.at(-1)).toMatchObject({ status: 'redirected', actor: 'ack-link: Sam Field (Brite Power)' })
    expect(row.events.at(-1).detail).toContain('says the supplier is Home Gas Ltd (not a DCC User) (HOMEGAS)')
    const onward = await obligationWhere(gw, (x) => x.toParty === 'HOMEGAS' && x.notice.redirectedFrom?.party === 'BRITE', 'onward obligation')
    expect(onward).toMatchObject({ type: 'critical-forward', status: expect.stringMatching(/open|notified/), mpxn: '1412345678901', alertCode: '8F3D' })
    expect(onward.dueAt).toBe(Date.parse(DUE)) // 1 working day from Thu 2 April: the end of Tuesday 7 April
    const mail = await waitFor('mail to the named party', () => smtp.to('safety@homegas.example').find((m) => m.text.includes(onward.id)))
    expect(mail.text).toContain('BRITE told us it is not the current supplier and named you (Sam Field (Brite Power))')
    const again = await fetch(ackUrl, form({ name: 'Sam Field', organisation: 'Brite Power', answer: 'ack' }))
    expect(await again.text()).toContain('This was already answered')
    expect((await admin(gw, `/admin/obligations/${forwardId}`)).status).toBe('redirected') // answered once
  })

  it('(1) the same alert replayed a week late keeps its deadline, opens overdue, escalates at once and says how late', async () => {
    await clock.set('2026-04-09T11:00:00.000Z')
    const r = await post(`${gw.url}/duis`, alert(STALE_ELEC, { at: '2026-04-02T11:00:00.000Z' }))
    expect(r.json).toMatchObject({ decision: 'forward' })
    const hook = await waitFor('first notice', () => webhook.received.find((x) => x.headers['idempotency-key'] === r.json.messageId))
    const notice = JSON.parse(hook.body.toString())
    expect(notice).toMatchObject({ acknowledgeBy: DUE })
    // the clock runs on from where the test set it: received (and late) by the time the POST took
    const took = Date.parse(notice.receivedAt) - Date.parse('2026-04-09T11:00:00.000Z')
    expect(took).toBeGreaterThanOrEqual(0)
    expect(took).toBeLessThan(5_000)
    expect(notice.late.byMs).toBe(36 * 3_600_000 + took)
    const row = await obligationWhere(gw, (x) => x.id === notice.obligationId && x.status === 'escalated', 'escalation at once')
    expect(row).toMatchObject({ level: 1, dueAt: Date.parse('2026-04-10T23:00:00.000Z') }) // end of Friday 10 April
    expect(row.events.map((e: any) => e.status).filter((s: string) => s !== 'notified')).toEqual(['open', 'overdue', 'escalated'])
    const late = await waitFor('escalation mail', () => smtp.to('ops-lead@brite.example').find((m) => m.text.includes(notice.obligationId)))
    expect(late.text).toContain('LATE: this alert reached the gateway at 12:00 on Thursday 9 April 2026, UK time, 1 day 12 hours after')
    expect(late.text).toContain('nobody acknowledged this by the end of Tuesday 7 April 2026, UK time')
  })

  it('(2) past its deadline a quarantined critical alert escalates to the tenant and shows on the metrics the alert rule pages on', async () => {
    await waitFor('ACME secondary', () => smtp.to('duty@acme.example').length >= 2 && true)
    const m = await metricsOf(gw)
    expect(m).toMatch(/dccgw_obligations\{type="critical-quarantined",status="escalated"\} 2/)
  })

  it('(2) retention never purges a critical alert whose obligation is open; delete needs a reason and closes it; release closes it', async () => {
    // the hourly housekeeping ran when the clock moved a week on: the non-critical one (a week old,
    // 1-day retention) is gone, the two critical ones with open obligations stay
    const before = (await admin(gw, '/admin/quarantine')).items
    expect(before.map((q: any) => q.critical)).toEqual([true, true])
    const purged = (await fetch(`${gw.url}/admin/quarantine/purge`, { method: 'POST', headers: auth }).then((x) => x.json())) as { byAge: number }
    expect(purged.byAge).toBe(0)
    const after = (await admin(gw, '/admin/quarantine')).items
    expect(after.map((q: any) => q.id).sort()).toEqual(before.map((q: any) => q.id).sort())

    const unknown = after.find((q: any) => q.reason === 'unknown-device')
    const refused = after.find((q: any) => q.reason === 'adapter-rejected')
    const bare = await fetch(`${gw.url}/admin/quarantine/${unknown.id}`, { method: 'DELETE', headers: auth })
    expect(bare.status).toBe(400)
    const del = await fetch(`${gw.url}/admin/quarantine/${unknown.id}?reason=${encodeURIComponent('test meter, no customer')}`, { method: 'DELETE', headers: auth })
    expect(del.status).toBe(200)
    const closed = await obligationWhere(gw, (x) => x.notice.quarantineId === unknown.id, 'closed obligation')
    expect(closed.status).toBe('closed')
    expect(closed.events.at(-1).detail).toMatch(/^deleted: test meter, no customer/)

    adapter.respond = () => 200
    const rel = await fetch(`${gw.url}/admin/quarantine/${refused.id}/release`, { method: 'POST', headers: auth })
    expect(rel.status).toBe(200)
    const released = await obligationWhere(gw, (x) => x.notice.quarantineId === refused.id, 'released obligation')
    expect(released.status).toBe('closed')
    expect(released.events.at(-1).detail).toMatch(/^released: deliver\//)
    expect(await metricsOf(gw)).toMatch(/dccgw_obligations\{type="critical-quarantined",status="closed"\} 2/)
  })
})

describe('issue 15 (3): an outbox file is not a notification; unreachable parties; fallback contact', () => {
  it('names the party, keeps the obligation unnotified, escalates on time to the fallback contact', async () => {
    const webhook = await new Recorder().listen()
    const fallback = await new Recorder().listen()
    const world = makeWorld({
      noticeUrl: `${webhook.url}/notices`,
      extra: {
        obligations: { checkIntervalMs: 100, outboxParties: ['ACME'], fallbackContact: { name: 'SECAS helpdesk', endpoint: `${fallback.url}/secas` } },
      },
    })
    const clock = new TestClock(Date.parse('2026-04-02T10:05:00.000Z'), { running: true })
    const gw = await startOnClock(world, clock)
    try {
      const m = await metricsOf(gw)
      expect(m).toMatch(/^dccgw_unreachable_parties 1$/m) // HOMEGAS: e-mail contacts, no smtp.host
      expect(m).toMatch(/^dccgw_unreachable_party\{party="HOMEGAS"\} 1$/m)
      expect(m).not.toMatch(/dccgw_unreachable_party\{party="ACME"\}/) // ACME's outbox is configured

      const r = await post(`${gw.url}/duis`, alert(STALE_GAS, { at: BEFORE_GOOD_FRIDAY, recipient: ACME_GAS_USER }))
      expect(r.json).toMatchObject({ decision: 'forward' })
      const folder = join(world.dir, 'data', 'outbox', 'notices', 'HOMEGAS')
      await waitFor('outbox file', () => existsSync(folder) && readdirSync(folder).some((f) => f.endsWith('.json')))
      const items = (await admin(gw, '/admin/obligations')).items
      const o = items.find((x: any) => x.toParty === 'HOMEGAS')
      await waitFor('the spool empty', () => spoolEmpty(gw.url)) // the delivery is done: a notified mark would be there
      const row = await admin(gw, `/admin/obligations/${o.id}`)
      expect(row.status).toBe('open')
      expect(row.notifiedAt).toBeNull()
      expect(row.events.map((e: any) => e.status)).toEqual(['open'])

      await clock.set('2026-04-08T09:00:00.000Z') // past the end of Tuesday 7 April
      const hook = await waitFor('fallback notice', () => fallback.received[0])
      const notice = JSON.parse(hook.body.toString())
      expect(notice).toMatchObject({ obligationId: o.id, level: 3, contactLevel: 'fallback', toParty: 'HOMEGAS' })
      expect(notice.text).toContain('ESCALATION to the fallback contact')
      // the fallback's webhook took it: that is a notification
      const after = await obligationWhere(gw, (x) => x.id === o.id && x.notifiedAt !== null, 'notified by the fallback')
      expect(after).toMatchObject({ status: 'escalated', level: 3 })
      expect(after.events.map((e: any) => e.status)).toEqual(['open', 'overdue', 'escalated'])
    } finally {
      await gw.close()
      await webhook.close()
      await fallback.close()
      rmSync(world.dir, { recursive: true, force: true })
    }
  })
})

describe('issue 15 (6): install-code duties are found at start and escalate to the installing supplier', () => {
  it('opens on start from files changed while down (once across restarts); overdue goes to the tenant, not the gaining supplier', async () => {
    const UNCOMMISSIONED = '00-12-34-56-78-AB-CD-F5'
    const smtp = await new SmtpSink().listen()
    const world = makeWorld({ extra: { smtp: smtpConfig(smtp), obligations: { checkIntervalMs: 100 } } })
    withUncommissioned(world, UNCOMMISSIONED, '1200012345679')
    // the CoS reached the files while the gateway was down: no reload will ever see it change
    appendFileSync(join(world.dir, 'registrations.csv'), '1200012345679,BRIT,2026-04-15\n')
    const clock = new TestClock(Date.parse('2026-04-02T10:05:00.000Z'), { running: true })
    let gw = await startOnClock(world, clock)
    try {
      const o = await obligationWhere(gw, (x) => x.type === 'install-code', 'install-code at start')
      expect(o).toMatchObject({ fromParty: 'ACME', toParty: 'BRITE', mpxn: '1200012345679' })
      expect(o.events[0]).toMatchObject({ status: 'open', actor: 'start' })
      await gw.close()
      gw = await startOnClock(world, clock)
      expect((await admin(gw, '/admin/obligations?status=all')).items.filter((x: any) => x.type === 'install-code')).toHaveLength(1)
      await waitFor('notice to the gaining supplier', () => smtp.to('critical@brite.example').find((m) => m.text.includes(o.id)))

      await clock.set('2026-04-20T09:00:00.000Z') // past 5 working days
      const mail = await waitFor('escalation to the installer', () => smtp.to('duty@acme.example').find((m) => m.text.includes(o.id)))
      expect(mail.text).toContain('you installed this meter and owe its install code to Brite Power (acquiring supplier) (BRITE)')
      expect(smtp.to('ops-lead@brite.example').filter((m) => m.text.includes(o.id))).toHaveLength(0)
      const row = await admin(gw, `/admin/obligations/${o.id}`)
      expect(row).toMatchObject({ status: 'escalated', level: 1 })
    } finally {
      await gw.close()
      await smtp.close()
      rmSync(world.dir, { recursive: true, force: true })
    }
  })
})

describe('issue 15 (7): the stale-CoS report counts all the evidence and knows when a case is resolved', () => {
  it('device alerts, DCC alerts and E4 responses per losing party and MPxN, by alert time; resolved by SecurityCredentialsUpdated; filters; obligations list', async () => {
    const world = makeWorld({ extra: { obligations: { checkIntervalMs: 100 } } })
    const clock = new TestClock(Date.parse('2026-04-02T10:05:00.000Z'), { running: true })
    const gw = await startOnClock(world, clock)
    const DCC = '90-B3-D5-1F-30-00-00-02'
    const e4 = (device: string, user: string, at: string) => {
      counter++
      return buildDuisDocument({ kind: 'response', responseCode: 'E4', serviceReference: '4.1', serviceReferenceVariant: '4.1.1', responseDateTime: at, requestId: `${user}:${device}:${counter}` })
    }
    try {
      expect((await post(`${gw.url}/duis`, alert(STALE_ELEC, { at: '2026-04-01T10:00:00.000Z' }))).json.decision).toBe('forward')
      expect((await post(`${gw.url}/duis`, e4(STALE_ELEC, ACME_USER, '2026-04-01T12:00:00.000Z'))).json).toMatchObject({ decision: 'deliver', reason: 'passthrough' })
      expect((await post(`${gw.url}/duis`, e4(STALE_GAS, ACME_GAS_USER, '2026-03-31T08:00:00.000Z'))).json).toMatchObject({ decision: 'deliver' })
      counter++
      const credentials = buildDuisDocument({
        kind: 'dcc_alert', dccAlertCode: 'N22', responseDateTime: '2026-04-02T09:00:00.000Z', responseId: `${DCC}:${ACME_USER}:${counter}`,
        dccAlert: { n: 'SecurityCredentialsUpdated', c: [{ n: 'DeviceID', t: STALE_ELEC }] },
      })
      expect((await post(`${gw.url}/duis`, credentials)).json).toMatchObject({ decision: 'deliver', reason: 'dcc-alert' })

      const report = await fetch(`${gw.url}/admin/reports/stale-cos`, { headers: auth }).then((x) => x.json()) as { rows: any[] }
      const elec = report.rows.find((r) => r.mpxn === '1412345678901')
      expect(elec).toMatchObject({
        party: 'ACME', supplyStartDate: '2025-03-01', deviceAlerts: 1, dccAlerts: 1, responses: 0, e4Responses: 1,
        firstSeenIso: '2026-04-01T10:00:00.000Z', lastSeenIso: '2026-04-02T09:00:00.000Z', status: 'resolved', resolvedOn: '2026-04-02',
        workingDaysSinceSsd: 276,
      })
      const gas = report.rows.find((r) => r.mpxn === '7452731806')
      expect(gas).toMatchObject({ party: 'ACME', supplyStartDate: '2025-02-03', e4Responses: 1, deviceAlerts: 0, status: 'open', resolvedOn: null, workingDaysSinceSsd: 295 })

      const filtered = await fetch(`${gw.url}/admin/reports/stale-cos?minWorkingDays=290`, { headers: auth }).then((x) => x.json()) as { rows: any[] }
      expect(filtered.rows.map((r) => r.mpxn)).toEqual(['7452731806'])
      const csv = await fetch(`${gw.url}/admin/reports/stale-cos?format=csv&status=resolved`, { headers: auth }).then((x) => x.text())
      expect(csv.split('\n')[0]).toContain('status,resolvedOn')
      expect(csv).toContain('1412345678901')
      expect(csv).not.toContain('7452731806')

      // the CLI, on the same store: --min-working-days, and `obligations list` with open stale-CoS cases
      const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), ...args, '--config', world.configFile], { encoding: 'utf8' })
      const md = cli('report', 'stale-cos', '--min-working-days', '290')
      expect(md.status, md.stderr).toBe(0)
      expect(md.stdout).toContain('7452731806')
      expect(md.stdout).not.toContain('1412345678901')
      const list = cli('obligations', 'list', '--json')
      expect(list.status, list.stderr).toBe(0)
      const stale = (JSON.parse(list.stdout) as any[]).filter((x) => x.type === 'stale-cos')
      expect(stale).toEqual([expect.objectContaining({ status: 'open', mpxn: '7452731806', fromParty: 'ACME', supplyStartDate: '2025-02-03' })])
    } finally {
      await gw.close()
      rmSync(world.dir, { recursive: true, force: true })
    }
  })
})
