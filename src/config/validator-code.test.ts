// The configuration validator compiled ahead of time (validator-code.ts): used only when made from
// the schema read now, and then the same verdicts, defaults and errors as one compiled at run time.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { packageRoot, schemaFile } from './paths.js'
import { validatorSource } from './validator-build.js'
import { AJV_OPTIONS, precompiledValidator, VALIDATOR_FILE } from './validator-code.js'

// inside the package: the generated code requires ajv's runtime helpers (ajv/dist/runtime/...)
const cache = join(packageRoot(), 'node_modules', '.cache')
mkdirSync(cache, { recursive: true })
const dir = mkdtempSync(join(cache, 'dccgw-validator-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const schemaText = readFileSync(schemaFile(), 'utf8')

describe('the configuration validator compiled ahead of time', () => {
  const file = join(dir, VALIDATOR_FILE)
  writeFileSync(file, validatorSource(schemaText))

  it('is used only when it was made from the schema read now', () => {
    expect(precompiledValidator(file, schemaText)).toBeTypeOf('function')
    expect(precompiledValidator(file, schemaText.replace('"drop"', '"drop", "delete"'))).toBeUndefined() // a schema edited after the build
    expect(precompiledValidator(join(dir, 'absent.cjs'), schemaText)).toBeUndefined() // running from source
  })

  it('gives the verdicts, defaults and errors of the validator compiled at run time', () => {
    const ahead = precompiledValidator(file, schemaText)!
    const now = new Ajv(AJV_OPTIONS).compile(JSON.parse(schemaText) as object)
    const demo = parse(readFileSync(join(packageRoot(), 'examples/demo/gateway.yaml'), 'utf8')) as Record<string, unknown>
    const cases: unknown[] = [
      demo,
      {},
      { ...demo, policy: { nonCritical: 'delete' } },
      { ...demo, server: { host: 1, port: 'eighty', unknownKey: true } },
      { ...demo, delivery: { concurrency: -3 }, limits: { maxBodyBytes: 'x' } },
      [],
    ]
    const verdicts: boolean[] = []
    for (const c of cases) {
      const a = structuredClone(c)
      const b = structuredClone(c)
      verdicts.push(ahead(a))
      expect(verdicts.at(-1)).toBe(now(b))
      expect(a).toEqual(b) // the same defaults filled in
      const errs = (v: typeof ahead) => (v.errors ?? []).map((e) => ({ keyword: e.keyword, instancePath: e.instancePath, params: e.params, data: e.data }))
      expect(errs(ahead)).toEqual(errs(now))
    }
    expect(verdicts).toEqual([true, true, false, false, false, false]) // {}: every section has its defaults
  })

  it('is what the build wrote beside the compiled validate.js (npm run build)', () => {
    expect(precompiledValidator(join(packageRoot(), 'dist', 'config', VALIDATOR_FILE), schemaText)).toBeTypeOf('function')
  })
})
