// The hostile corpus (test/fixtures/hostile/corpus.ts, >= 100 named inputs) posted
// to one real gateway process; each must get its expected status, no answer may carry an injected
// header, no file may be written outside the outbox, and the gateway must be alive and healthy
// afterwards.
import { request as httpRequest } from 'node:http'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { hostileCorpus, type HostileCase } from '../fixtures/hostile/corpus.js'
import { cleanupAfter, GatewayProcess, makeWorld } from './harness.js'
import { alert, DEVICES, postRaw, type Answer } from './reliability-support.js'

const cleanup = cleanupAfter({ after: 'all', ignoreErrors: true })

/** Like postRaw, but honours the case's content type (none at all when '') and chunked encoding. */
/**
 * Over-limit bodies: the gateway answers 413 as soon as it has the headers (declared length) or
 * the first chunks past the limit (chunked), then closes. The body is written in 64 KiB steps and
 * writing stops once the answer is in, so the client reads the 413 rather than racing the close.
 */
function send(url: string, c: HostileCase): Promise<Answer> {
  if (!c.chunked && c.contentType !== '' && c.status !== 413) return postRaw(url, c.body, c.contentType === undefined ? {} : { 'content-type': c.contentType })
  return new Promise((resolve) => {
    const u = new URL(url)
    const headers: Record<string, string> = c.chunked
      ? { 'content-type': 'application/xml', 'transfer-encoding': 'chunked' }
      : { 'content-length': String(c.body.length), ...(c.contentType !== '' && { 'content-type': c.contentType ?? 'application/xml' }) }
    let answered = false
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, headers }, (res) => {
      answered = true
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined, headers: res.headers }))
    })
    req.on('error', (e) => resolve({ status: 0, json: (e as NodeJS.ErrnoException).code, headers: {} }))
    req.flushHeaders()
    void (async () => {
      for (let i = 0; i < c.body.length && !answered; i += 64 << 10) {
        if (!req.write(c.body.subarray(i, i + (64 << 10)))) await new Promise((r) => req.once('drain', r))
        if (i === 0) await new Promise((r) => setTimeout(r, 20))
      }
      if (!answered) req.end()
    })()
  })
}

describe('hostile corpus against the real gateway', () => {
  const corpus = hostileCorpus()

  it('has at least 100 uniquely named cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(100)
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length)
  })

  it('answers every case with its expected status, leaks no header, and stays healthy', async () => {
    const world = makeWorld() // no adapter URL: deliveries are files in the outbox
    const gp = await new GatewayProcess(world).start()
    cleanup.push(() => gp.kill())
    const wrong: string[] = []
    const started = Date.now()
    for (const c of corpus) {
      const a = await send(`${gp.url}/duis`, c)
      if (a.status !== c.status) wrong.push(`${c.name}: expected ${c.status}, got ${a.status} ${JSON.stringify(a.json)?.slice(0, 200)}`)
      const names = Object.keys(a.headers).map((h) => h.toLowerCase())
      if (names.includes('x-injected') || names.includes('set-cookie')) wrong.push(`${c.name}: injected header in the answer`)
      if (a.status >= 400 && a.status !== 0 && a.json?.type === undefined) wrong.push(`${c.name}: ${a.status} without a problem body`)
    }
    expect(wrong).toEqual([])
    expect(Date.now() - started).toBeLessThan(45_000)

    expect(gp.child!.exitCode).toBe(null) // nothing crashed
    expect((await fetch(`${gp.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${gp.url}/readyz`)).status).toBe(200)
    expect((await postRaw(`${gp.url}/duis`, alert(DEVICES.acme, 1))).status).toBe(200)
    // Stopped first: a running gateway's outbox writer renames its temporary files while the walk
    // would stat them (a listed name gone by its stat failed this test under load).
    expect(await gp.kill('SIGTERM')).toBe(0)
    // Files appear only under the outbox, with safe names (and the compiled registry snapshot,
    // named by its creation time: registry data, never a payload).
    for (const f of walk(join(world.dir, 'data'))) {
      const rel = relative(join(world.dir, 'data'), f)
      if (!rel.includes('/')) continue // the gateway's own files (gateway.db, keys), not named after an ID
      if (/^registry-snapshots\/registry-\d{8}T\d{9}Z-\d+\.snap$/.test(rel)) continue
      if (/^journal\/\d{10}\.seg$/.test(rel)) continue // journal segments: numbered, never named after an ID
      expect(rel).toMatch(/^outbox\/[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/)
    }
  }, 60_000)
})

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) yield* walk(p)
    else yield p
  }
}
