// One ajv validator for schemas/config.schema.json: compiled ahead of time by the build when the
// schema is the one it was built from (validator-code.ts), else on first use. It also fills in every
// default, so defaults exist only in the schema. Errors become one line each:
//   gateway.yaml: /policy/nonCritical must be one of "drop", "quarantine" (got "delete")
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv'
import type { SchemaNode } from './env.js'
import { schemaFile } from './paths.js'
import { getAt, isPlainObject } from './pointer.js'
import { AJV_OPTIONS, precompiledValidator, VALIDATOR_FILE } from './validator-code.js'

let schemaText: string | undefined
let schema: SchemaNode | undefined
let validator: ValidateFunction | undefined

export function configSchema(): SchemaNode {
  return (schema ??= JSON.parse((schemaText ??= readFileSync(schemaFile(), 'utf8'))) as SchemaNode)
}

function compiled(): ValidateFunction {
  const schema = configSchema()
  return (validator ??= precompiledValidator(fileURLToPath(new URL(VALIDATOR_FILE, import.meta.url)), schemaText!) ?? compileNow(schema))
}

/** Compiles the schema now (from source, or a schema edited after the build): only then does this module ask for ajv. */
function compileNow(schema: SchemaNode): ValidateFunction {
  const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as { Ajv: typeof Ajv }
  return new AjvClass(AJV_OPTIONS).compile(schema)
}

/**
 * Validates `data` in place (adding defaults) and returns the problems, each prefixed by the
 * source of the offending value: `sourceOf(pointer)` names the file or the variable.
 */
export function validateConfig(data: unknown, sourceOf: (pointer: string) => string): string[] {
  const validate = compiled()
  const problems = validate(data) ? crossCheck(data) : (validate.errors ?? []).map(describe)
  return problems.map(([pointer, text]) => `${sourceOf(pointer)}: ${text}`)
}

type Problem = [pointer: string, text: string]

function describe(e: ErrorObject): Problem {
  const at = e.instancePath
  const field = at || '(top level)'
  const got = ` (got ${show(e.data)})`
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'enum':
      return [at, `${field} must be one of ${(p.allowedValues as unknown[]).map(show).join(', ')}${got}`]
    case 'type':
      return [at, `${field} must be ${String(p.type)}${got}`]
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as SchemaNode | undefined)?.properties ?? {})
      return [`${at}/${String(p.additionalProperty)}`, `unknown field ${at}/${String(p.additionalProperty)} (expected one of ${allowed.join(', ')})`]
    }
    case 'required':
      return [at, `${at}/${String(p.missingProperty)} is required`]
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
      return [at, `${field} must be ${String(p.comparison)} ${String(p.limit)}${got}`]
    case 'pattern':
      return [at, `${field} must match ${String(p.pattern)}${got}`]
    default:
      return [at, `${field} ${e.message ?? 'is invalid'}${got}`]
  }
}

/** Rules the schema cannot say (draft-07 without `if`, which json2ts would not carry over). */
function crossCheck(data: unknown): Problem[] {
  const problems: Problem[] = []
  const tls = getAt(data, '/server/tls')
  if (isPlainObject(tls) && tls.requireClientCert === true && tls.ca === undefined) {
    problems.push(['/server/tls/requireClientCert', '/server/tls/ca is required when /server/tls/requireClientCert is true'])
  }
  // A safety alert must never become droppable by configuration (README, "Configuration").
  const safety = new Set((asStrings(getAt(data, '/policy/safetyListedCodes'))).map((c) => c.toUpperCase()))
  asStrings(getAt(data, '/policy/consumptionDataCodes')).forEach((code, i) => {
    if (safety.has(code.toUpperCase())) {
      const at = `/policy/consumptionDataCodes/${i}`
      problems.push([at, `${at} ${show(code)} is also in /policy/safetyListedCodes: a safety-listed alert is never consumption data (remove it from one list)`])
    }
  })
  const listed = new Map<string, string>()
  for (const list of ['extraNonWorkingDays', 'extraWorkingDays']) {
    const days = getAt(data, `/calendar/${list}`)
    ;(Array.isArray(days) ? (days as string[]) : []).forEach((day, i) => {
      const at = `/calendar/${list}/${i}`
      if (!isCalendarDate(day)) problems.push([at, `${at} is not a calendar date (got ${show(day)})`])
      else if (listed.has(day) && listed.get(day) !== list) {
        problems.push([at, `${at} ${day} is also in /calendar/${listed.get(day)}`])
      }
      listed.set(day, list)
    })
  }
  return problems
}

function asStrings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

function isCalendarDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s
}

function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
