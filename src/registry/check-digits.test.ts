import { describe, expect, it } from 'vitest'
import { checkMpan, checkMprn, checkMpxn, checkMpxnKey } from './check-digits.js'
import { mpxnKey } from './keys.js'

// published and self-made MPANs/MPRNs with their recomputed check digits
const GOOD_MPAN = ['1800021679848', '1312345678907', '1030006718997', '1200012345679', '1412345678901']
const GOOD_MPRN = ['3938424403', '7452731806', '1234567810', '500301']

describe('check digits (domain §6)', () => {
  it('accepts the table values', () => {
    for (const m of GOOD_MPAN) expect(checkMpan(m), m).toBe(true)
    for (const m of GOOD_MPRN) expect(checkMprn(m), m).toBe(true)
    for (const m of [...GOOD_MPAN, ...GOOD_MPRN]) {
      expect(checkMpxn(m), m).toBe(true)
      expect(checkMpxnKey(mpxnKey(m)), m).toBe(true)
    }
  })
  it("flags DCC Boxed's template MPAN 1312345678333 (sum 1232, check should be 0)", () => {
    expect(checkMpan('1312345678333')).toBe(false)
    expect(checkMpan('1312345678330')).toBe(true)
    expect(checkMpxnKey(mpxnKey('1312345678333'))).toBe(false)
  })
  it('flags altered digits, wrong lengths and non-digits', () => {
    expect(checkMpan('1800021679847')).toBe(false)
    expect(checkMprn('3938424404')).toBe(false)
    expect(checkMprn('1234567811')).toBe(false)
    expect(checkMpxn('123456789012')).toBe(false) // 12 digits: neither
    expect(checkMpxn('12')).toBe(false)
    expect(checkMpan('18000216798a8')).toBe(false)
    expect(checkMpxnKey(mpxnKey('0500301'))).toBe(checkMprn('0500301'))
  })
})
