// parties.yaml (README, "Configuration"): validated with ajv against schemas/parties.schema.json, then checked
// across parties. Any problem is fatal and names the path: routing decisions hang on these few rows.
import { readFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import formatsModule, { type FormatsPlugin } from 'ajv-formats'
import { parse as parseYaml } from 'yaml'
import { parseDay } from './day.js'
import { RegistryLoadError } from './errors.js'
import type { Party } from './types.js'

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats: FormatsPlugin =
  (formatsModule as unknown as { default?: FormatsPlugin }).default ?? (formatsModule as unknown as FormatsPlugin)

let validator: ValidateFunction | undefined
function validate(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(new URL('../../schemas/parties.schema.json', import.meta.url), 'utf8'))
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true })
    addFormats(ajv)
    validator = ajv.compile(schema)
  }
  return validator
}

function describe(e: ErrorObject): string {
  const where = e.instancePath || '/'
  if (e.keyword === 'enum') return `${where} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
  if (e.keyword === 'additionalProperties') return `${where} has unknown field "${String(e.params.additionalProperty)}"`
  return `${where} ${e.message ?? 'is invalid'}`
}

/** Parse and check parties.yaml text; throws RegistryLoadError (DCCGW_ERR_REGISTRY_PARTIES). */
export function parseParties(text: string, file: string): Party[] {
  const fail = (msg: string): never => {
    throw new RegistryLoadError('DCCGW_ERR_REGISTRY_PARTIES', file, msg)
  }
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (err) {
    fail(`not valid YAML: ${(err as Error).message}`)
  }
  const v = validate()
  if (!v(doc)) fail(v.errors!.slice(0, 5).map(describe).join('; '))
  const parties = doc as Party[]
  const ids = new Map<string, number>()
  const users = new Map<string, string>()
  const mpids = new Map<string, string>()
  parties.forEach((p, i) => {
    if (ids.has(p.id)) fail(`/${i}/id "${p.id}" is already used by /${ids.get(p.id)}`)
    ids.set(p.id, i)
    p.delegations ??= []
    p.userIds.forEach((u, j) => {
      u.eui64 = u.eui64.toUpperCase()
      const other = users.get(u.eui64)
      if (other) fail(`/${i}/userIds/${j}/eui64 ${u.eui64} is already a User ID of ${other}`)
      users.set(u.eui64, `${p.id}`)
    })
    p.mpids = p.mpids.map((m) => m.toUpperCase())
    p.mpids.forEach((m, j) => {
      const other = mpids.get(m)
      if (other) fail(`/${i}/mpids/${j} ${m} is already held by ${other}`)
      mpids.set(m, p.id)
    })
  })
  parties.forEach((p, i) => {
    p.delegations.forEach((d, j) => {
      const at = `/${i}/delegations/${j}`
      if (!ids.has(d.to)) fail(`${at}/to "${d.to}" is not a party in this file`)
      if (d.to === p.id) fail(`${at}/to delegates ${p.id} to itself`)
      const from = parseDay(d.from)
      if (from < 0) fail(`${at}/from "${d.from}" is not a calendar date YYYY-MM-DD`)
      if (d.until !== undefined) {
        const until = parseDay(d.until)
        if (until < 0) fail(`${at}/until "${d.until}" is not a calendar date YYYY-MM-DD`)
        if (until <= from) fail(`${at}/until ${d.until} is not after from ${d.from}`)
      }
    })
  })
  return parties
}

export async function loadParties(path: string): Promise<Party[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new RegistryLoadError('DCCGW_ERR_REGISTRY_READ', path, (err as Error).message)
  }
  return parseParties(text, path)
}
