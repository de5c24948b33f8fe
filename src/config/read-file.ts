// Reads a YAML or JSON configuration file (YAML 1.2 is a superset of JSON, so one parser
// serves both). Syntax errors name file:line:col, one line each.
import { readFileSync } from 'node:fs'
import { LineCounter, parseDocument } from 'yaml'
import { ConfigError } from './errors.js'

/** Parsed content of `file`; `label` is how messages name it. An empty file is `{}`. */
export function readConfigFile(file: string, label: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? String(err)})`
    throw new ConfigError([`${label}: ${why}`], { cause: err })
  }
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  if (doc.errors.length) {
    throw new ConfigError(doc.errors.map((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0])
      return `${label}:${line}:${col}: ${e.message}`
    }))
  }
  return doc.toJS() ?? {}
}
