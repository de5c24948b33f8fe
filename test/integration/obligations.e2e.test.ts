// A critical alert for a stale MPxN -> notice by webhook and by SMTP -> no
// acknowledgement -> past the deadline (injected clock) the secondary contact gets it -> then the
// escalation contact -> the signed link acknowledges it; a restart in the middle keeps every
// obligation and its deadline; a Scottish calendar over St Andrew's Day gives a later deadline.
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Gateway } from '../../dist/index.js'
import { buildDuisDocument } from '../support/duis-builder.js'
import { ACME_USER, makeWorld, post, Recorder, waitFor, type World } from './harness.js'
import { TestClock } from '../support/clock.js'
import { admin, smtpConfig, SmtpSink, startOnClock } from './obligations-harness.js'

const STALE_ELEC_DEVICE = '00-12-34-56-78-AB-CD-F0' // MPAN 1412345678901: ACME until 2025-03-01, then BRIT
// Friday 28 November 2025; St Andrew's Day (Sun 30 Nov) is observed in Scotland on Mon 1 Dec.
const ALERT_AT = '2025-11-28T15:00:00.000Z'
let counter = 7000n

function criticalAlert(code = '8F3D'): string {
  counter++
  return buildDuisDocument({
    kind: 'device_alert', alertCode: code, device: STALE_ELEC_DEVICE, recipient: ACME_USER, counter,
    responseDateTime: ALERT_AT, gbcsCritical: true, responseId: `${STALE_ELEC_DEVICE}:${ACME_USER}:${counter}`,
  })
}

