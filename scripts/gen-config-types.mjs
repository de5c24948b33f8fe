// Regenerates src/config/config.types.ts from schemas/config.schema.json (schema first,
// types generated, drift checked). Run: npm run gen:config-types.
// The drift test (src/config/config-types.test.ts) calls generateConfigTypes() and compares.
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { compile } from 'json-schema-to-typescript'

export const schemaPath = fileURLToPath(new URL('../schemas/config.schema.json', import.meta.url))
export const typesPath = fileURLToPath(new URL('../src/config/config.types.ts', import.meta.url))

/** Same output as `json2ts -i schemas/config.schema.json --no-additionalProperties`. */
export async function generateConfigTypes() {
  const schema = JSON.parse(await readFile(schemaPath, 'utf8'))
  return compile(schema, 'GatewayConfig', { additionalProperties: false })
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeFile(typesPath, await generateConfigTypes())
  console.log(`wrote ${typesPath}`)
}
