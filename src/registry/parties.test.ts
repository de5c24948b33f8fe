import { describe, expect, it } from 'vitest'
import { parseParties } from './parties.js'
import { PARTIES_YAML } from '../../test/fixtures/registry/world.js'

const base = `
- id: A
  name: A
  dccUser: true
  mpids: [AAAA]
  userIds: [{ eui64: 90-B3-D5-1F-30-01-00-00, role: IS }]
`
const expectFatal = (yaml: string, msg: RegExp) =>
  expect(() => parseParties(yaml, 'p.yaml')).toThrow(expect.objectContaining({ code: 'DCCGW_ERR_REGISTRY_PARTIES', message: expect.stringMatching(msg) }))

describe('parties.yaml', () => {
  it('accepts the test world, fills defaults and upper-cases IDs', () => {
    const ps = parseParties(PARTIES_YAML, 'p.yaml')
    expect(ps.map((p) => p.id)).toEqual(['ACME', 'BRITE', 'CEE', 'SOLAR'])
    expect(ps[0]!.userIds[1]!.eui64).toBe('90-B3-D5-1F-30-01-00-01')
    expect(ps[0]!.delegations).toEqual([])
  })
  it('is fatal with the path on schema and consistency errors', () => {
    expectFatal('- { id: A }', /p\.yaml: \/0 must have required property/)
    expectFatal(base.replace('role: IS', 'role: XX'), /\/0\/userIds\/0\/role must be one of/)
    expectFatal(base.replace('AAAA', 'AAAAA'), /\/0\/mpids\/0 must match pattern/)
    expectFatal(base + base, /\/1\/id "A" is already used by \/0/)
    expectFatal(base + base.replace('id: A', 'id: B').replace('AAAA', 'BBBB').replace('30-01-00-00', '30-01-00-00'.toLowerCase()),
      /\/1\/userIds\/0\/eui64 90-B3-D5-1F-30-01-00-00 is already a User ID of A/)
    expectFatal(base + base.replace('id: A', 'id: B').replace('01-00-00', '09-00-00'), /\/1\/mpids\/0 AAAA is already held by A/)
    expectFatal(base + '  delegations: [{ to: NOPE, from: "2025-01-01" }]\n', /\/0\/delegations\/0\/to "NOPE" is not a party/)
    expectFatal(base + '  bogus: 1\n', /unknown field "bogus"/)
    expectFatal('[: bad', /not valid YAML/)
  })
})
