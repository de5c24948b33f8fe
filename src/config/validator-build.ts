// Build time (scripts/gen-config-validator.mjs) and tests: the source of the validator compiled ahead
// of time (validator-code.ts). Not loaded by a running gateway.
import { Ajv } from 'ajv'
import standalone from 'ajv/dist/standalone/index.js'
import { AJV_OPTIONS, schemaSha256 } from './validator-code.js'

/** CommonJS source of the validator of `schemaText` (module.exports: the function; .schemaSha256). */
export function validatorSource(schemaText: string): string {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } })
  const validate = ajv.compile(JSON.parse(schemaText) as object)
  return `${standalone.default(ajv, validate)}\nmodule.exports.schemaSha256 = ${JSON.stringify(schemaSha256(schemaText))};\n`
}
