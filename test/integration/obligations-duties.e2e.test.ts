// SoLR notices name both parties, a non-DCC-User party is reached by e-mail alone,
// install-code obligations open on a registry reload (SECMP0121), and the stale-CoS report counts
// messages by kind with working days elapsed.
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../../dist/index.js'
import { buildDuisDocument } from '../support/duis-builder.js'
import { ACME_USER, makeWorld, post, waitFor, type World } from './harness.js'
import { TestClock } from '../support/clock.js'
import { admin, smtpConfig, SmtpSink, startOnClock, withUncommissioned } from './obligations-harness.js'

const AT = '2025-04-15T10:00:00.000Z'
const SOLAR_USER = '90-B3-D5-1F-30-05-00-00'
const ACME_GAS_USER = '90-B3-D5-1F-30-01-00-01'
const SOLAR_DEVICE = '00-12-34-56-78-AB-CD-F4' // MPAN 1312345678907: SOLR, BRIT from 2025-04-01 (added below)
const STALE_GAS_DEVICE = '00-12-34-56-78-AB-CD-F1' // MPRN 7452731806: ACMG until 2025-02-03, then HOMG
const UNCOMMISSIONED = '00-12-34-56-78-AB-CD-F5' // on MPAN 1200012345679 (ACME)
let counter = 9000n

function alert(device: string, recipient: string, code: string): string {
  counter++
  return buildDuisDocument({
    kind: 'device_alert', alertCode: code, device, recipient, counter, responseDateTime: AT, gbcsCritical: true,
    responseId: `${device}:${recipient}:${counter}`,
  })
}

describe('obligation duties', () => {
  let smtp: SmtpSink
  let world: World
  let gw: Gateway
  const clock = new TestClock(Date.parse(AT), { running: true })

  beforeAll(async () => {
    smtp = await new SmtpSink().listen()
    world = makeWorld({ extra: { smtp: smtpConfig(smtp), obligations: { checkIntervalMs: 100 } } })
    appendFileSync(join(world.dir, 'registrations.csv'), '1312345678907,BRIT,2025-04-01\n')
    withUncommissioned(world, UNCOMMISSIONED, '1200012345679')
    gw = await startOnClock(world, clock)
  })
  afterAll(async () => {
    await gw.close()
    await smtp.close()
    rmSync(world.dir, { recursive: true, force: true })
  })

  it('SoLR: the notice names the failed supplier and its Shared Resource Provider', async () => {
    const r = await post(`${gw.url}/duis`, alert(SOLAR_DEVICE, SOLAR_USER, '8F3D'))
    expect(r.json).toMatchObject({ decision: 'forward', reason: 'stale-cos-critical' })
    const [mail] = await waitFor('e-mail to BRITE', () => smtp.to('critical@brite.example').length > 0 && smtp.to('critical@brite.example'))
    expect(mail!.text).toContain('Solar Supply (failed supplier, SoLR event) (SOLAR)')
    expect(mail!.text).toContain('ACME handles its traffic as')
    expect(mail!.text).toContain('Shared Resource Provider (SoLR: Acme acts as Shared Resource Provider (MP134A))')
    const items = (await admin(gw, '/admin/obligations')).items
    expect(items.find((o: any) => o.mpxn === '1312345678907').notice).toMatchObject({ fromParty: 'SOLAR', forwardedBy: 'ACME', toParty: 'BRITE' })
  })

  it('a non-DCC-User party (dccUser: false) is reached by e-mail; no outbox file when e-mail went', async () => {
    const r = await post(`${gw.url}/duis`, alert(STALE_GAS_DEVICE, ACME_GAS_USER, '8F3D'))
    expect(r.json).toMatchObject({ decision: 'forward' })
    const [mail] = await waitFor('e-mail to Home Gas', () => smtp.to('safety@homegas.example').length > 0 && smtp.to('safety@homegas.example'))
    expect(mail!.text).toContain('MPxN:          7452731806')
    expect(mail!.text).toMatch(/Acknowledge here: http:\/\/127\.0\.0\.1:\d+\/obligations\/ack\?token=/)
    expect(existsSync(join(world.dir, 'data', 'outbox', 'notices', 'HOMEGAS'))).toBe(false)
  })

  it('the stale-CoS report counts messages by kind, with working days since the supply start date', async () => {
    const csv = await fetch(`${gw.url}/admin/reports/stale-cos?format=csv`, { headers: { authorization: 'Bearer test-token' } }).then((r) => r.text())
    const [header, ...lines] = csv.trim().split('\n')
    const cols = header!.split(',')
    expect(cols).toEqual(expect.arrayContaining(['deviceAlerts', 'dccAlerts', 'responses', 'smets1', 'workingDaysSinceSsd', 'workingDaysToLastSeen', 'acquirer']))
    const row = Object.fromEntries(cols.map((c, i) => [c, lines.find((l) => l.includes('7452731806'))!.split(',')[i]]))
    // 2025-02-03 -> 2025-04-15 (E&W): 19 + 21 + 11 working days
    expect(row).toMatchObject({ party: 'ACME', supplyStartDate: '2025-02-03', acquirer: 'HOMEGAS', deviceAlerts: '1', responses: '0', workingDaysToLastSeen: '51', workingDaysSinceSsd: '51' })
    const md = await fetch(`${gw.url}/admin/reports/stale-cos?format=md`, { headers: { authorization: 'Bearer test-token' } }).then((r) => r.text())
    expect(md.split('\n')[0]).toContain('| deviceAlerts | dccAlerts |')
  })

  it('install-code: a reload that moves a tenant MPxN with an InstalledNotCommissioned device opens one obligation (5 WD)', async () => {
    appendFileSync(join(world.dir, 'registrations.csv'), '1200012345679,BRIT,2025-05-01\n')
    const res = await fetch(`${gw.url}/admin/registry/reload`, { method: 'POST', headers: { authorization: 'Bearer test-token' } })
    expect(res.status).toBe(200)
    const items = (await admin(gw, '/admin/obligations')).items.filter((o: any) => o.type === 'install-code')
    expect(items).toHaveLength(1)
    // Tue 15 Apr 2025 + 5 WD: 16, 17, (Good Friday 18 and Easter Monday 21 are not working days) 22, 23, 24 -> end of Thu 24 Apr
    expect(items[0]).toMatchObject({ toParty: 'BRITE', fromParty: 'ACME', mpxn: '1200012345679', dueAt: Date.parse('2025-04-24T23:00:00.000Z') })
    expect(items[0].notice).toMatchObject({ deviceId: UNCOMMISSIONED, deviceStatus: 'InstalledNotCommissioned', supplyStartDate: '2025-05-01' })
    const mail = await waitFor('install-code e-mail', () => smtp.to('critical@brite.example').find((m) => m.subject.startsWith('Install code needed')))
    expect(mail.text).toContain(`Device:        ${UNCOMMISSIONED} (InstalledNotCommissioned)`)
    expect(mail.text).toContain('within 5 working days')
    await fetch(`${gw.url}/admin/registry/reload`, { method: 'POST', headers: { authorization: 'Bearer test-token' } })
    expect((await admin(gw, '/admin/obligations')).items.filter((o: any) => o.type === 'install-code')).toHaveLength(1)
    const ack = await admin(gw, `/admin/obligations/${items[0].id}/ack`, 'POST')
    expect(ack.status).toBe('acknowledged')
  })
})
