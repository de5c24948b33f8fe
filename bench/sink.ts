// Recording sink: the tenant's adapter, the acquiring suppliers' critical-alert endpoints and the
// baseline's target in one node:http server, run as its own process so that its work is not
// charged to the replayer. Records per request: target (path), Idempotency-Key, sha256 of the
// body, the X-DCC-Gateway-Decision/Reason headers and, for notices, the notice's routing fields.
// Never keeps a body.
//   node --import tsx bench/sink.ts      prints "SINK_URL http://127.0.0.1:PORT"
//   GET  /_receipts   NDJSON of every receipt so far        POST /_reset   forget them
//   GET  /_count      how many receipts so far (text)
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Receipt {
  /** request path: /adapter/<party>, /notice/<party> or /baseline */
  t: string
  /** Idempotency-Key (gateway) or X-Bench-Seq (baseline) */
  k: string
  /** sha256 hex of the body */
  h: string
  d?: string
  r?: string
  /** when the sink received it (ms since the epoch): the soak places duplicates relative to its kills */
  at?: number
  /** notices: the routing fields of the JSON notice */
  n?: { mpxn: string | null; alertCode: string | null; toParty: string | null; fromParty: string | null; messageId: string | null; type?: string }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

export function startSink(port = 0): Promise<{ url: string; close(): Promise<void> }> {
  let receipts: Receipt[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = req.url ?? '/'
      if (req.method === 'GET' && path === '/_receipts') {
        // written as the socket drains: written in one loop, a soak's 5.5M receipts (~2 GB) sat in
        // the socket's buffer, and the sink closed the connection without an answer (curl: empty reply)
        res.writeHead(200, { 'content-type': 'application/x-ndjson' })
        const all = receipts
        let i = 0
        const pump = (): void => {
          while (i < all.length) {
            const chunk = all.slice(i, i + 5000).map((r) => JSON.stringify(r)).join('\n') + '\n'
            i += 5000
            if (!res.write(chunk)) {
              res.once('drain', pump)
              return
            }
          }
          res.end()
        }
        pump()
        return
      }
      if (req.method === 'GET' && path === '/_count') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(String(receipts.length))
        return
      }
      if (req.method === 'POST' && path === '/_reset') {
        receipts = []
        res.writeHead(204).end()
        return
      }
      const body = Buffer.concat(chunks)
      const r: Receipt = { t: path, k: header(req, 'idempotency-key') ?? header(req, 'x-bench-seq') ?? '', h: createHash('sha256').update(body).digest('hex'), at: Date.now() }
      const d = header(req, 'x-dcc-gateway-decision')
      const reason = header(req, 'x-dcc-gateway-reason')
      if (d) r.d = d
      if (reason) r.r = reason
      if (path.startsWith('/notice/')) {
        try {
          const j = JSON.parse(body.toString('utf8')) as Record<string, string | null>
          r.n = { mpxn: j.mpxn ?? null, alertCode: j.alertCode ?? null, toParty: j.toParty ?? null, fromParty: j.fromParty ?? null, messageId: j.messageId ?? null, type: j.type ?? undefined }
        } catch {
          r.n = { mpxn: null, alertCode: null, toParty: null, fromParty: null, messageId: null }
        }
      }
      receipts.push(r)
      res.writeHead(200, { 'content-length': '0' }).end()
    })
  })
  server.keepAliveTimeout = 65_000
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      resolve({
        url,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections()
          server.close(() => r())
        }),
      })
    })
  })
}

/** Fetches and parses every receipt from a sink. */
/**
 * The sink's receipts, read line by line: a soak's millions of receipts pass V8's longest string
 * (512 MB) as one text (ERR_STRING_TOO_LONG after 5.4M messages).
 */
export async function fetchReceipts(sinkUrl: string): Promise<Receipt[]> {
  const res = await fetch(`${sinkUrl}/_receipts`)
  const out: Receipt[] = []
  const decoder = new TextDecoder()
  let rest = ''
  const take = (text: string) => {
    const lines = (rest + text).split('\n')
    rest = lines.pop()!
    for (const l of lines) if (l !== '') out.push(JSON.parse(l) as Receipt)
  }
  for await (const chunk of res.body!) take(decoder.decode(chunk as Uint8Array, { stream: true }))
  take(decoder.decode() + '\n')
  return out
}

/** How many receipts the sink holds. */
export async function receiptCount(sinkUrl: string): Promise<number> {
  return Number(await (await fetch(`${sinkUrl}/_count`)).text())
}

export async function resetSink(sinkUrl: string): Promise<void> {
  await fetch(`${sinkUrl}/_reset`, { method: 'POST' })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await startSink()
  process.stdout.write(`SINK_URL ${s.url}\n`)
  process.once('SIGTERM', () => void s.close().then(() => process.exit(0)))
}
