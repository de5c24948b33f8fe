// The configuration validator compiled ahead of time: the build (scripts/gen-config-validator.mjs)
// writes ajv's standalone code for schemas/config.schema.json beside the compiled validate.js, so
// a start need not compile the schema (~150 ms of the main thread on the reference machine, every
// start and every CLI command: docs/operations.md, "Restarts"). The code carries the SHA-256 of the
// schema text it was made from; validate.ts uses it only when that matches the schema read now,
// and compiles at run time otherwise (from source, or a schema edited after the build).
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Options, ValidateFunction } from 'ajv'

/** The options of the one validator, ahead of time or at run time: it also fills in every default. */
export const AJV_OPTIONS: Options = { strict: true, allErrors: true, useDefaults: true, verbose: true }

/** The file name the build writes, beside validate.js. */
export const VALIDATOR_FILE = 'config-validator.cjs'

export function schemaSha256(schemaText: string): string {
  return createHash('sha256').update(schemaText).digest('hex')
}

/** The validator the build wrote at `file`, if it is there and was made from `schemaText`. */
export function precompiledValidator(file: string, schemaText: string): ValidateFunction | undefined {
  if (!existsSync(file)) return undefined
  const m = createRequire(import.meta.url)(file) as ValidateFunction & { schemaSha256?: string }
  return m.schemaSha256 === schemaSha256(schemaText) ? m : undefined
}
