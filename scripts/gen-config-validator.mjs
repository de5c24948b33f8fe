// Run by `npm run build` after tsc: writes dist/config/config-validator.cjs, the configuration
// validator compiled ahead of time (src/config/validator-code.ts says why and when it is used).
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { validatorSource } from '../dist/config/validator-build.js'
import { VALIDATOR_FILE } from '../dist/config/validator-code.js'

const schema = readFileSync(fileURLToPath(new URL('../schemas/config.schema.json', import.meta.url)), 'utf8')
writeFileSync(fileURLToPath(new URL(`../dist/config/${VALIDATOR_FILE}`, import.meta.url)), validatorSource(schema))
