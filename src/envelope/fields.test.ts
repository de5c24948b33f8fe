import { describe, expect, it } from 'vitest'
import { DEFAULT_ENVELOPE_LIMITS as L, messageIdOf, parseDuisDateTime, parseEnvelope, parseHeaderId, readGbcsHeader } from './index.js'
import { buildDuisDocument } from '../../test/support/duis-builder.js'
import { buildGbcsStub } from '../../test/support/gbcs-stub.js'

const DEV = '00-12-34-56-78-AB-CD-EF'
const USER = '90-B3-D5-1F-30-01-00-00'

describe('parseHeaderId', () => {
  it('normalises EUI-64s to upper case and keeps the counter as written', () => {
    expect(parseHeaderId('00-12-34-56-78-ab-cd-ef:90-b3-d5-1f-30-01-00-00:0')).toEqual({ raw: '00-12-34-56-78-ab-cd-ef:90-b3-d5-1f-30-01-00-00:0', originator: DEV, target: USER, counter: '0' })
    expect(parseHeaderId(`${DEV}:${USER}:18446744073709551615`)?.counter).toBe('18446744073709551615')
  })
  it.each([
    `${DEV}:${USER}:18446744073709551616`, `${DEV}:${USER}:01`, `${DEV}:${USER}:-1`, `${DEV}:${USER}:`, `${DEV}:${USER}:1 `,
    `${DEV}:${USER}:1\r\nX: 1`, `${DEV}:${USER}`, `${DEV}::1`, `0012345678ABCDEF:${USER}:1`, `${DEV}:${USER}:1:2`,
    `../${DEV}:${USER}:1`, `${DEV}:${USER}:1e3`, `${DEV}:${USER}:99999999999999999999999`, '',
  ])('rejects %j', (raw) => expect(parseHeaderId(raw)).toBeUndefined())
})

describe('parseDuisDateTime', () => {
  it.each([
    ['2025-03-14T08:15:30.120Z', Date.UTC(2025, 2, 14, 8, 15, 30, 120)],
    ['2025-03-14T08:15:30', Date.UTC(2025, 2, 14, 8, 15, 30)],
    ['2025-03-14T08:15:30.1234567-01:30', Date.UTC(2025, 2, 14, 9, 45, 30, 123)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2025-03-14T24:00:00Z', Date.UTC(2025, 2, 15)],
  ])('%s', (s, t) => expect(parseDuisDateTime(s)).toBe(t))
  it.each(['2025-02-29T00:00:00Z', '2025-03-14 08:15:30Z', '2025-03-14T08:60:00Z', '2025-03-14T24:00:01Z', '2025-03-14T08:15:30+15:00', '2025-3-14T08:15:30Z', ''])(
    'rejects %j', (s) => expect(parseDuisDateTime(s)).toBeUndefined())
})

describe('messageIdOf', () => {
  const parse = (opts: Parameters<typeof buildDuisDocument>[0]) => {
    const body = Buffer.from(buildDuisDocument(opts))
    const r = parseEnvelope(body, L)
    if (!r.ok) throw new Error(r.error.detail)
    return messageIdOf(r.value, body)
  }
  it('uses ResponseID, else RequestID, plus the normalised ResponseDateTime', () => {
    expect(parse({ kind: 'device_alert', responseId: `${DEV}:${USER}:7`, requestId: `${USER}:${DEV}:6`, responseDateTime: '2025-03-14T09:15:30+01:00' }))
      .toBe(`${DEV}:${USER}:7@2025-03-14T08:15:30.000Z`)
    expect(parse({ kind: 'response', requestId: `${USER.toLowerCase()}:${DEV}:6` })).toBe(`${USER}:${DEV}:6@2025-03-14T08:15:30.120Z`)
  })
  it('distinguishes counters that differ only beyond 2^53', () => {
    const a = parse({ kind: 'device_alert', responseId: `${DEV}:${USER}:18446744073709551614` })
    const b = parse({ kind: 'device_alert', responseId: `${DEV}:${USER}:18446744073709551615` })
    expect(Number('18446744073709551614')).toBe(Number('18446744073709551615'))
    expect(a).not.toBe(b)
  })
  it('is header-safe and a safe file name once ":" is replaced', () => {
    for (const id of [parse({ kind: 'device_alert', responseId: `${DEV}:${USER}:1` }), parse({ kind: 'device_alert' })]) {
      expect(id).toMatch(/^[0-9A-Za-z:@.\-]+$/)
      expect(id.replace(/:/g, '_')).not.toMatch(/[/\\\s]|^\.+$/)
    }
  })
})

describe('GBCS header', () => {
  it('reads domain stubs A (0xDF) and B (0xDD wrapping 0xDF)', () => {
    expect(readGbcsHeader('3wkDAAAAAAAAB9AIABI0Vnirze8IkLPVHzABAAAAAhAAAA==')).toEqual({ firstByte: 0xdf, originator: DEV, recipient: USER, counter: '2000' })
    expect(readGbcsHeader('3QAAAAAAADMRAAAAAN8JAwAAAAAAAAfRCAASNFZ4q83vCJCz1R8wAQAAAAIQAQAAAAAAAAAAAAAAAAA=')).toEqual({ firstByte: 0xdd, originator: DEV, recipient: USER, counter: '2001' })
  })
  it('buildGbcsStub reproduces stub A and round-trips any device, recipient and 64-bit counter', () => {
    expect(buildGbcsStub({ critical: true, originator: DEV, recipient: USER, counter: 2000 })).toBe('3wkDAAAAAAAAB9AIABI0Vnirze8IkLPVHzABAAAAAhAAAA==')
    for (const critical of [true, false]) {
      const h = readGbcsHeader(buildGbcsStub({ critical, originator: '00-DB-12-34-56-78-90-A0', recipient: '90-B3-D5-1F-30-00-00-02', counter: (1n << 64n) - 1n }))
      expect(h).toEqual({ firstByte: critical ? 0xdf : 0xdd, originator: '00-DB-12-34-56-78-90-A0', recipient: '90-B3-D5-1F-30-00-00-02', counter: '18446744073709551615' })
    }
  })
  it('decodes only a prefix: a 1 MiB payload costs the same as a stub', () => {
    const big = buildGbcsStub({ critical: true, originator: DEV, recipient: USER, counter: 1 }).replace(/=+$/, '') + 'A'.repeat(1 << 20)
    expect(readGbcsHeader(big)).toMatchObject({ firstByte: 0xdf, counter: '1' })
  })
  it('never fails on garbage', () => {
    for (const s of ['', '!!!!', '3w==', '3QA=', 'AAAA', '3QAAAAAAAP////8=']) expect(() => readGbcsHeader(s)).not.toThrow()
    expect(readGbcsHeader('3w==')).toEqual({ firstByte: 0xdf })
  })
})
