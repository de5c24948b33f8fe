// The contract floor (bench/durable-floor.ts with FLOOR_MODE=contract), a contender of
// bench:ingress: it must do the work it claims, or its rate says nothing. A DUIS document is
// answered 200 only once its journal record is durable and ends up as an audit row; a document
// that is not a DUIS Response is answered 422; the bodies it posts reach the adapter.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from './support/wait-for.js'

const ROOT = join(import.meta.dirname, '..')
const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3')
const doc = readFileSync(join(ROOT, 'test/fixtures/duis/device-alert-8F0F-default-ns.xml'))
let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
  cleanup = []
})

async function adapter(): Promise<{ url: string; posts: string[] }> {
  const posts: string[] = []
  const server: Server = createServer((req, res) => {
    posts.push(String(req.headers['idempotency-key']))
    req.resume().on('end', () => res.end())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanup.push(() => new Promise((r) => server.close(() => r())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts }
}

async function post(url: string, body: Buffer): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/duis`, { method: 'POST', body, headers: { 'content-type': 'application/xml' } })
  return { status: res.status, text: await res.text() }
}

describe('the contract floor', () => {
  it('parses, journals and projects each accepted document, answers 422 for one it cannot parse, and posts the bodies', { timeout: 60_000 }, async () => {
    const a = await adapter()
    const dir = mkdtempSync(join(tmpdir(), 'dccgw-contract-floor-'))
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }))
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/durable-floor.ts'), a.url, dir], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOOR_MODE: 'contract' },
    })
    const exited = new Promise<number | null>((r) => child.once('exit', r))
    cleanup.push(async () => { if (child.exitCode === null) child.kill('SIGKILL') })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c))
    child.stderr.on('data', (c: Buffer) => (err += c))
    const url = await waitFor('the floor to listen', () => /listening on (http\S+)/.exec(out)?.[1], 30_000)

    const ok = await post(url, doc)
    expect(ok.status).toBe(200)
    const answer = JSON.parse(ok.text) as { messageId: string; decision: string; reason: string }
    expect(answer).toMatchObject({ decision: 'drop', reason: 'stale-cos-noncritical' })
    expect((await post(url, Buffer.from('<Response><Header>'))).status).toBe(422)
    await waitFor('the first body at the adapter', () => a.posts.length === 1)
    expect(a.posts).toEqual(['floor-0'])
    expect(readdirSync(join(dir, 'journal')).some((f) => f.endsWith('.seg'))).toBe(true)

    child.kill('SIGTERM') // the floor applies what waits, then stops its projection
    expect(await exited).toBe(0)
    expect(err).toBe('')
    const db = new Database(join(dir, 'gateway.db'), { readonly: true })
    try {
      const rows = db.prepare('SELECT message_id, decision, reason FROM messages').all() as { message_id: string; decision: string; reason: string }[]
      expect(rows).toHaveLength(1)
      expect(rows[0]).toEqual({ message_id: answer.messageId, decision: 'drop', reason: 'stale-cos-noncritical' })
      expect(answer.messageId).toMatch(/@/)
    } finally {
      db.close()
    }
  })
})
