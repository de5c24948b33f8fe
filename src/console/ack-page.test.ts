// The acknowledgement page (the signed link in a notice): its content and CSP. Pure: a view in, HTML out.
import { describe, expect, it } from 'vitest'
import type { ObligationRow } from '../store/index.js'
import { ACK_PAGE_CSP, ACK_PAGE_HEADERS, renderAckDone, renderAckForm } from './ack-page.js'

function row(over: Partial<ObligationRow>): ObligationRow {
  return {
    id: 'o1', type: 'critical-forward', status: 'notified', messageId: 'm1', fromParty: 'ACME', toParty: 'BRITE', mpxn: '1412345678901',
    alertCode: '8F76', alertTime: Date.parse('2026-04-02T10:00:00.000Z'), createdAt: 0, dueAt: Date.parse('2026-04-07T23:00:00.000Z'), level: 0,
    notifiedAt: 1, ackedAt: null, ackedBy: null, text: '', ...over,
    notice: { alertName: 'Unauthorised Physical Access - Terminal Cover Removed', alertTime: '2026-04-02T10:00:00.000Z', deviceId: '00-12-34-56-78-AB-CD-F0' },
  }
}

describe('acknowledgement page', () => {
  const view = { obligation: row({}), action: '/obligations/ack?token=t', parties: [{ id: 'HOMEGAS', name: 'Home Gas <Ltd>' }] }

  it('is served with a strict CSP and no script or inline style', () => {
    expect(ACK_PAGE_CSP).toBe("default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
    expect(ACK_PAGE_HEADERS).toMatchObject({ 'content-security-policy': ACK_PAGE_CSP, 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff' })
    const html = renderAckForm(view)
    expect(html).not.toMatch(/<script|style=|<style/)
  })

  it('asks who is answering and, for a forward, offers "not the supplier" with the known parties (escaped)', () => {
    const html = renderAckForm(view)
    expect(html).toContain('<input id="name" name="name" required')
    expect(html).toContain('<input id="organisation" name="organisation" required')
    expect(html).toContain('value="redirect"')
    expect(html).toContain('<option value="HOMEGAS">Home Gas &#60;Ltd&#62; (HOMEGAS)</option>')
    expect(html).toContain('the end of Tuesday 7 April 2026, UK time (2026-04-07T23:00:00.000Z)')
    const quarantined = renderAckForm({ ...view, obligation: row({ type: 'critical-quarantined' }) })
    expect(quarantined).not.toContain('value="redirect"')
    expect(renderAckForm({ ...view, problem: 'Please give your name and your organisation.', values: { name: '"x' } })).toContain('value="&#34;x"')
    expect(renderAckDone(row({}), 'already')).toContain('already answered')
  })
})
