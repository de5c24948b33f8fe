// Transport security. mTLS with a CA generated here (selfsigned, signing with the CA
// key), the subject allow-list, the admin bearer token, slow clients (slowloris) and connection
// limits, all against the real gateway on port 0.
import { connect as netConnect, type Socket } from 'node:net'
import { request as httpsRequest } from 'node:https'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generate } from 'selfsigned'
import { beforeAll, describe, expect, it } from 'vitest'
import { cleanupAfter, makeWorld, startInProcess } from './harness.js'
import { alert, DEVICES, postRaw, sleep } from './reliability-support.js'

type Pem = { cert: string; key: string }
let ca: Pem, server: Pem, dcc: Pem, other: Pem, rogue: Pem
const cleanup = cleanupAfter({ after: 'all', ignoreErrors: true })

async function issue(cn: string, signer?: Pem, isCa = false): Promise<Pem> {
  const r = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256',
    extensions: isCa
      ? [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }]
      : [{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
         { name: 'extKeyUsage', serverAuth: true, clientAuth: true }, { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }],
    ...(signer !== undefined && { ca: { key: signer.key, cert: signer.cert } }),
  })
  return { cert: r.cert, key: r.private }
}

beforeAll(async () => {
  ca = await issue('Test DCC CA', undefined, true)
  server = await issue('gateway.test', ca)
  dcc = await issue('dcc-dsp', ca)
  other = await issue('someone-else', ca)
  const rogueCa = await issue('Rogue CA', undefined, true)
  rogue = await issue('dcc-dsp', rogueCa) // right name, wrong issuer
}, 60_000)

function tlsWorld(extra: Record<string, unknown> = {}) {
  const w = makeWorld()
  const f = (name: string, text: string) => (writeFileSync(join(w.dir, name), text), join(w.dir, name))
  return makeWorld({
    extra: {
      server: {
        host: '127.0.0.1', port: 0,
        tls: { cert: f('server.pem', server.cert), key: f('server.key', server.key), ca: f('ca.pem', ca.cert), requireClientCert: true, allowedSubjects: ['dcc-dsp'] },
      },
      ...extra,
    },
  })
}

function postTls(url: string, client: Pem | undefined, path = '/duis', body = alert(DEVICES.acme, 1)): Promise<{ status: number; json?: any; error?: string }> {
  return new Promise((resolve) => {
    const u = new URL(url)
    const req = httpsRequest({
      host: u.hostname, port: u.port, path, method: 'POST', ca: ca.cert, agent: false,
      ...(client !== undefined && { cert: client.cert, key: client.key }),
      headers: { 'content-type': 'application/xml' },
    }, (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }))
    })
    req.on('error', (e) => resolve({ status: 0, error: (e as NodeJS.ErrnoException).code ?? e.message }))
    req.end(body)
  })
}

describe('mTLS on ingress', () => {
  it('accepts only client certificates from server.tls.ca whose CN is in allowedSubjects', async () => {
    const gw = await startInProcess(tlsWorld())
    cleanup.push(() => gw.close())
    expect(gw.url).toMatch(/^https:/)
    const ok = await postTls(gw.url, dcc)
    expect(ok.status).toBe(200)
    expect(ok.json.decision).toBe('deliver')
    // Signed by the CA but not listed: 403 problem, nothing stored.
    const notListed = await postTls(gw.url, other, '/duis', alert(DEVICES.acme, 2))
    expect(notListed.status).toBe(403)
    expect(notListed.json).toMatchObject({ code: 'DCCGW_ERR_CLIENT_CERT', status: 403 })
    // No certificate, or one from another CA: the handshake fails, no HTTP at all.
    expect((await postTls(gw.url, undefined)).status).toBe(0)
    expect((await postTls(gw.url, rogue)).status).toBe(0)
    const q = await fetchAdminTls(gw.url, '/admin/quarantine', dcc)
    expect(q.items).toHaveLength(0)
  }, 30_000)
})

