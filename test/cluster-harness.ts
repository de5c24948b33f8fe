// A real NATS JetStream cluster for tests and the cluster bench: `nats-server` child processes on
// free local ports, generated config files, temporary store folders. No mocks, no skips: without
// nats-server installed the caller fails with the install command (.ci/run installs it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '@nats-io/transport-node'
import { jetstreamManager } from '@nats-io/jetstream'
import { waitFor } from './support/wait-for.js'

/** Path of nats-server, or a failure that says how to install it. */
export function natsServerBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/bin', '/usr/bin']
  for (const d of dirs) if (d !== '' && existsSync(join(d, 'nats-server'))) return join(d, 'nats-server')
  throw new Error('nats-server is not installed: run `apt-get install nats-server` (Debian package; .ci/run installs it)')
}

/**
 * `n` distinct free local ports. Every socket stays open until all are taken: a port closed at once
 * can come back from the next request, and two nodes were once given the same one (one node's
 * client port was another's route port: "address already in use", and the cluster never formed).
 */
async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createNetServer())
  for (const s of servers) {
    s.listen(0, '127.0.0.1')
    await once(s, 'listening')
  }
  const ports = servers.map((s) => (s.address() as AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

interface Node {
  name: string
  port: number
  clusterPort: number
  configFile: string
  child: ChildProcess | undefined
  log: string
}

/** n nats-server processes routed into one cluster, JetStream on, files under one temp folder. */
export class NatsCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'dccgw-nats-'))
  readonly nodes: Node[] = []
  readonly #bin = natsServerBinary()

  static async start(n = 3): Promise<NatsCluster> {
    const c = new NatsCluster()
    const ports = await freePorts(2 * n)
    for (let i = 1; i <= n; i++) c.nodes.push({ name: `n${i}`, port: ports[2 * i - 2]!, clusterPort: ports[2 * i - 1]!, configFile: '', child: undefined, log: '' })
    for (const node of c.nodes) c.#writeConfig(node)
    for (let i = 0; i < n; i++) c.startNode(i)
    await c.waitReady(n)
    return c
  }

  get urls(): string[] {
    return this.nodes.map((n) => `nats://127.0.0.1:${n.port}`)
  }

  #writeConfig(node: Node): void {
    const store = join(this.dir, node.name)
    mkdirSync(store, { recursive: true })
    const routes = this.nodes.filter((o) => o !== node).map((o) => `nats-route://127.0.0.1:${o.clusterPort}`)
    node.configFile = join(this.dir, `${node.name}.conf`)
    writeFileSync(
      node.configFile,
      [
        `server_name: ${node.name}`,
        `listen: 127.0.0.1:${node.port}`,
        `jetstream { store_dir: "${store}", max_memory_store: 64MB, max_file_store: 2GB }`,
        this.nodes.length > 1 ? `cluster { name: dccgw-test, listen: 127.0.0.1:${node.clusterPort}, routes: [${routes.join(', ')}] }` : '',
      ].join('\n'),
    )
  }

  startNode(i: number): void {
    const node = this.nodes[i]!
    const child = spawn(this.#bin, ['-c', node.configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
    node.child = child
    const keep = (d: Buffer) => (node.log = (node.log + d.toString()).slice(-20_000))
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
  }

  /** SIGKILL: no goodbye to the cluster, the way a crashed machine leaves. */
  async killNode(i: number): Promise<void> {
    const child = this.nodes[i]!.child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await once(child, 'exit')
  }

  /** Index of the node that leads a stream's RAFT group. */
  async leaderOf(stream: string): Promise<number> {
    const nc = await connect({ servers: this.urls })
    try {
      const jsm = await jetstreamManager(nc)
      const leader = (await jsm.streams.info(stream)).cluster?.leader
      return this.nodes.findIndex((n) => n.name === leader)
    } finally {
      await nc.close()
    }
  }

  /** JetStream is ready when an R<n> stream can be created (meta leader elected, peers known). */
  async waitReady(replicas: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(`NATS cluster ready (R${replicas})`, async () => {
      const nc = await connect({ servers: this.urls, timeout: 1000 })
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2000 })
        await jsm.streams.add({ name: 'READY_PROBE', subjects: ['ready.probe'], num_replicas: replicas })
        await jsm.streams.delete('READY_PROBE')
        return true
      } finally {
        await nc.close()
      }
    }, timeoutMs, 250).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.nodes.map((n) => n.log).join('\n')}`)
    })
  }

  async stop(): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) await this.killNode(i)
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** nats-server --version (for reports). */
export function natsServerVersion(): string {
  return spawnSync(natsServerBinary(), ['--version'], { encoding: 'utf8' }).stdout.trim()
}

/**
 * An adapter whose answer can be held: `hold = true` keeps requests open (the delivery stays in
 * flight at the gateway), and `status` answers the rest. It records every request by
 * Idempotency-Key with the status it got (undefined while held or when the caller went away).
 */
export class HoldingAdapter {
  readonly requests: { key: string; status: number | undefined }[] = []
  hold = false
  status = 200
  url = ''
  #server: Server
  #held: ServerResponse[] = []

  constructor() {
    this.#server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume()
      req.on('end', () => {
        const r = { key: String(req.headers['idempotency-key']), status: undefined as number | undefined }
        this.requests.push(r)
        if (this.hold) return void this.#held.push(res)
        r.status = this.status
        res.writeHead(this.status).end()
      })
    })
  }

  async listen(): Promise<this> {
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this
  }

  /** keys that got a 2xx, with how many times each */
  delivered(): Map<string, number> {
    const m = new Map<string, number>()
    for (const r of this.requests) if (r.status !== undefined && r.status < 300) m.set(r.key, (m.get(r.key) ?? 0) + 1)
    return m
  }

  async close(): Promise<void> {
    for (const res of this.#held) res.destroy()
    this.#server.closeAllConnections()
    await new Promise((r) => this.#server.close(r))
  }
}
