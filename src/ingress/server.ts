import { createServer as createHttpServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { ServerOptions } from 'node:http'
import type { Logger } from 'pino'
import type { Config } from '../config/types.js'
import type { GatewayMetrics } from '../metrics/index.js'
import { IngressErrors } from './errors.js'
import type { Problem } from './errors.js'
import { clientSubjectRefusal, tlsServerOptions } from './tls-options.js'
import { isXmlContentType, readBody, sendError, sendJson, sendProblem } from './http-util.js'

export type IngestOutcome =
  | { status: 200; body: { messageId: string; decision: string; reason: string; duplicate?: true } }
  | { status: 422 | 503; problem: Problem; headers?: Record<string, string> }

export interface IngressHandlers {
  /** readiness: registry loaded, store open, not draining; returns why not */
  notReadyReason(): { draining: boolean; detail: string } | undefined
  ingest(body: Buffer, contentType: string, receivedAt: number): Promise<IngestOutcome>
  metricsText(): Promise<{ contentType: string; body: string }>
  /** everything under /admin/ */
  admin(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>
  /** the operator console under /console (session cookie; src/console) */
  console?(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>
  /** the signed acknowledgement link in notices (no bearer token; src/obligations/ack-route.ts) */
  ack?(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>
}

/** HTTP(S) listener: ingress (docs/http.md, "Ingress"), health, metrics and the admin API (docs/http.md). */
export function createIngressServer(config: Config, h: IngressHandlers, metrics: GatewayMetrics, log: Logger): Server {
  const retryAfter = { 'retry-after': String(config.limits.retryAfterSeconds) }
  let inFlight = 0

  async function onIngest(req: IncomingMessage, res: ServerResponse, receivedAt: number): Promise<void> {
    const reject = (status: number) => metrics.ingressRejected.inc({ status: String(status) })
    const notReady = h.notReadyReason()
    if (notReady !== undefined) {
      reject(503)
      req.resume()
      return sendError(res, notReady.draining ? IngressErrors.DRAINING : IngressErrors.NOT_READY, notReady.detail, {}, retryAfter)
    }
    const contentType = req.headers['content-type']
    if (!isXmlContentType(contentType)) {
      reject(415)
      req.resume()
      return sendError(res, IngressErrors.MEDIA_TYPE, `Content-Type ${JSON.stringify(contentType ?? '(none)')} is not application/xml or text/xml`)
    }
    const limit = config.limits.maxBodyBytes
    const declared = Number(req.headers['content-length'] ?? NaN)
    if (declared > limit) {
      reject(413)
      discardThenClose(req, res)
      return sendError(res, IngressErrors.BODY_TOO_LARGE, `body is ${declared} bytes; limit is ${limit} (limits.maxBodyBytes)`)
    }
    if (inFlight >= config.limits.maxInFlight) {
      reject(503)
      req.resume()
      return sendError(res, IngressErrors.OVERLOADED, `${inFlight} requests in flight (limits.maxInFlight)`, {}, retryAfter)
    }
    inFlight++
    metrics.inFlight.set(inFlight)
    try {
      const read = await readBody(req, limit)
      if (!read.ok) {
        if (read.tooLarge) {
          reject(413)
          // No declared length (chunked): Node closes at once if the answer precedes the end of
          // the body, so read to the end (at most 2 s), then answer and close.
          await drainBody(req, 2000)
          res.setHeader('connection', 'close')
          return sendError(res, IngressErrors.BODY_TOO_LARGE, `body exceeds ${limit} bytes (limits.maxBodyBytes)`)
        }
        return void res.destroy()
      }
      const out = await h.ingest(read.body, contentType!, receivedAt)
      if (out.status === 200) return sendJson(res, 200, out.body)
      reject(out.status)
      sendProblem(res, out.problem, out.headers)
    } finally {
      inFlight--
      metrics.inFlight.set(inFlight)
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now()
    const url = new URL(req.url ?? '/', 'http://gateway')
    const path = url.pathname
    if (path === config.ingress.path) {
      if (req.method !== 'POST') return sendError(res, IngressErrors.METHOD, `${req.method} ${path}: use POST`, {}, { allow: 'POST' })
      const refused = clientSubjectRefusal(req, config.server.tls?.allowedSubjects ?? [])
      if (refused !== undefined) {
        metrics.ingressRejected.inc({ status: '403' })
        req.resume()
        return sendError(res, IngressErrors.CLIENT_CERT, refused)
      }
      return onIngest(req, res, receivedAt)
    }
    if (path === '/healthz' && req.method === 'GET') return sendJson(res, 200, { status: 'ok' })
    if (path === '/readyz' && req.method === 'GET') {
      const nr = h.notReadyReason()
      return nr === undefined
        ? sendJson(res, 200, { status: 'ready' })
        : sendJson(res, 503, { status: nr.draining ? 'draining' : 'not-ready', detail: nr.detail }, retryAfter)
    }
    if (path === '/metrics' && req.method === 'GET' && config.metrics.enabled) {
      const m = await h.metricsText()
      res.writeHead(200, { 'content-type': m.contentType })
      return void res.end(m.body)
    }
    if (path.startsWith('/admin/')) return h.admin(req, res, url)
    if ((path === '/console' || path.startsWith('/console/')) && h.console !== undefined) return h.console(req, res, url)
    if (path === '/obligations/ack' && h.ack !== undefined) return h.ack(req, res, url)
    sendError(res, IngressErrors.NOT_FOUND, `no route for ${req.method} ${path}`)
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((err: unknown) => {
      log.error({ err }, 'request failed')
      if (!res.headersSent) sendError(res, IngressErrors.INTERNAL, 'internal error; see the gateway log')
      else res.destroy()
    })
  }

  const tls = config.server.tls
  const http = httpServerOptions(config)
  const server: Server = tls
    ? (createHttpsServer({ ...http, ...tlsServerOptions(tls) }, handler) as unknown as Server)
    : createHttpServer(http, handler)
  server.keepAliveTimeout = config.server.keepAliveTimeoutMs
  // Global connection cap (docs/operations.md, "Faults"): past it Node closes new sockets at once.
  server.maxConnections = config.server.maxConnections
  if (config.server.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = config.server.maxRequestsPerSocket
  return server
}

/**
 * Slow clients (slowloris): headers must arrive within headersTimeoutMs and the whole request
 * within requestTimeoutMs, else Node answers 408 and closes. Node only checks every
 * `connectionsCheckingInterval` (default 30 s), so it follows the shorter timeout here.
 */
function httpServerOptions(config: Config): ServerOptions {
  const { headersTimeoutMs, requestTimeoutMs } = config.server
  return {
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4))),
  }
}

/**
 * 413: closing at once while the client is still sending makes the kernel answer with a TCP
 * reset, and the client may never read the 413 (the DCC would then retry a message that can
 * never be accepted; the hostile corpus, docs/operations.md "Faults"). So the rest of the body is read and discarded, for
 * at most 2 s after the answer, then the connection is closed.
 */
function discardThenClose(req: IncomingMessage, res: ServerResponse): void {
  // No `Connection: close`: Node would half-close at once (destroySoon). The body is drained instead.
  req.removeAllListeners('data')
  req.resume()
  res.once('finish', () => {
    const close = () => req.socket.destroy()
    if (req.complete) return close()
    const timer = setTimeout(close, 2000)
    timer.unref()
    req.once('end', () => {
      clearTimeout(timer)
      close()
    })
  })
}

/** Reads and discards the rest of a request body; settles at its end, on close, or after `ms`. */
function drainBody(req: IncomingMessage, ms: number): Promise<void> {
  if (req.complete) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    timer.unref()
    const done = () => (clearTimeout(timer), resolve())
    req.removeAllListeners('data')
    req.once('end', done)
    req.once('close', done)
    req.resume()
  })
}
