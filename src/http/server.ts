import { createServer as createHttpServer } from 'node:http'
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import type { Config } from '../config/index.js'
import { answerFailure } from './failure.js'
import type { RoutingTable } from './router.js'
import { tlsServerOptions } from './tls-options.js'

/**
 * The HTTP(S) listener: one server for ingress (docs/http.md, "Ingress"), health, metrics, the admin API
 * (docs/http.md), the console and the acknowledgement page, all answered by `routes`.
 */
export function createListener(server: Config['server'], routes: RoutingTable, log: Logger): Server {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    routes.dispatch(req, res, Date.now()).catch((err: unknown) => answerFailure(req, res, err, log))
  }

  const tls = server.tls
  const http = httpServerOptions(server)
  const listener: Server = tls
    ? (createHttpsServer({ ...http, ...tlsServerOptions(tls) }, handler) as unknown as Server)
    : createHttpServer(http, handler)
  listener.keepAliveTimeout = server.keepAliveTimeoutMs
  // Global connection cap (docs/operations.md, "Faults"): past it Node closes new sockets at once.
  listener.maxConnections = server.maxConnections
  if (server.maxRequestsPerSocket > 0) listener.maxRequestsPerSocket = server.maxRequestsPerSocket
  return listener
}

/**
 * Slow clients (slowloris): headers must arrive within headersTimeoutMs and the whole request
 * within requestTimeoutMs, else Node answers 408 and closes. Node only checks every
 * `connectionsCheckingInterval` (default 30 s), so it follows the shorter timeout here.
 */
function httpServerOptions(server: Config['server']): ServerOptions {
  const { headersTimeoutMs, requestTimeoutMs } = server
  return {
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4))),
  }
}

/** Listens on `server.host:server.port` (0: any free port); resolves with the URL it answers on. */
export async function listen(listener: Server, server: Config['server']): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject)
    listener.listen(server.port, server.host, () => resolve())
  })
  const addr = listener.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return `${server.tls ? 'https' : 'http'}://${host}:${addr.port}`
}

/**
 * Stops accepting and lets in-flight requests finish; after `cutAfterMs` the connections still
 * open are cut (an unanswered request was never accepted: the sender retries).
 */
export async function stopListening(listener: Server, cutAfterMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => listener.close(() => resolve()))
  listener.closeIdleConnections()
  // keep-alive connections go idle as their last response is sent: close them as they do
  const sweep = setInterval(() => listener.closeIdleConnections(), 25)
  const timer = setTimeout(() => listener.closeAllConnections(), Math.max(0, cutAfterMs))
  await closed
  clearInterval(sweep)
  clearTimeout(timer)
}
