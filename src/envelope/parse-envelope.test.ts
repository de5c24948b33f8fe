import { describe, expect, it } from 'vitest'
import { readFixtures } from '../../test/fixtures/duis/read-fixtures.js'
import { DEFAULT_ENVELOPE_LIMITS as L, EnvelopeErrors, messageIdOf, parseEnvelope, type Envelope } from './index.js'
import { parseEnvelopeReference } from '../../test/support/parse-reference.js'

const valid = readFixtures('test/fixtures/duis')
const invalid = readFixtures('test/fixtures/duis/invalid')
const hostile = readFixtures('test/fixtures/hostile')
const demo = readFixtures('examples/demo/duis')
const byName = new Map(valid)

function parse(name: string): Envelope {
  const r = parseEnvelope(byName.get(name)!, L)
  if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.detail}`)
  return r.value
}

const DEV = '00-12-34-56-78-AB-CD-EF'
const USER = '90-B3-D5-1F-30-01-00-00'
const critical = { firstByte: 0xdf, originator: DEV, recipient: USER, counter: '2000' }

describe('valid fixtures', () => {
  it('has at least 25 valid documents', () => expect(valid.length).toBeGreaterThanOrEqual(25))
  it.each(valid)('%s parses', (_name, body) => {
    const r = parseEnvelope(body, L)
    expect(r.ok ? 'ok' : r.error).toBe('ok')
  })
  it.each(demo)('demo %s parses', (_name, body) => expect(parseEnvelope(body, L).ok).toBe(true))

  it('domain example A: critical device alert, default namespace', () => {
    expect(parse('device-alert-8F0F-default-ns.xml')).toEqual({
      schemaVersion: '5.4', responseCode: 'I0', responseDateTime: '2025-03-14T08:15:30.120Z', responseTime: Date.UTC(2025, 2, 14, 8, 15, 30, 120),
      kind: 'device_alert', bodyElement: 'DeviceAlertMessage', alertCode: '8F0F', mpxns: [], deviceIds: [],
      responseId: { raw: `${DEV}:${USER}:2000`, originator: DEV, target: USER, counter: '2000' },
      gbcs: critical, hasGbcsPayload: true, hasSignature: false,
    })
  })
  it('domain example B: scheduled read, prefix d, lower-case EUIs, counter 2^64-1, 0xDD payload', () => {
    const e = parse('scheduled-read-4.6.1-prefix-d-lowercase-eui.xml')
    expect(e).toMatchObject({ kind: 'response', serviceReference: '4.6', serviceReferenceVariant: '4.6.1', responseContent: 'DSPScheduledMessage', schemaVersion: '5.3' })
    expect(e.responseId).toEqual({ raw: '00-12-34-56-78-ab-cd-ef:90-b3-d5-1f-30-01-00-00:18446744073709551615', originator: DEV, target: USER, counter: '18446744073709551615' })
    expect(BigInt(e.responseId!.counter)).toBe((1n << 64n) - 1n)
    expect(e.gbcs).toEqual({ firstByte: 0xdd, originator: DEV, recipient: USER, counter: '2001' })
  })
  it('domain example C: DCC alert N16 with device and MPxN', () => {
    expect(parse('dcc-alert-N16-change-of-supplier-mpxn.xml')).toMatchObject({
      kind: 'dcc_alert', dccAlertCode: 'N16', dccAlertType: 'ChangeOfSupplier', mpxns: ['1200012345679'], deviceIds: [DEV], hasGbcsPayload: false,
    })
  })
  it('namespace spellings (default, sr:, d:, inner redeclaration, CDATA, comments, BOM) give equal results', () => {
    const base = parse('device-alert-8F0F-default-ns-compact.xml')
    for (const f of ['device-alert-8F0F-prefix-sr.xml', 'device-alert-8F0F-prefix-d.xml', 'device-alert-8F0F-inner-default-ns-redeclared.xml',
      'device-alert-8F0F-comments-and-cdata.xml', 'device-alert-8F0F-utf8-bom.xml', 'device-alert-8F0F-default-ns.xml']) {
      expect(parse(f), f).toEqual(base)
    }
  })
  it('the pretty-printed CRLF copy equals the compact document', () => {
    expect(parse('device-alert-8F0F-prefix-sr-pretty-crlf.xml')).toEqual(parse('device-alert-8F0F-prefix-sr.xml'))
  })
  it('a ds:Signature after Body sets hasSignature (ds: or DCC Boxed ns3: prefix)', () => {
    const plain = parse('device-alert-8F0F-prefix-sr.xml')
    expect(parse('device-alert-8F0F-with-signature.xml')).toEqual({ ...plain, hasSignature: true })
    expect(parse('device-alert-8F0F-signature-ns3-on-root.xml')).toEqual({ ...plain, hasSignature: true })
    expect(parse('smets1-response-with-alert-8F0F.xml').hasSignature).toBe(false) // the SMETS1 inner signature is not the envelope's
  })
  it('schema versions 5.0 5.1 5.3 5.4 and an unknown 6.0 are accepted as written', () => {
    for (const v of ['5.0', '5.1', '5.3', '6.0']) {
      const name = [...byName.keys()].find((f) => f.includes(`schema-${v}`))!
      expect(parse(name).schemaVersion).toBe(v)
    }
  })
  it('counters beyond 2^53 stay exact and give different messageIds', () => {
    const a = parse('device-alert-counter-beyond-2pow53-a.xml')
    const b = parse('device-alert-counter-beyond-2pow53-b.xml')
    expect(Number(a.responseId!.counter)).toBe(Number(b.responseId!.counter)) // why Number is banned
    expect(BigInt(b.responseId!.counter) - BigInt(a.responseId!.counter)).toBe(1n)
    expect(a.gbcs!.counter).toBe('9007199254740992')
    expect(b.gbcs!.counter).toBe('9007199254740993')
    const idA = messageIdOf(a, byName.get('device-alert-counter-beyond-2pow53-a.xml')!)
    const idB = messageIdOf(b, byName.get('device-alert-counter-beyond-2pow53-b.xml')!)
    expect(idA).not.toBe(idB)
    expect(parse('device-alert-counter-2pow64-minus-1.xml').responseId!.counter).toBe('18446744073709551615')
  })
  it('date-times: no zone is UTC, offsets are applied', () => {
    expect(parse('device-alert-datetime-no-zone.xml').responseTime).toBe(Date.UTC(2025, 2, 14, 8, 15, 30))
    expect(parse('device-alert-datetime-offset-plus-0100.xml').responseTime).toBe(Date.UTC(2025, 2, 14, 8, 15, 30, 120))
  })
  it('future-dated 8F66, SMETS1, E4 with only a RequestID, PowerOutageEvent, inventory', () => {
    expect(parse('future-dated-8F66-response.xml')).toMatchObject({ kind: 'response', responseContent: 'FutureDatedDeviceAlertMessage', alertCode: '8F66', gbcs: { firstByte: 0xdd } })
    expect(parse('smets1-response-with-alert-8F0F.xml')).toMatchObject({ kind: 'smets1', bodyElement: 'SMETS1ResponseMessage', smets1Originator: DEV, alertCode: '8F0F' })
    expect(parse('smets1-response-with-alert-8F0F.xml').dspScheduled).toBeUndefined()
    // A SMETS1 DSP-scheduled read (DSPScheduleID before SMETS1SignedResponse)
    expect(parse('smets1-dsp-scheduled-read.xml')).toMatchObject({ kind: 'smets1', smets1Originator: DEV, serviceReferenceVariant: '4.6.1', dspScheduled: true })
    expect(parse('smets1-dsp-scheduled-read.xml').alertCode).toBeUndefined()
    const e4 = parse('e4-response-request-id-only.xml')
    expect(e4).toMatchObject({ responseCode: 'E4', serviceReferenceVariant: '4.1.1', requestId: { originator: USER, target: DEV, counter: '1005' } })
    expect(e4.responseId).toBeUndefined()
    expect(e4.responseContent).toBeUndefined()
    expect(parse('dcc-alert-AD1-power-outage.xml')).toMatchObject({ dccAlertCode: 'AD1', dccAlertType: 'PowerOutageEvent', mpxns: ['1200012345679'], deviceIds: ['00-12-34-56-78-AB-CD-F3'] })
    expect(parse('dsp-inventory-8.2-several-devices-mpxns.xml')).toMatchObject({
      responseContent: 'DSPInventory',
      mpxns: ['1200012345679', '1030006718997', '3938424403', '1312345678907'],
      deviceIds: [DEV, '00-12-34-56-78-AB-CD-F2', '00-12-34-56-78-AB-CD-F3', '00-12-34-56-78-AB-CD-F5', '00-12-34-56-78-AB-CD-F6'],
    })
    expect(parse('dcc-alert-N24-device-status-change-export-mpan.xml').mpxns).toEqual(['1200012345679', '1030006718997'])
    expect(parse('dcc-alert-N24-device-status-change-export-mpan.xml').exportMpans).toEqual(['1030006718997']) // an ExportMPAN: the ES role (docs/decisions.md)
    expect(parse('dcc-alert-AD1-power-outage.xml').exportMpans).toBeUndefined()
  })
  it('throttle fields pass through; alert codes are upper-cased', () => {
    expect(parse('device-alert-throttled.xml')).toMatchObject({ throttledAlertSequenceId: '17', throttledAlertCount: '250' })
    expect(parse('device-alert-810D-non-critical-dd-payload.xml')).toMatchObject({ alertCode: '810D', gbcs: { ...critical, firstByte: 0xdd } })
  })
  it('GBCS: unreadable header gives only firstByte; supplementary remote party replaces the recipient', () => {
    expect(parse('device-alert-gbcs-unreadable-payload.xml').gbcs).toEqual({ firstByte: 0 })
    expect(parse('device-alert-gbcs-supplementary-remote-party.xml').gbcs).toEqual({
      firstByte: 0xdf, originator: 'BC-33-AC-00-FE-FA-55-3C', recipient: USER, counter: '1660057693921',
    })
  })
  it('no ID: messageId is a body hash', () => {
    const body = byName.get('device-alert-no-ids.xml')!
    expect(messageIdOf(parse('device-alert-no-ids.xml'), body)).toMatch(/^sha256:[0-9a-f]{64}$/)
  })
})

describe('malformed documents', () => {
  it.each(invalid)('%s is rejected with a coded detail', (_name, body) => {
    const r = parseEnvelope(body, L)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(Object.values(EnvelopeErrors)).toContain(r.error.code)
    expect(r.error.detail).toMatch(/expected/)
  })
  const detail = (name: string): string => {
    const r = parseEnvelope(invalid.find(([f]) => f === name)![1], L)
    return r.ok ? 'ok' : `${r.error.code} ${r.error.detail}`
  }
  it('details say what, where and what was expected', () => {
    expect(detail('response-id-path-traversal.xml')).toBe(`DCCGW_ERR_ENVELOPE_HEADER_ID Header/ResponseID "../../etc/passwd:${USER}:1" at line 1: expected EUI64:EUI64:counter (8 hex octets joined by '-', decimal counter 0..2^64-1 without leading zeros)`)
    expect(detail('response-id-header-injection.xml')).toMatch(/^DCCGW_ERR_ENVELOPE_HEADER_ID Header\/ResponseID ".*\\r\\nX-Evil: 1" at line 1/)
    expect(detail('mismatched-end-tag.xml')).toMatch(/NOT_WELL_FORMED end tag "<\/sr:AlertCod>" at line 1: expected <\/sr:AlertCode>$/)
    expect(detail('missing-response-code.xml')).toMatch(/MISSING_ELEMENT Header\/ResponseCode is missing/)
    expect(detail('unknown-named-entity.xml')).toMatch(/ENTITY reference "&nbsp;"/)
    expect(detail('response-id-counter-over-2pow64.xml')).toMatch(/HEADER_ID/)
  })
  it('reports the line of a bad ID in a pretty-printed document', () => {
    const body = Buffer.from(byName.get('device-alert-8F0F-prefix-sr-pretty-crlf.xml')!.toString().replace(':2000<', ':abc<'))
    const r = parseEnvelope(body, L)
    expect(r.ok ? '' : r.error.detail).toMatch(/^Header\/ResponseID ".*:abc" at line 4: expected EUI64:EUI64:counter/)
  })
})

describe('scanner and fast-xml-parser reference agree', () => {
  it.each([...valid, ...invalid, ...hostile, ...demo])('%s', (_name, body) => {
    const fast = parseEnvelope(body, L)
    const ref = parseEnvelopeReference(body, L)
    if (fast.ok || ref.ok) expect(fast).toEqual(ref)
    else expect(fast.error.code).toBe(ref.error.code)
  })
})
