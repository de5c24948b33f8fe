// The durable floor: the least any gateway under the contract must do per message, and nothing
// more, so bench:ingress can say which share of the bare server is reachable at all on this machine.
// Per request: read the body; append it to a file with one fs.writev + fs.fdatasync per group of
// the requests that arrived while the last group was syncing (the journal's group commit, off the
// event loop); answer 200 only after the sync; then POST the body to the adapter (one POST per
// message with its Idempotency-Key, undici `dispatch` with a minimal handler, as the gateway's
// sender does) for 13 of every 20 messages (the bench mix's 12 deliver + 1 forward). No parsing,
// no registry, no decision, no SQLite, no dedupe, no retries, no metrics: a lower bound on the
// gateway's CPU, not a gateway.
// With FLOOR_MODE=contract, the floor also does the per-message work the contract itself asks of any
// gateway, through the gateway's own parts: parse the envelope (src/envelope, 422 if it is not a
// DUIS Response), append one journal record carrying the decision (encodeFact, framed with its
// length, CRC32 and sequence number by the gateway's Journal, one durable writev per group), and
// write its audit row (every accepted message has one: README, "Decisions and reasons") through the
// gateway's projection worker in the same 100 ms batches; the 200 names the message's ID, decision and
// reason (docs/http.md, "Ingress"). Still no registry, policy, dedupe, delivery queue, retries,
// obligations, metrics or logs: the record says `drop`, so the projection writes the audit row
// alone. It answers how much of the bare server the contract's own minimum leaves.
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
const OK = '{"decision":"deliver","reason":"floor"}'
const posts = postsFile === undefined ? undefined : readFileSync(postsFile)
const contract = process.env.FLOOR_MODE === 'contract' ? await contractParts(dir) : undefined
// preallocated, as the journal's segments are, so a sync need not also write the file's new size
// (the contract floor appends to the gateway's Journal instead, which preallocates its own)
const fd = openSync(join(dir, 'floor.log'), 'w+')
const PREALLOCATED = contract === undefined ? 256 * 1024 * 1024 : 0
for (let at = 0, zeros = Buffer.alloc(8 * 1024 * 1024); at < PREALLOCATED; at += zeros.length) writeSync(fd, zeros, 0, zeros.length, at)
fdatasyncSync(fd)

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

/** ok: the answer's body (the contract floor's names the message, as docs/http.md "Ingress" has it) */
function answer(p: Pending, ok = OK): void {
  p.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ok) }).end(ok)
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
    const p = { res, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), n: n++, seq: Number(req.headers['x-bench-seq'] ?? -1) }
    if (contract !== undefined) return contract.keep(p)
    group.push(p)
    flush()
  })
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`))
process.once('SIGTERM', () => {
  server.closeAllConnections()
  server.close()
  void agent.close().then(() => contract?.close()).then(() => {
    closeSync(fd)
    process.exit(0)
  })
})

/** FLOOR_MODE=contract: parse, journal record, audit row (above), with the gateway's compiled parts (npm run build first). */
async function contractParts(dir: string): Promise<{ keep(p: Pending): void; close(): Promise<void> }> {
  const dist = new URL('../dist/', import.meta.url)
  const { parseEnvelope, DEFAULT_ENVELOPE_LIMITS, messageIdOf } = await import(new URL('envelope/index.js', dist).href) as typeof import('../src/envelope/index.js')
  const { encodeFact } = await import(new URL('store/journal-record.js', dist).href) as typeof import('../src/store/journal-record.js')
  const { Journal } = await import(new URL('store/journal/journal.js', dist).href) as typeof import('../src/store/journal/journal.js')
  const { SqliteStore } = await import(new URL('store/sqlite-store.js', dist).href) as typeof import('../src/store/sqlite-store.js')
  const { ProjectionThread } = await import(new URL('store/projection-thread.js', dist).href) as typeof import('../src/store/projection-thread.js')
  const store = new SqliteStore({ path: dir, commitIntervalMs: 0, commitBatch: 1, synchronous: 'FULL' }) // creates and migrates gateway.db
  const journal = new Journal({ dir: join(dir, 'journal') })
  await journal.open()
  const projector = new ProjectionThread(new URL('store/projection-worker.js', dist), { path: dir, synchronous: 'FULL', autocheckpoint: 1000, pageCacheMiB: store.pageCacheMiB })
  let waiting: { seq: number; bytes: Buffer }[] = []
  /** the batch the worker is applying */
  let applying: Promise<void> | undefined
  let refused = 0
  const project = (): void => {
    if (applying !== undefined || waiting.length === 0) return
    const batch = waiting
    waiting = []
    applying = new Promise((done) => projector.apply(batch, false, (a) => {
      applying = undefined
      if ('error' in a) throw a.error
      refused += a.result.refused.length
      done()
    }))
  }
  const timer = setInterval(project, 100)
  return {
    keep(p) {
      const parsed = parseEnvelope(p.body, DEFAULT_ENVELOPE_LIMITS)
      if (!parsed.ok) return void p.res.writeHead(422).end()
      const env = parsed.value
      const messageId = messageIdOf(env, p.body)
      const bytes = encodeFact({
        t: 'accepted', quarantineId: null, obligationId: null,
        rec: {
          messageId, receivedAt: Date.now(), kind: env.kind, responseTime: env.responseTime,
          ...(env.alertCode !== undefined && { alertCode: env.alertCode }),
          decision: { decision: 'drop', reason: 'stale-cos-noncritical', critical: false }, contentType: 'application/xml', headers: {},
        },
      })
      journal.append(bytes, { open: false, payload: false }).then((seq) => {
        waiting.push({ seq, bytes })
        answer(p, JSON.stringify({ messageId, decision: 'drop', reason: 'stale-cos-noncritical' }))
      }, () => fail([p]))
    },
    async close() {
      clearInterval(timer)
      // every record appended, including those that came while a batch was applying
      for (project(); applying !== undefined; project()) await applying
      await projector.stop()
      await journal.close()
      await store.close()
      if (refused > 0) console.error(`contract floor: the projection refused ${refused} records`)
    },
  }
}
