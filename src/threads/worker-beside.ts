import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** module URL -> whether the compiled file is there (a build does not change under a running process) */
const found = new Map<string, boolean>()

/**
 * The compiled worker module `file` beside the calling module (`moduleUrl`: its import.meta.url),
 * when it is there: in dist/, `workerBeside(import.meta.url, './x-worker.js')` is dist/<folder>/x-worker.js.
 * Undefined when running from source (vitest loads the .ts files; no .js is beside them), where each
 * caller does the same work on the calling thread instead. Looked up once per file.
 */
export function workerBeside(moduleUrl: string, file: string): URL | undefined {
  const url = new URL(file, moduleUrl)
  let there = found.get(url.href)
  if (there === undefined) {
    there = url.protocol === 'file:' && existsSync(fileURLToPath(url))
    found.set(url.href, there)
  }
  return there ? url : undefined
}