function fetchAdminTls(url: string, path: string, client: Pem): Promise<any> {
  return new Promise((resolve, reject) => {
    const u = new URL(url)
    httpsRequest({ host: u.hostname, port: u.port, path, method: 'GET', ca: ca.cert, cert: client.cert, key: client.key, agent: false,
      headers: { authorization: 'Bearer test-token' } }, (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve(JSON.parse(text)))
    }).on('error', reject).end()
  })
}

describe('admin bearer token', () => {
  it('401 without, 403 with a wrong token (also one of the same length), 200 with the right one', async () => {
    const gw = await startInProcess(makeWorld())
    cleanup.push(() => gw.close())
    const get = (auth?: string) => fetch(`${gw.url}/admin/quarantine`, { headers: auth ? { authorization: auth } : {} })
    expect((await get()).status).toBe(401)
    expect((await get('Bearer test-tokex')).status).toBe(403)
    expect((await get('Bearer x')).status).toBe(403)
    expect((await get('Basic dGVzdA==')).status).toBe(401)
    expect((await get('Bearer test-token')).status).toBe(200)
  })
})

describe('slow clients and connection limits', () => {
  it('cuts off a client that sends its headers byte by byte (slowloris) after server.headersTimeoutMs', async () => {
    const gw = await startInProcess(makeWorld({ extra: { server: { host: '127.0.0.1', port: 0, headersTimeoutMs: 500, requestTimeoutMs: 1000 } } }))
    cleanup.push(() => gw.close())
    const u = new URL(gw.url)
    const sock = netConnect(Number(u.port), u.hostname)
    let received = ''
    sock.on('data', (d) => (received += d.toString()))
    const closed = new Promise<number>((r) => sock.on('close', () => r(Date.now())))
    sock.on('error', () => undefined)
    const started = Date.now()
    const head = 'POST /duis HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nX-Slow: ' + 'a'.repeat(200)
    let sent = 0
    const drip = setInterval(() => {
      if (sent < head.length && !sock.destroyed) sock.write(head[sent++]!)
    }, 20)
    const at = await Promise.race([closed, sleep(8000).then(() => -1)])
    clearInterval(drip)
    sock.destroy()
    expect(at).toBeGreaterThan(0) // the server closed it
    expect(at - started).toBeLessThan(4000) // well before the 200-byte header would finish (~4.5 s)
    expect(received).toMatch(/^HTTP\/1\.1 408/)
    // and the gateway still serves others
    expect((await postRaw(`${gw.url}/duis`, alert(DEVICES.acme, 5))).status).toBe(200)
  }, 20_000)

  it('closes connections beyond server.maxConnections and ends keep-alive after server.maxRequestsPerSocket', async () => {
    const gw = await startInProcess(makeWorld({ extra: { server: { host: '127.0.0.1', port: 0, maxConnections: 3, maxRequestsPerSocket: 2 } } }))
    cleanup.push(() => gw.close())
    const u = new URL(gw.url)
    const open = async (): Promise<Socket> => {
      const s = netConnect(Number(u.port), u.hostname)
      s.on('error', () => undefined)
      await new Promise((r) => s.once('connect', r))
      return s
    }
    const idle = [await open(), await open(), await open()]
    await sleep(100)
    const extra = await open()
    const extraClosed = await Promise.race([new Promise((r) => extra.once('close', () => r(true))), sleep(2000).then(() => false)])
    expect(extraClosed).toBe(true)
    for (const s of idle) s.destroy()
    await sleep(100)

    // Per connection: the second response on one socket says Connection: close, a third request is not served.
    const s = await open()
    let text = ''
    s.on('data', (d) => (text += d.toString()))
    const get = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
    for (let i = 0; i < 3 && !s.destroyed; i++) {
      s.write(get)
      await sleep(150)
    }
    await Promise.race([new Promise((r) => s.once('close', r)), sleep(2000)])
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1])
    expect(statuses.slice(0, 2)).toEqual(['200', '200'])
    expect(statuses.filter((x) => x === '200')).toHaveLength(2) // the third is refused (503) or never read
    expect(text.toLowerCase()).toContain('connection: close')
    s.destroy()
  }, 20_000)
})
