// When the store (or the pool) falls behind, ingress answers 503 + Retry-After
// instead of queueing without bound; every 200 is durable; memory stays flat under overload.
// A slow store is made by configuration: commits wait 250 ms and the commit queue is capped at
// 16; the pool (pool.size 1) is capped at 24 messages. The gateway runs as a child process so
// its RSS can be read from /proc, and is SIGKILLed before the store is inspected.
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Pool } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import { buildDuisDocument } from '../support/duis-builder.js'
import { ACME_USER, GatewayProcess, makeWorld } from './harness.js'

const DEVICE = '00-12-34-56-78-AB-CD-EF'
const TOTAL = 2000
const CONNECTIONS = 200

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : 0
  } catch {
    return 0 // the process has gone
  }
}

const doc = (k: number) => buildDuisDocument({ kind: 'device_alert', device: DEVICE, counter: k,
  responseId: `${DEVICE}:${ACME_USER}:${k}`, responseDateTime: '2025-03-14T08:15:30.120Z' })

describe('backpressure (issue #4)', () => {
  const procs: GatewayProcess[] = []
  afterAll(async () => {
    for (const p of procs) {
      await p.kill()
      rmSync(p.world.dir, { recursive: true, force: true })
    }
  })

  it.each([0, 1])('answers 503 + Retry-After past the bounds, every 200 durable, RSS bounded (pool.size %i)', async (size) => {
    const world = makeWorld({ extra: {
      store: { path: './data', synchronous: 'NORMAL', commitIntervalMs: 250, commitBatch: 100_000, maxQueueDepth: 16 },
      pool: { size, maxQueue: 24, batchSize: 8 },
      log: { level: 'warn' },
    } })
    const gw = await new GatewayProcess(world).start()
    procs.push(gw)
    const pid = gw.child!.pid!
    const client = new Pool(gw.url, { connections: CONNECTIONS, pipelining: 1 })
    const send = async (k: number) => {
      const res = await client.request({ path: '/duis', method: 'POST', body: doc(k), headers: { 'content-type': 'application/xml' } })
      const json = (await res.body.json()) as { messageId?: string; code?: string }
      return { status: res.statusCode, retryAfter: res.headers['retry-after'], json }
    }
    for (let k = 0; k < 20; k++) expect((await send(k)).status).toBe(200) // warm up, one at a time
    const rss0 = rssBytes(pid)
    let peak = rss0
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 25)
    let results: Awaited<ReturnType<typeof send>>[]
    try {
      results = await Promise.all(Array.from({ length: TOTAL }, (_, k) => send(1000 + k)))
    } finally {
      clearInterval(sampler)
      await client.close()
    }

    const ok = results.filter((r) => r.status === 200)
    const busy = results.filter((r) => r.status === 503)
    expect(ok.length + busy.length).toBe(TOTAL) // nothing else: no 500, no reset
    expect(busy.length).toBeGreaterThan(TOTAL / 10)
    expect(ok.length).toBeGreaterThan(16)
    for (const r of busy) {
      expect(r.retryAfter).toBe('2')
      expect(r.json.code).toBe('DCCGW_ERR_OVERLOADED')
    }
    // 2000 bodies of ~1 KiB in flight at most 200 at a time: a bound of 64 MiB is far above what
    // the bounded queues hold and far below what queueing everything (plus its promises) costs.
    expect(peak - rss0).toBeLessThan(64 * 1024 * 1024)

    await gw.kill('SIGKILL') // durable means durable without a clean shutdown
    // The journal holds what the SQLite projection had not applied at the kill; the next start
    // applies it before it listens (docs/journal.md), so killing that one at once loses nothing.
    const again = await new GatewayProcess(world).start()
    procs.push(again)
    await again.kill('SIGKILL')
    const db = new Database(join(world.dir, 'data', 'gateway.db'), { readonly: true })
    try {
      const has = db.prepare('SELECT 1 FROM messages WHERE message_id = ?')
      for (const r of ok) expect(has.get(r.json.messageId), r.json.messageId).toBeDefined()
      const n = (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n
      expect(n).toBe(20 + ok.length) // and nothing answered 503 was kept
    } finally {
      db.close()
    }
  }, 90_000) // one blast takes ~10 s on a quiet 2-core machine; generous for a shared one
})
