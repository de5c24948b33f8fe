// Hostile input: every case is a rejection with a code, returned (never thrown) in bounded time.
import { describe, expect, it } from 'vitest'
import { readFixtures } from '../../test/fixtures/duis/read-fixtures.js'
import { DEFAULT_ENVELOPE_LIMITS as L, parseEnvelope } from './index.js'
import { buildDuisDocument } from '../../test/support/duis-builder.js'

const ok = buildDuisDocument({ kind: 'device_alert', responseId: '00-12-34-56-78-AB-CD-EF:90-B3-D5-1F-30-01-00-00:1' })
const SUG = 'http://www.dccinterface.co.uk/ServiceUserGateway'

function timed(body: Uint8Array): { code: string; ms: number } {
  const t0 = performance.now()
  const r = parseEnvelope(body, L)
  return { code: r.ok ? 'ok' : r.error.code, ms: performance.now() - t0 }
}

const generated: Array<[string, string, Buffer]> = [
  ['deep nesting 100k', 'LIMIT', Buffer.from(ok.replace('<sr:ResponseCode>', `${'<sr:a>'.repeat(100_000)}${'</sr:a>'.repeat(100_000)}<sr:ResponseCode>`))],
  ['deep nesting, never closed', 'LIMIT', Buffer.from(`<sr:Response xmlns:sr="${SUG}"><sr:Header>` + '<sr:x>'.repeat(200_000))],
  ['huge attribute 4 MiB', 'LIMIT', Buffer.from(ok.replace('schemaVersion="5.4"', `schemaVersion="5.4" x="${'A'.repeat(4 << 20)}"`))],
  ['huge text 4 MiB', 'LIMIT', Buffer.from(ok.replace('<sr:AlertCode>8F0F', `<sr:AlertCode>${'8'.repeat(4 << 20)}`))],
  ['huge CDATA 4 MiB', 'LIMIT', Buffer.from(ok.replace('<sr:AlertCode>8F0F', `<sr:AlertCode><![CDATA[${'8'.repeat(4 << 20)}]]>`))],
  ['200k sibling elements', 'LIMIT', Buffer.from(ok.replace('</sr:DeviceAlertMessage>', `${'<sr:Pad/>'.repeat(200_000)}</sr:DeviceAlertMessage>`))],
  ['10k attributes on one element', 'LIMIT', Buffer.from(ok.replace('schemaVersion="5.4"', Array.from({ length: 10_000 }, (_, k) => `a${k}="1"`).join(' ')))],
  ['10k namespace declarations', 'LIMIT', Buffer.from(ok.replace('schemaVersion="5.4"', Array.from({ length: 10_000 }, (_, k) => `xmlns:p${k}="u${k}"`).join(' ')))],
  ['unclosed attribute quote', 'NOT_WELL_FORMED', Buffer.from(`<sr:Response xmlns:sr="${SUG}" schemaVersion="${'5'.repeat(1000)}`)],
  ['1 MiB of "<"', 'NOT_WELL_FORMED', Buffer.from('<'.repeat(1 << 20))],
  ['1 MiB of "&" in text', 'ENTITY', Buffer.from(ok.replace('<sr:AlertCode>8F0F', `<sr:AlertCode>${'&'.repeat(1 << 19)}`))],
  ['many unknown entities', 'ENTITY', Buffer.from(ok.replace('<sr:AlertCode>8F0F', `<sr:AlertCode>${'&lol;'.repeat(100_000)}`))],
  ['many comments', 'ok', Buffer.from(ok.replace('<sr:Body>', `<sr:Body>${'<!-- x -->'.repeat(100_000)}`))],
  ['random bytes 1 MiB', 'any', Buffer.from(Array.from({ length: 1 << 20 }, (_, k) => (k * 2654435761) >>> 24))],
]

// Bounded time, not speed (speed is measured in bench/): a hang or a quadratic blow-up on these
// inputs takes seconds to minutes, while a linear scan takes milliseconds. 1 s leaves room for a
// loaded 2-core CI machine (a 50 ms bound once failed there at 76 ms).
const BOUND_MS = 1000

describe('hostile seeds', () => {
  it.each(readFixtures('test/fixtures/hostile'))('%s is rejected in bounded time', (_name, body) => {
    const r = timed(body)
    expect(r.code).toMatch(/^DCCGW_ERR_ENVELOPE_/)
    expect(r.ms).toBeLessThan(BOUND_MS)
  })
  it.each(generated)('%s -> %s, in bounded time', (_name, want, body) => {
    timed(body) // warm up
    const r = timed(body)
    if (want === 'ok') expect(r.code).toBe('ok')
    else if (want === 'any') expect(r.code).toMatch(/^DCCGW_ERR_ENVELOPE_/)
    else expect(r.code).toBe(`DCCGW_ERR_ENVELOPE_${want}`)
    expect(r.ms).toBeLessThan(BOUND_MS)
  })
})

describe('regressions', () => {
  // The attribute array is reused across elements with an explicit count; a lastIndexOf with
  // fromIndex -1 once searched stale names and rejected <a x="1"/><b x="1"/> as a duplicate.
  it('the same attribute name on consecutive elements is not a duplicate', () => {
    const body = Buffer.from(ok.replace('<sr:Body>', '<sr:Body>').replace('schemaVersion="5.4"', 'schemaVersion="5.4" a="1"')
      .replace('<sr:Header>', '<sr:Header a="1">'))
    expect(parseEnvelope(body, L).ok).toBe(true)
  })
})
