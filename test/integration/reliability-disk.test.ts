// Disk trouble. The store's database is capped with SQLite `PRAGMA max_page_count` on every
// connection that writes it, the projection worker's included (`limitPages`: a size-limited file:
// writes past the cap fail with SQLITE_FULL exactly as on a full disk, and it works without root
// or a mount). Ingress must answer 503 + Retry-After, acknowledge nothing it
// did not store, and recover by itself when space returns.
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cleanupAfter, makeWorld, Recorder, sqliteOf, startInProcess, waitFor } from './harness.js'
import { alert, DEVICES, mixedMessage, postRaw } from './reliability-support.js'

const cleanup = cleanupAfter({ ignoreErrors: true })

describe('store full', () => {
  it('answers 503 STORE_UNAVAILABLE while the database cannot grow, stores nothing it did not acknowledge, and recovers', async () => {
    const adapter = await new Recorder().listen()
    adapter.respond = () => 503 // keep deliveries in the spool so the database must grow
    const world = makeWorld({ adapterUrl: adapter.url, extra: { limits: { retryAfterSeconds: 5 }, delivery: { breakerCooldownMs: 60_000, breakerFailures: 1 } } })
    const gw = await startInProcess(world)
    cleanup.push(() => adapter.close(), () => gw.close())
    expect((await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, 1))).status).toBe(200)

    // The disk is full: the file may not grow by a single page.
    const pages = sqliteOf(gw).db.pragma('page_count', { simple: true }) as number
    await sqliteOf(gw).limitPages(pages)
    const answers: { n: number; status: number; code?: string; retryAfter?: unknown; id?: string; expect: string }[] = []
    const send = async (n: number) => {
      const m = mixedMessage(n)
      const body = m.body + '<!--' + 'x'.repeat(8000) + '-->' // big enough that every write needs new pages
      const a = await postRaw(`${gw.url}/duis`, body)
      answers.push({ n, status: a.status, code: a.json?.code, retryAfter: a.headers['retry-after'], id: a.json?.messageId, expect: m.expect })
      return a.status
    }
    // The decisions go to the journal first; the SQLite projection finds the full file within one
    // projection interval (100 ms), and from then on ingress answers 503 (docs/journal.md).
    let n = 100
    while (n < 400 && (await send(n++)) !== 503);
    const firstFailed = answers.length - 1
    expect(answers[firstFailed]!.status).toBe(503)
    for (let k = 0; k < 50; k++) await send(n++)
    const failed = answers.filter((a) => a.status === 503)
    expect(answers.slice(firstFailed).every((a) => a.status === 503 || a.status === 422)).toBe(true) // once full, nothing more accepted
    expect(failed.length).toBeGreaterThan(40)
    for (const a of failed) expect([a.code, a.retryAfter]).toEqual(['DCCGW_ERR_STORE_UNAVAILABLE', '5'])
    expect(answers.every((a) => a.status === 503 || a.status === 200 || a.status === 422)).toBe(true)
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200)

    // Space returns: the next messages are accepted without a restart.
    await sqliteOf(gw).limitPages(1073741823)
    const after = await waitFor('accepted again', async () => {
      const a = await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, 2))
      return a.status === 200 && a
    })
    expect(after.status).toBe(200)
    const retried = await postRaw(`${gw.url}/duis`, mixedMessage(failed[0]!.n).body)
    expect(retried.status).not.toBe(503)
    await gw.close()

    // Nothing acknowledged that is not stored, and nothing stored that got a 503.
    const db = new Database(join(world.dir, 'data', 'gateway.db'), { readonly: true })
    try {
      const ids = (db.prepare('SELECT message_id AS id FROM messages').all() as { id: string }[]).map((r) => r.id)
      for (const a of answers.filter((x) => x.status === 200)) expect(ids).toContain(a.id)
      const stored = new Set(ids)
      const unacked = failed.filter((a) => a.expect !== 'malformed').map((a) => mixedMessage(a.n))
      // a 503'd message has no row (its id is derived from its ResponseID counter)
      for (const m of unacked) expect([...stored].some((id) => id.includes(`:${m.n}@`)), `#${m.n}`).toBe(m.n === failed[0]!.n && retried.status === 200)
      expect(stored.has(after.json.messageId)).toBe(true)
    } finally {
      db.close()
    }
  }, 60_000)
})