describe('critical-forward obligation: webhook + e-mail, escalation, restart, signed ack link', () => {
  let smtp: SmtpSink
  let webhook: Recorder
  let world: World
  let gw: Gateway
  const clock = new TestClock(Date.parse(ALERT_AT), { running: true })
  let obligationId = ''
  let ackUrl = ''

  beforeAll(async () => {
    smtp = await new SmtpSink().listen()
    webhook = await new Recorder().listen()
    world = makeWorld({
      noticeUrl: `${webhook.url}/notices`,
      extra: { smtp: smtpConfig(smtp), obligations: { checkIntervalMs: 100 } },
    })
    gw = await startOnClock(world, clock)
  })
  afterAll(async () => {
    await gw.close()
    await webhook.close()
    await smtp.close()
    rmSync(world.dir, { recursive: true, force: true })
  })

  it('forwards the alert: notice by webhook AND by e-mail to the primary contact, with a signed link', async () => {
    const r = await post(`${gw.url}/duis`, criticalAlert())
    expect(r.json).toMatchObject({ decision: 'forward', reason: 'stale-cos-critical' })
    const hook = await waitFor('webhook notice', () => webhook.received.find((x) => x.headers['idempotency-key'] === r.json.messageId))
    const notice = JSON.parse(hook.body.toString())
    expect(notice).toMatchObject({
      mpxn: '1412345678901', alertCode: '8F3D', alertTime: ALERT_AT, deviceId: STALE_ELEC_DEVICE, fromParty: 'ACME', toParty: 'BRITE',
      level: 0, contactLevel: 'primary',
      acknowledgeBy: '2025-12-02T00:00:00.000Z', // E&W: Fri -> end of Mon 1 Dec
    })
    obligationId = notice.obligationId
    ackUrl = notice.ackUrl
    expect(ackUrl).toMatch(new RegExp(`^${gw.url}/obligations/ack\\?token=${obligationId}\\.\\d+\\.[A-Za-z0-9_-]{43}$`))

    const [mail] = await waitFor('e-mail to the primary contact', () => smtp.to('critical@brite.example').length > 0 && smtp.to('critical@brite.example'))
    expect(mail!.to).toEqual(['critical@brite.example'])
    expect(mail!.subject).toContain('8F3D')
    for (const part of ['MPxN:          1412345678901', '8F3D Trusted Source Authentication Failure', `Alert time:    ${ALERT_AT}`,
      `Device:        ${STALE_ELEC_DEVICE}`, 'What to do:', 'SR 6.23', `Acknowledge here: ${ackUrl}`,
      // UK local time in words next to the ISO form
      '(15:00 on Friday 28 November 2025, UK time)',
      'Acknowledge by the end of Monday 1 December 2025, UK time (2025-12-02T00:00:00.000Z), 1 working day after the alert']) {
      expect(mail!.text).toContain(part)
    }
    expect(smtp.to('ops-lead@brite.example')).toHaveLength(0)
  })

  it('is notified and not yet overdue before the deadline', async () => {
    const row = await waitFor('notified', async () => {
      const o = await admin(gw, `/admin/obligations/${obligationId}`)
      return o.status === 'notified' && o
    })
    expect(row).toMatchObject({ status: 'notified', level: 0, dueAt: Date.parse('2025-12-02T00:00:00.000Z') })
    clock.set('2025-12-01T23:59:59.000Z')
    expect(await gw.obligations.tick()).toBe(0)
  })

  it('past the deadline: overdue, escalated to the secondary contact with +1 working day', async () => {
    clock.set('2025-12-02T00:00:01.000Z') // Tuesday
    expect(await gw.obligations.tick()).toBe(1)
    const row = await admin(gw, `/admin/obligations/${obligationId}`)
    expect(row).toMatchObject({ status: 'escalated', level: 1, dueAt: Date.parse('2025-12-04T00:00:00.000Z') }) // end of Wed 3 Dec
    expect(row.events.map((e: any) => e.status)).toEqual(['open', 'notified', 'overdue', 'escalated'])
    const [mail] = await waitFor('e-mail to the secondary contact', () => smtp.to('ops-lead@brite.example').length > 0 && smtp.to('ops-lead@brite.example'))
    expect(mail!.subject).toMatch(/^\[ESCALATION\]/)
    expect(mail!.text).toContain('nobody acknowledged this by the end of Monday 1 December 2025, UK time (2025-12-02T00:00:00.000Z)')
    expect(mail!.text).toContain('Acknowledge by the end of Wednesday 3 December 2025, UK time (2025-12-04T00:00:00.000Z), 1 working day from this escalation')
    const hook = await waitFor('escalation webhook', () => webhook.received.find((x) => String(x.headers['idempotency-key']).endsWith('#secondary')))
    expect(JSON.parse(hook.body.toString())).toMatchObject({ obligationId, level: 1, contactLevel: 'secondary' })
    const metrics = await fetch(`${gw.url}/metrics`).then((r) => r.text())
    expect(metrics).toMatch(/dccgw_obligations\{type="critical-forward",status="escalated"\} 1/)
    expect(metrics).toMatch(/dccgw_obligations_overdue_total\{type="critical-forward"\} 1/)
  })

  it('a restart keeps the obligation, its level and its deadline', async () => {
    const before = await admin(gw, '/admin/obligations?status=all')
    await gw.close()
    gw = await startOnClock(world, clock)
    const after = await admin(gw, '/admin/obligations?status=all')
    expect(after.items).toEqual(before.items)
    expect(after.items.find((o: any) => o.id === obligationId)).toMatchObject({ status: 'escalated', level: 1, dueAt: Date.parse('2025-12-04T00:00:00.000Z') })
    clock.set('2025-12-03T12:00:00.000Z')
    expect(await gw.obligations.tick()).toBe(0) // the secondary contact still has time
  })

  it('then the escalation contact', async () => {
    clock.set('2025-12-04T00:00:01.000Z') // Thursday
    await waitFor('scheduler timer to escalate', () => smtp.to('escalation@brite.example').length > 0, 10_000)
    const row = await admin(gw, `/admin/obligations/${obligationId}`)
    expect(row).toMatchObject({ status: 'escalated', level: 2, dueAt: Date.parse('2025-12-06T00:00:00.000Z') }) // end of Fri 5 Dec
    expect(smtp.to('escalation@brite.example')[0]!.text).toContain('(escalation contact)')
    const list = await admin(gw, '/admin/obligations?status=open')
    expect(list.items.map((o: any) => o.id)).toContain(obligationId)
  })

  it('the signed link: wrong token 403, GET shows a page, POST acknowledges; closed for good', async () => {
    // the restarted gateway listens on another port (in production obligations.publicUrl is fixed)
    const link = new URL(ackUrl)
    ackUrl = `${gw.url}${link.pathname}${link.search}`
    // the link in the escalation e-mail (signed for a later deadline) works too
    expect(smtp.to('escalation@brite.example')[0]!.text).toContain(`Acknowledge here: ${gw.url}/obligations/ack?token=${obligationId}.`)
    const wrong = await fetch(ackUrl.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))
    expect(wrong.status).toBe(403)
    expect(wrong.headers.get('content-type')).toBe('application/problem+json')
    expect(((await wrong.json()) as { code: string }).code).toBe('DCCGW_ERR_ACK_LINK_INVALID')
    const page = await fetch(ackUrl)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<form method="post"')
    expect(html).toContain('1412345678901')
    // A strict CSP, and the page asks who is answering
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
    expect(html).toMatch(/<input id="name" name="name" required/)
    expect(html).toMatch(/<input id="organisation" name="organisation" required/)
    expect(html).not.toMatch(/<script|style=/)
    // the console's stylesheet, from this gateway, without a session
    expect(html).toContain('<link rel="stylesheet" href="/console/assets/console.css">')
    const css = await fetch(new URL('/console/assets/console.css', ackUrl))
    expect([css.status, css.headers.get('content-type')]).toEqual([200, expect.stringMatching(/^text\/css/)])
    expect((await admin(gw, `/admin/obligations/${obligationId}`)).status).toBe('escalated') // GET did not acknowledge
    const form = (f: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(f), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    const anonymous = await fetch(ackUrl, form({ answer: 'ack', name: '', organisation: 'Brite' }))
    expect(anonymous.status).toBe(400)
    expect(await anonymous.text()).toContain('Please give your name and your organisation.')
    expect((await admin(gw, `/admin/obligations/${obligationId}`)).status).toBe('escalated')
    const ack = await fetch(ackUrl, form({ answer: 'ack', name: 'Jo Bloggs', organisation: 'Brite Power' }))
    expect(ack.status).toBe(200)
    expect(await ack.text()).toContain('acknowledgement is recorded')
    const row = await admin(gw, `/admin/obligations/${obligationId}`)
    expect(row.status).toBe('acknowledged')
    expect(row.ackedBy).toBe('ack-link: Jo Bloggs (Brite Power)')
    expect(row.events.at(-1)).toMatchObject({ status: 'acknowledged', actor: 'ack-link: Jo Bloggs (Brite Power)' })
    expect(row.events.map((e: any) => e.status)).toEqual(['open', 'notified', 'overdue', 'escalated', 'overdue', 'escalated', 'acknowledged'])
    clock.set('2025-12-10T00:00:00.000Z')
    expect(await gw.obligations.tick()).toBe(0)
    expect((await admin(gw, `/admin/obligations/${obligationId}`)).status).toBe('acknowledged')
  })

  it('an expired link is 410', async () => {
    clock.set('2026-01-01T00:00:00.000Z') // more than 14 days after the last deadline in the link
    const r = await fetch(ackUrl)
    expect(r.status).toBe(410)
    expect(((await r.json()) as { code: string }).code).toBe("DCCGW_ERR_ACK_LINK_EXPIRED")
  })
})

