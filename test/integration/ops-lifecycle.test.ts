// Lifecycle (docs/operations.md, "Logs and signals"): SIGTERM under load loses no accepted message and exits 0 within the grace
// period, even with deliveries hanging; SIGHUP reloads the registry and decisions follow it.
// Both run the real CLI (`dcc-alert-gateway serve`) as a child process.
import { once } from 'node:events'
import { appendFileSync, utimesSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { cleanupAfter, GatewayProcess, makeWorld, post, waitFor } from './harness.js'
import { alertDoc, OWN_DEVICE, parseExposition } from './ops-world.js'

const cleanup = cleanupAfter()

/** An adapter that accepts connections and never answers: deliveries hang until the gateway gives up. */
async function hangingAdapter(): Promise<{ url: string; server: Server }> {
  const sockets = new Set<Socket>()
  const server = createServer(() => {})
  server.on('connection', (s) => sockets.add(s))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanup.push(() => {
    for (const s of sockets) s.destroy()
    return new Promise((r) => server.close(r))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/adapter`, server }
}

describe('SIGTERM (graceful stop)', () => {
  it('under load: every request answered 200 is in the store, readyz turns 503, exit 0 within the grace period', async () => {
    const drainDelayMs = 500
    const shutdownGraceMs = 4000
    const adapter = await hangingAdapter()
    const world = makeWorld({
      adapterUrl: adapter.url,
      extra: {
        server: { host: '127.0.0.1', port: 0, drainDelayMs, shutdownGraceMs },
        // an attempt would hang 30 s: the stop must not wait for it
        delivery: { timeoutMs: 30_000, retryBaseMs: 20, retryMaxMs: 200, pollIntervalMs: 50 },
      },
    })
    const gp = await new GatewayProcess(world).start()
    cleanup.push(() => gp.kill())
    const child = gp.child!
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>

    const accepted: string[] = []
    const statuses: Record<string, number> = {}
    let stopping = false
    let sigtermAt = 0
    let acceptedAfterSigterm = 0
    const worker = async () => {
      while (child.exitCode === null && child.signalCode === null) {
        try {
          const r = await post(`${gp.url}/duis`, alertDoc(OWN_DEVICE))
          statuses[r.status] = (statuses[r.status] ?? 0) + 1
          if (r.status === 200) {
            accepted.push(r.json.messageId)
            if (stopping) acceptedAfterSigterm++
          }
        } catch {
          statuses.error = (statuses.error ?? 0) + 1 // connection refused/reset while stopping: not accepted
          if (stopping) await new Promise((r) => setTimeout(r, 10))
        }
      }
    }
    const workers = Array.from({ length: 12 }, worker)
    await waitFor('load to build up', () => accepted.length >= 150, 30_000)

    stopping = true
    sigtermAt = Date.now()
    child.kill('SIGTERM')
    const ready = await waitFor('readyz 503', async () => {
      const r = await fetch(`${gp.url}/readyz`)
      return r.status === 503 && r
    })
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ status: 'draining' })

    const [code] = await exited
    const elapsed = Date.now() - sigtermAt
    await Promise.all(workers)
    expect(code).toBe(0)
    expect(elapsed, `stopped in ${elapsed} ms`).toBeLessThan(drainDelayMs + shutdownGraceMs)
    expect(statuses['503'] ?? 0, JSON.stringify(statuses)).toBeGreaterThan(0) // draining answered 503, not silence
    expect(gp.output).toContain('SIGTERM: draining')

    const db = new Database(join(world.dir, 'data/gateway.db'), { readonly: true })
    try {
      const messages = new Set((db.prepare('SELECT message_id FROM messages').pluck().all() as string[]))
      const spooled = new Set((db.prepare('SELECT message_id FROM spool').pluck().all() as string[]))
      expect(accepted.filter((id) => !messages.has(id)), 'answered 200 but not in messages').toEqual([])
      // the adapter never answered: every accepted delivery must still be waiting in the spool
      expect(accepted.filter((id) => !spooled.has(id)), 'answered 200 but not spooled').toEqual([])
    } finally {
      db.close()
    }
    console.info(`SIGTERM under load: ${accepted.length} accepted (${acceptedAfterSigterm} after SIGTERM), statuses ${JSON.stringify(statuses)}, exit ${code} in ${elapsed} ms`)
  })
})

describe('SIGHUP (registry reload)', () => {
  it('reloads registrations.csv: the decision for the same MPxN changes; a bad file keeps the old index', async () => {
    const world = makeWorld()
    const gp = await new GatewayProcess(world).start()
    cleanup.push(() => gp.kill())
    const at = '2025-03-14T08:15:30.120Z'
    const noncritical = () => alertDoc(OWN_DEVICE, { code: '810D', critical: false, at })
    const before = await post(`${gp.url}/duis`, noncritical())
    expect(before.json).toMatchObject({ decision: 'deliver', reason: 'responsible' })
    const sourceTime = async () =>
      parseExposition(await fetch(`${gp.url}/metrics`).then((r) => r.text())).find((s) => s.name === 'dccgw_registry_source_timestamp_seconds' && s.labels.file === 'registrations')!.value
    const t0 = await sourceTime()

    // MPAN 1200012345679 (OWN_DEVICE's) moves to BRIT on 2025-03-01: ACME is now the losing supplier
    appendFileSync(join(world.dir, 'registrations.csv'), '1200012345679,BRIT,2025-03-01\n')
    const later = new Date(t0 * 1000 + 5_000) // a distinct mtime, whatever the file system's resolution
    utimesSync(join(world.dir, 'registrations.csv'), later, later)
    gp.child!.kill('SIGHUP')
    await waitFor('registry reloaded', () => gp.output.includes('registry reloaded'))
    const after = await post(`${gp.url}/duis`, noncritical())
    expect(after.json).toMatchObject({ decision: 'drop', reason: 'stale-cos-noncritical' })
    expect(await sourceTime()).toBeGreaterThan(t0)

    writeFileSync(join(world.dir, 'registrations.csv'), 'this is not a registrations file\n')
    gp.child!.kill('SIGHUP')
    await waitFor('reload failure reported', () => gp.output.includes('registry reload failed'))
    expect((await post(`${gp.url}/duis`, noncritical())).json).toMatchObject({ decision: 'drop', reason: 'stale-cos-noncritical' })
    const m = await fetch(`${gp.url}/metrics`).then((r) => r.text())
    expect(m).toContain('dccgw_registry_reloads_total{outcome="failed"} 1')
    expect(m).toContain('dccgw_registry_reloads_total{outcome="ok"} 2')
    expect(await gp.kill('SIGTERM')).toBe(0)
  })
})
