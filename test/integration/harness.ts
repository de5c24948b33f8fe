// Test harness: a real gateway (from dist/, built by `npm test`) on port 0, real HTTP adapter and
// webhook servers on port 0, a temporary world copied from examples/demo. No mocked fetch.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, afterEach } from 'vitest'
import { parse, stringify } from 'yaml'
import { pino } from 'pino'
import { loadConfig, startGateway, type Gateway } from '../../dist/index.js'
import { SqliteStore } from '../../dist/store/index.js'
import type { Clock } from '../../dist/index.js'
import { waitFor } from '../support/wait-for.js'

export { waitFor }

export const ROOT = resolve(import.meta.dirname, '../..')
export const DEMO = join(ROOT, 'examples/demo')
export const ACME_USER = '90-B3-D5-1F-30-01-00-00'

export interface Received {
  path: string
  headers: IncomingMessage['headers']
  body: Buffer
}

/** A recording HTTP server. `respond` picks the status per request (default 200). */
export class Recorder {
  readonly received: Received[] = []
  respond: (r: Received, n: number) => number = () => 200
  #server: Server
  url = ''

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const r = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) }
        this.received.push(r)
        res.writeHead(this.respond(r, this.received.length))
        res.end()
      })
    })
  }

  async listen(port = 0): Promise<this> {
    this.#server.listen(port, '127.0.0.1')
    await once(this.#server, 'listening')
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this
  }

  get port(): number {
    return Number(new URL(this.url).port)
  }

  /** delivered = answered 2xx */
  ok(): Received[] {
    return this.received.filter((_r, i) => this.statuses[i]! < 300)
  }

  get statuses(): number[] {
    return this.received.map((r, i) => this.respond(r, i + 1))
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise((r) => this.#server.close(r))
  }
}

// Temporary folders (worlds, stores, outboxes) go after the test file that made them: a hook
// registered while the importing file is collected attaches to that file's root suite.
const created: string[] = []
afterAll(() => {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true })
})

export function tempDir(prefix = 'dccgw-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  created.push(d)
  return d
}

/**
 * Teardown steps for the calling test file: push a step (sync or async); after each test (or, with
 * `after: 'all'`, after the file) they run last-pushed first. `ignoreErrors` keeps one failing step
 * from stopping the rest.
 */
export function cleanupAfter(opts: { after?: 'each' | 'all'; ignoreErrors?: boolean } = {}): (() => unknown)[] {
  const steps: (() => unknown)[] = []
  const hook = opts.after === 'all' ? afterAll : afterEach
  hook(async () => {
    for (const c of steps.splice(0).reverse()) {
      const run = Promise.resolve().then(c)
      await (opts.ignoreErrors ? run.catch(() => undefined) : run)
    }
  })
  return steps
}

export interface World {
  dir: string
  configFile: string
}

/**
 * A copy of the demo world in a temp folder, with ACME's adapter and BRITE's critical-alert
 * endpoint pointed at the given URLs. `extra` is merged into the gateway config.
 */
export function makeWorld(opts: { adapterUrl?: string; noticeUrl?: string; extra?: Record<string, unknown> } = {}): World {
  const dir = tempDir()
  for (const f of ['registrations.csv', 'devices.csv']) copyFileSync(join(DEMO, f), join(dir, f))
  const parties = parse(readFileSync(join(DEMO, 'parties.yaml'), 'utf8')) as Record<string, any>[]
  for (const p of parties) {
    if (p.id === 'ACME' && opts.adapterUrl) p.adapter = { url: opts.adapterUrl }
    if (p.id === 'BRITE' && opts.noticeUrl) p.criticalAlerts = { ...p.criticalAlerts, endpoint: opts.noticeUrl }
  }
  writeFileSync(join(dir, 'parties.yaml'), stringify(parties))
  const config = {
    server: { host: '127.0.0.1', port: 0 },
    tenants: ['ACME'],
    registry: { registrations: 'registrations.csv', devices: 'devices.csv', parties: 'parties.yaml' },
    policy: { nonCritical: 'drop' },
    store: { path: './data', synchronous: 'NORMAL' },
    admin: { token: 'test-token' },
    delivery: { retryBaseMs: 20, retryMaxMs: 200, pollIntervalMs: 50 },
    ...opts.extra,
  }
  const configFile = join(dir, 'gateway.yaml')
  writeFileSync(configFile, stringify(config))
  return { dir, configFile }
}

/**
 * DCC_GATEWAY_POOL_* from the environment reach in-process gateways too, so the whole suite can run
 * on the worker pool: `DCC_GATEWAY_POOL_SIZE=2 npx vitest run test/integration` (docs/performance.md).
 */
export const poolEnv = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('DCC_GATEWAY_POOL_') && e[1] !== undefined))

/** A gateway in this process; `clock`: the one it reads time from (test/support/clock.ts TestClock). */
export async function startInProcess(world: World, opts: { clock?: Clock } = {}): Promise<Gateway> {
  return startGateway(loadConfig({ file: world.configFile, env: poolEnv() }), { log: pino({ level: 'silent' }), ...opts })
}

export interface PostResult {
  status: number
  json: any
  headers: Headers
}

export async function post(url: string, body: string | Buffer, contentType = 'application/xml'): Promise<PostResult> {
  const payload = typeof body === 'string' ? body : new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  const res = await fetch(url, { method: 'POST', body: payload, headers: { 'content-type': contentType } })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers }
}

/**
 * Nothing waits in the gateway's spool (every dccgw_spool_depth series reads 0) and the projection
 * has applied every journal record (dccgw_projection_lag_records 0, where the store has a journal):
 * nothing more can be delivered, so a test can check what was not, without waiting for a timer it
 * cannot see. The projection matters: a notice it writes beside a record (a quarantined critical
 * alert's obligation) joins the spool only with its batch's answer (docs/journal.md).
 */
export async function spoolEmpty(gatewayUrl: string): Promise<boolean> {
  const lines = (await fetch(`${gatewayUrl}/metrics`).then((r) => r.text())).split('\n')
  const depth = lines.filter((l) => l.startsWith('dccgw_spool_depth{'))
  const lag = lines.find((l) => l.startsWith('dccgw_projection_lag_records '))
  return depth.length > 0 && depth.every((l) => l.endsWith(' 0')) && (lag === undefined || lag.endsWith(' 0'))
}

/** The gateway as a child process (`dcc-alert-gateway serve --config`), for crash/restart tests. */
export class GatewayProcess {
  child: ChildProcess | undefined
  url = ''
  output = ''

  constructor(readonly world: World) {}

  async start(): Promise<this> {
    this.output = ''
    const child = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'serve', '--config', this.world.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DCC_GATEWAY_LOG_LEVEL: 'warn' },
    })
    this.child = child
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()))
    const m = await waitFor('gateway to listen', () => /listening on (http\S+)/.exec(this.output) ?? (child.exitCode !== null && false), 20_000)
    this.url = m[1]!
    return this
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const child = this.child!
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
    child.kill(signal)
    const [code] = (await once(child, 'exit')) as [number | null]
    return code
  }
}

/** The embedded store behind a gateway (store.kind sqlite), for tests that reach into SQLite itself. */
export function sqliteOf(gw: Gateway): SqliteStore {
  if (!(gw.store instanceof SqliteStore)) throw new Error('this test needs store.kind sqlite')
  return gw.store
}
