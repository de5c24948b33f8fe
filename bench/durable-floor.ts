// The durable floor: the least any gateway under the contract must do per message, and nothing
// more, so bench:ingress can say which share of the bare server is reachable at all on this machine.
// Per request: read the body; append it to a file with one fs.writev + fs.fdatasync per group of
// the requests that arrived while the last group was syncing (the journal's group commit, off the
// event loop); answer 200 only after the sync; then POST the body to the adapter (one POST per
// message with its Idempotency-Key, undici `dispatch` with a minimal handler, as the gateway's
// sender does) for 13 of every 20 messages (the bench mix's 12 deliver + 1 forward). No parsing,
// no registry, no decision, no SQLite, no dedupe, no retries, no metrics: a lower bound on the
// gateway's CPU, not a gateway.
// With POSTS (the replay, bench/replay-run.ts): a file of one byte per replayed document, 1 where the
// gateway would deliver or forward it (the oracle's); the request's X-Bench-Seq picks its byte, and
// the POST goes to /floor with the Idempotency-Key floor-<seq>, so the sink can account for it.
//   node --import tsx bench/durable-floor.ts ADAPTER_URL DIR [POSTS]   prints "listening on http://..."
import { closeSync, fdatasync, fdatasyncSync, openSync, readFileSync, writev, writeSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Agent, type Dispatcher } from 'undici'

const [adapterUrl, dir, postsFile] = process.argv.slice(2)
if (!adapterUrl || !dir) {
  console.error('usage: node --import tsx bench/durable-floor.ts ADAPTER_URL DIR [POSTS]')
  process.exit(2)
}
const adapter = new URL(adapterUrl)
const agent = new Agent({ connections: 16 })
// preallocated, as the journal's segments are, so a sync need not also write the file's new size
const fd = openSync(join(dir, 'floor.log'), 'w+')
const PREALLOCATED = 256 * 1024 * 1024
for (let at = 0, zeros = Buffer.alloc(8 * 1024 * 1024); at < PREALLOCATED; at += zeros.length) writeSync(fd, zeros, 0, zeros.length, at)
fdatasyncSync(fd)
const OK = '{"decision":"deliver","reason":"floor"}'
const posts = postsFile === undefined ? undefined : readFileSync(postsFile)

/** The adapter's answer is read and dropped; nothing is retried (a floor, not a sender). */
const handler: Dispatcher.DispatchHandler = {
  onConnect() {},
  onHeaders() { return true },
  onData() { return true },
  onComplete() {},
  onError() {},
}

/** n: the request's number here; seq: its X-Bench-Seq (with POSTS) */
interface Pending { res: ServerResponse; body: Buffer; n: number; seq: number }
let group: Pending[] = []
let syncing = false
let position = 0
let n = 0

function flush(): void {
  if (syncing || group.length === 0) return
  syncing = true
  const g = group
  group = []
  const bufs = g.map((p) => p.body)
  writev(fd, bufs, position, (err, written) => {
    if (err) return fail(g)
    position += written
    fdatasync(fd, (err2) => {
      syncing = false
      if (err2) fail(g)
      else for (const p of g) answer(p)
      flush()
    })
  })
}

function fail(g: Pending[]): void {
  for (const p of g) p.res.writeHead(503).end()
}

function answer(p: Pending): void {
  p.res.writeHead(200, { 'content-type': 'application/json', 'content-length': OK.length }).end(OK)
  // with POSTS: the oracle's choice, keyed by the replay's sequence number; else 13 in 20
  const post = posts !== undefined ? (posts[p.seq] === 1 ? { path: '/floor', key: p.seq } : undefined)
    : p.n % 20 < 13 ? { path: '/adapter', key: p.n } : undefined
  if (post === undefined) return
  agent.dispatch({ origin: adapter.origin, path: post.path, method: 'POST', body: p.body,
    headers: { 'content-type': 'application/xml', 'idempotency-key': `floor-${post.key}` } }, handler)
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    group.push({ res, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), n: n++, seq: Number(req.headers['x-bench-seq'] ?? -1) })
    flush()
  })
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`))
process.once('SIGTERM', () => {
  server.closeAllConnections()
  server.close()
  void agent.close().then(() => {
    closeSync(fd)
    process.exit(0)
  })
})
