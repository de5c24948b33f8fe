import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Config } from '../config/index.js'
import { IngressErrors, clientSubjectRefusal, isXmlContentType, readBody, sendError, sendJson, sendProblem } from '../http/index.js'
import type { HttpPlugin, Problem } from '../http/index.js'
import type { GatewayMetrics } from '../metrics/index.js'

export type IngestOutcome =
  | { status: 200; body: { messageId: string; decision: string; reason: string; duplicate?: true } }
  | { status: 422 | 503; problem: Problem; headers?: Record<string, string> }

export interface IngressDeps {
  config: Config
  metrics: GatewayMetrics
  /** readiness: registry loaded, store open, not draining; returns why not */
  notReadyReason(): { draining: boolean; detail: string } | undefined
  ingest(body: Buffer, contentType: string, receivedAt: number): Promise<IngestOutcome>
}

/** POST `ingress.path` (docs/http.md, "Ingress"): the bounds in front of the gateway's ingest. */
export const registerIngress: HttpPlugin<IngressDeps> = (router, h) => {
  const { config, metrics } = h
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

  router.on('*', config.ingress.path, (req, res, url, receivedAt) => {
    const path = url.pathname
    if (req.method !== 'POST') return sendError(res, IngressErrors.METHOD, `${req.method} ${path}: use POST`, {}, { allow: 'POST' })
    const refused = clientSubjectRefusal(req, config.server.tls?.allowedSubjects ?? [])
    if (refused !== undefined) {
      metrics.ingressRejected.inc({ status: '403' })
      req.resume()
      return sendError(res, IngressErrors.CLIENT_CERT, refused)
    }
    return onIngest(req, res, receivedAt)
  })
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
