// The schema is the source; config.types.ts is generated from it and committed.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { generateConfigTypes, typesPath } from '../../scripts/gen-config-types.mjs'
import type { SchemaNode } from './env.js'
import { PATH_SETTINGS } from './paths.js'
import { getAt } from './pointer.js'
import { configSchema } from './validate.js'

// Settings whose absence means something ("no TLS", "no client-certificate check").
const NO_DEFAULT = new Set(['/server/tls/cert', '/server/tls/key', '/server/tls/ca'])

function* properties(node: SchemaNode, pointer = ''): Generator<[string, SchemaNode]> {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    yield [`${pointer}/${key}`, child]
    yield* properties(child, `${pointer}/${key}`)
  }
}

describe('config schema', () => {
  it('config.types.ts is what the schema generates', async () => {
    const committed = readFileSync(typesPath, 'utf8')
    expect(await generateConfigTypes(), 'src/config/config.types.ts is stale: run `npm run gen:config-types`').toBe(committed)
  })

  it('every property has a description, every leaf a default', () => {
    const missing: string[] = []
    for (const [pointer, node] of properties(configSchema())) {
      if (!node.description) missing.push(`${pointer}: description`)
      if (!node.properties && node.default === undefined && !NO_DEFAULT.has(pointer)) missing.push(`${pointer}: default`)
      if (node.properties && node.additionalProperties !== false) missing.push(`${pointer}: additionalProperties: false`)
    }
    expect(missing).toEqual([])
  })

  it('path settings exist and are strings', () => {
    const schema = configSchema()
    for (const pointer of PATH_SETTINGS) {
      const node = getAt(schema, pointer.replaceAll('/', '/properties/')) as SchemaNode | undefined
      expect(node?.type, pointer).toBe('string')
    }
  })
})
