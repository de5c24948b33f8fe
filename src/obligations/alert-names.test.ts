import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { alertName, namedAlertCodes } from './alert-names.js'

// The old table said 8F76 was "strong magnetic field removed" and 8F74 "terminal
// cover closed"; an acquirer was told a tamper ended when it started. The fixture is the GBCS
// alert code table (SmartDCCInnovation/gbcs-parser src/util.ts), one entry per code.
const table = JSON.parse(readFileSync(new URL('../../test/fixtures/gbcs-alert-codes.json', import.meta.url), 'utf8')) as Record<string, string>

describe('GBCS alert names', () => {
  it('names every code of the GBCS table, and no other', () => {
    expect(Object.keys(table)).toHaveLength(184)
    expect(namedAlertCodes().sort()).toEqual(Object.keys(table).sort())
  })

  for (const [code, name] of Object.entries(table)) {
    it(`${code} is "${name}"`, () => {
      expect(alertName(code)).toBe(name)
      expect(alertName(code.toLowerCase())).toBe(name)
    })
  }

  it('the tamper codes the old table got backwards', () => {
    expect(alertName('8F76')).toBe('Unauthorised Physical Access - Terminal Cover Removed')
    expect(alertName('8F74')).toBe('Unauthorised Physical Access - Meter Cover Removed')
    expect(alertName('8F73')).toBe('Unauthorised Physical Access - Battery Cover Removed')
    expect(alertName('8F77')).toBe('Unauthorised Physical Access - Second Terminal Cover Removed')
    expect(alertName('8F78')).toBe('Unauthorised Physical Access - Other')
    expect(alertName('8F30')).toBe('Source Does not have Authority for Command')
    expect(alertName('8F60')).toBe('Unusual numbers of malformed, out-of-order or unexpected Commands received')
    expect(alertName('8F33')).toBe('Supply Disabled then Armed - Load Limit triggered')
    expect(alertName('8F34')).toBe('Supply Enabled after Load Limit Restoration Period (Load Limit triggered)')
  })

  it('an unknown code is named by the code; no code at all is "Alert"', () => {
    expect(alertName('8fff')).toBe('Alert 8FFF')
    expect(alertName(undefined)).toBe('Alert')
  })
})
