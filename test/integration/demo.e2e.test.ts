// `npm start` (serve with no config) runs the embedded demo, and the curl line
// it prints returns 200 with a decision. Run as a new user would: a fresh working directory.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { ROOT, tempDir, waitFor } from './harness.js'

it('serves the embedded demo and the printed curl line gets a decision', async () => {
  const cwd = tempDir('dccgw-demo-')
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'serve'], {
    cwd,
    env: { ...process.env, DCC_GATEWAY_SERVER_PORT: '0', DCC_GATEWAY_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  try {
    const m = await waitFor('the curl line', () => /curl -s -H 'content-type: application\/xml' --data-binary @(\S+) (http\S+)/.exec(out) ?? undefined, 20_000)
    const [, file, url] = m
    const res = await fetch(url!, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: readFileSync(file!) })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ decision: 'deliver', reason: 'responsible' })
    await waitFor('outbox delivery', () => existsSync(join(cwd, 'data', 'outbox', 'ACME')) || undefined)
    expect(existsSync(join(cwd, 'data', 'gateway.db'))).toBe(true)
  } finally {
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
  }
})
