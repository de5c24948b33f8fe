// The baseline: a bare pass-through proxy (node:http -> undici Pool to the same sink). No parsing,
// no registry, no store: what "receive a document and hand it on" costs on this machine, so the
// gateway's throughput can be read as a ratio of it (baseline in the same run).
//   node --import tsx bench/baseline-proxy.ts SINK_URL [CONNECTIONS]   prints "PROXY_URL http://..."
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Pool } from 'undici'

export async function startBaselineProxy(sinkUrl: string, connections = 16): Promise<{ url: string; close(): Promise<void> }> {
  const pool = new Pool(sinkUrl, { connections, pipelining: 1 })
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const seq = req.headers['x-bench-seq']
      pool
        .request({
          method: 'POST',
          path: '/baseline',
          body: Buffer.concat(chunks),
          headers: { 'content-type': req.headers['content-type'] ?? 'application/xml', ...(typeof seq === 'string' && { 'x-bench-seq': seq }) },
        })
        .then(async (up) => {
          await up.body.dump()
          res.writeHead(up.statusCode === 200 ? 200 : 502, { 'content-type': 'application/json' }).end('{"decision":"deliver","reason":"baseline"}')
        })
        .catch(() => res.writeHead(502).end())
    })
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      await pool.close()
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sink = process.argv[2]
  if (!sink) {
    console.error('usage: node --import tsx bench/baseline-proxy.ts SINK_URL [CONNECTIONS]')
    process.exit(2)
  }
  const p = await startBaselineProxy(sink, Number(process.argv[3] ?? 16))
  process.stdout.write(`PROXY_URL ${p.url}\n`)
  process.once('SIGTERM', () => void p.close().then(() => process.exit(0)))
}
