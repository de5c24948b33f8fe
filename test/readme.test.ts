// README's tables are the operator's reference: every reason code and every error code in the
// code must appear there, and README may not list one the code does not have.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { IngressErrors, REASONS } from '../dist/index.js'

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8')

describe('README', () => {
  it('opens with the two commands', () => {
    expect(readme.indexOf('npm ci && npm start')).toBeGreaterThan(0)
    expect(readme.indexOf('npm ci && npm start')).toBeLessThan(200)
    expect(readme).toContain('npm ci && npm test')
  })
  it('lists exactly the reason codes of src/policy/reasons.ts', () => {
    const listed = [...readme.matchAll(/^\| `([a-z-]+)` \| (deliver|forward|drop|quarantine)/gm)].map((m) => m[1])
    expect(new Set(listed)).toEqual(new Set(Object.keys(REASONS)))
  })
  it('lists every ingress error code with its status', () => {
    for (const e of Object.values(IngressErrors)) expect(readme).toContain(`| \`${e.code}\` | ${e.status} |`)
    const listed = [...readme.matchAll(/`(DCCGW_ERR_[A-Z_]+)` \| \d{3}/g)].map((m) => m[1])
    expect(new Set(listed)).toEqual(new Set(Object.values(IngressErrors).map((e) => e.code)))
  })
})
