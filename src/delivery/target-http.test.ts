import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { SpoolItem } from '../store/index.js'
import { HttpSender } from './target-http.js'

const open: { server: Server; sender: HttpSender }[] = []
afterEach(async () => {
  for (const { server, sender } of open.splice(0)) {
    await sender.close()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  }
})

interface Received { url: string; headers: IncomingMessage['headers']; body: string }
async function adapter(answer: (req: IncomingMessage, res: ServerResponse, body: string) => void, opts: { timeoutMs?: number; path?: string } = {}) {
  const received: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (d: Buffer) => chunks.push(d))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      received.push({ url: req.url!, headers: req.headers, body })
      answer(req, res, body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  const sender = new HttpSender({ label: 'adapter', url: `http://127.0.0.1:${port}${opts.path ?? '/duis?from=gw'}`, timeoutMs: opts.timeoutMs ?? 5000, connections: 4 })
  open.push({ server, sender })
  return { sender, received }
}

function item(n: number): SpoolItem {
  return {
    id: n, messageId: `AA:BB:${n}@2025-01-01T00:00:00Z`, target: 'adapter', party: 'ACME', mpxn: '1000000000001', contentType: 'application/xml; charset=utf-8',
    body: Buffer.from(`<x n="${n}"/>`), headers: { 'x-dcc-alert': '8F12' }, attempts: 0, nextAttemptAt: 0, createdAt: 0, obligationId: null,
  }
}

describe('HttpSender', () => {
  it('POSTs the body byte for byte to the URL path and query, with its content type, headers and Idempotency-Key', async () => {
    const { sender, received } = await adapter((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"padding":"' + 'x'.repeat(100_000) + '"}'))
    expect(await sender.send(item(1))).toEqual({ outcome: 'ok' })
    expect(received).toHaveLength(1)
    expect(received[0]).toMatchObject({ url: '/duis?from=gw', body: '<x n="1"/>' })
    expect(received[0]!.headers).toMatchObject({ 'content-type': 'application/xml; charset=utf-8', 'idempotency-key': item(1).messageId, 'x-dcc-alert': '8F12' })
    expect(await sender.send(item(2))).toEqual({ outcome: 'ok' }) // the connection was left reusable
  })

  it('classifies the status: 2xx ok, 408/429/5xx retried, other statuses rejected', async () => {
    const statuses = [204, 503, 429, 408, 400, 409]
    let k = 0
    const { sender } = await adapter((_, res) => res.writeHead(statuses[k++]!).end('detail'))
    const results = []
    for (let n = 0; n < statuses.length; n++) results.push(await sender.send(item(n)))
    expect(results).toEqual([
      { outcome: 'ok' }, { outcome: 'retry', error: 'HTTP 503' }, { outcome: 'retry', error: 'HTTP 429' }, { outcome: 'retry', error: 'HTTP 408' },
      { outcome: 'rejected', error: 'HTTP 400' }, { outcome: 'rejected', error: 'HTTP 409' },
    ])
  })

  it('retries requests with no answer within timeoutMs, the ones answered in time settling on their own', async () => {
    const { sender } = await adapter((req, res, body) => {
      if (body.includes('n="2"')) res.writeHead(200).end()
    }, { timeoutMs: 300 })
    const results = await Promise.all([sender.send(item(1)), sender.send(item(2)), sender.send(item(3))])
    expect(results[1]).toEqual({ outcome: 'ok' })
    for (const r of [results[0], results[2]]) expect(r).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/timeout/i) })
  })

  it('settles on the status: a body that then never ends or is too long to read changes nothing, and the connection is not held', async () => {
    const drips: NodeJS.Timeout[] = []
    const { sender } = await adapter((req, res, body) => {
      if (body.includes('n="1"')) {
        // a chunk every 50 ms: neither undici's headers nor its body (idle) timeout ever fires
        res.writeHead(201)
        const drip = setInterval(() => res.write('.'), 50)
        drips.push(drip)
        res.on('close', () => clearInterval(drip))
      } else if (body.includes('n="2"')) res.writeHead(503).end('x'.repeat(1_000_000))
      else res.writeHead(200).end()
    }, { timeoutMs: 300 })
    expect(await Promise.all([sender.send(item(1)), sender.send(item(2))])).toEqual([{ outcome: 'ok' }, { outcome: 'retry', error: 'HTTP 503' }])
    for (let n = 3; n < 12; n++) expect(await sender.send(item(n))).toEqual({ outcome: 'ok' })
    for (const d of drips) clearInterval(d)
  })

  it('retries when nothing listens, and when the URL cannot be posted to', async () => {
    const closed = new HttpSender({ label: 'adapter', url: 'http://127.0.0.1:1/x', timeoutMs: 1000, connections: 1 })
    expect(await closed.send(item(1))).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/ECONNREFUSED/) })
    await closed.close()
    const ftp = new HttpSender({ label: 'adapter', url: 'ftp://127.0.0.1/x', timeoutMs: 1000, connections: 1 })
    expect(await ftp.send(item(1))).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/protocol/i) })
    await ftp.close()
  })
})
