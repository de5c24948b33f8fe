import { createServer as createHttpServer } from 'node:http'
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Logger } from 'pino'
import type { Config } from '../config/types.js'
import { answerFailure } from './failure.js'
import type { RoutingTable } from './router.js'
import { tlsServerOptions } from './tls-options.js'

/**
 * The HTTP(S) listener: one server for ingress (contract §2), health, metrics, the admin API
 * (contract §8), the console and the acknowledgement page, all answered by `routes`.
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
  // Global connection cap (issue #9): past it Node closes new sockets at once.
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