describe("Scottish calendar over St Andrew's Day", () => {
  it('gives a later deadline than England & Wales for the same alert', async () => {
    const webhook = await new Recorder().listen()
    const world = makeWorld({ noticeUrl: `${webhook.url}/notices`, extra: { calendar: { region: 'scotland' }, obligations: { checkIntervalMs: 100 } } })
    const clock = new TestClock(Date.parse(ALERT_AT), { running: true })
    const gw = await startOnClock(world, clock)
    try {
      const r = await post(`${gw.url}/duis`, criticalAlert('8F3F'))
      expect(r.json.decision).toBe('forward')
      const hook = await waitFor('notice', () => webhook.received.find((x) => x.headers['idempotency-key'] === r.json.messageId))
      const notice = JSON.parse(hook.body.toString())
      // Mon 1 Dec is St Andrew's Day (substitute) in Scotland: due end of Tue 2 Dec, a day later than E&W.
      expect(notice.acknowledgeBy).toBe('2025-12-03T00:00:00.000Z')
      expect(Date.parse(notice.acknowledgeBy)).toBeGreaterThan(Date.parse('2025-12-02T00:00:00.000Z'))
      clock.set('2025-12-03T00:00:01.000Z') // Wednesday
      expect(await gw.obligations.tick()).toBe(1)
      const row = await admin(gw, `/admin/obligations/${notice.obligationId}`)
      expect(row).toMatchObject({ status: 'escalated', level: 1, dueAt: Date.parse('2025-12-05T00:00:00.000Z') }) // end of Thu 4 Dec
    } finally {
      await gw.close()
      await webhook.close()
      rmSync(world.dir, { recursive: true, force: true })
    }
  })
})
