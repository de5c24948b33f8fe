// The shipped package depends on what the running gateway imports, no more and
// no less. The image installs `dependencies` only (Dockerfile: npm prune --omit=dev), so a package
// the built gateway imports from devDependencies would fail there; one it never imports is weight.
// Reads the built gateway (dist/, built by `npm test` first).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { builtinModules } from 'node:module'
import { describe, expect, it } from 'vitest'
import { ROOT } from './integration/harness.js'

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? jsFiles(p) : p.endsWith('.js') ? [p] : []
  })
}

/** Package names a module imports (static, dynamic or require), without node: builtins and relative paths. */
export function importedPackages(js: string): string[] {
  const specs = [...js.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!)
  return specs
    .filter((s) => /^(@[\w.-]+\/)?[\w.-]+(\/.*)?$/.test(s) && !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!))
}

describe('package.json dependencies are what dist/ imports', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  const imported = new Set(jsFiles(join(ROOT, 'dist')).flatMap((f) => importedPackages(readFileSync(f, 'utf8'))))

  it('reads a real build', () => {
    expect(imported.has('pino')).toBe(true)
    expect(imported.has('better-sqlite3')).toBe(true)
  })

  it('every package the gateway imports is a dependency, and every dependency is imported', () => {
    expect([...imported].sort()).toEqual(Object.keys(pkg.dependencies).sort())
  })

  it('finds static, dynamic and require imports, scoped and deep, and leaves builtins and relative paths alone', () => {
    const js = `import a from 'pino'\nimport { x } from "@nats-io/kv/lib/x.js"\nconst y = await import('undici')\nconst z = require('xml-crypto')\nimport f from 'node:fs'\nimport p from 'path'\nimport r from './r.js'\nconst t = \`from '\${d.from}'\``
    expect(importedPackages(js)).toEqual(['pino', '@nats-io/kv', 'undici', 'xml-crypto'])
  })
})
