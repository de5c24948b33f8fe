import type { IncomingMessage, ServerResponse } from 'node:http'
import { IngressErrors } from './errors.js'
import { sendError } from './http-util.js'

// The gateway's one routing table. Each part (ingress, probes, admin, console, the acknowledgement
// page) registers its routes on it at start (fastify's plugin style: `register(router, deps)`);
// the first route that matches answers, anything else is 404 DCCGW_ERR_NOT_FOUND.

/** `receivedAt`: when the request reached the router (ingress stamps receipt with it). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL, receivedAt: number) => Promise<void> | void

export interface Router {
  /** One path; `methods` '*' leaves the method to the handler (it answers 405 itself). */
  on(methods: readonly string[] | '*', path: string, handler: RouteHandler): void
  /** `prefix` itself and every path under it, any method. */
  under(prefix: string, handler: RouteHandler): void
}

/** A part of the HTTP surface: registers its routes with what it needs. */
export type HttpPlugin<D> = (router: Router, deps: D) => void

export interface RoutingTable extends Router {
  dispatch(req: IncomingMessage, res: ServerResponse, receivedAt: number): Promise<void>
}

interface Route {
  matches(method: string, path: string): boolean
  handler: RouteHandler
}

export function createRouter(): RoutingTable {
  const routes: Route[] = []
  return {
    on(methods, path, handler) {
      routes.push({ matches: (m, p) => p === path && (methods === '*' || methods.includes(m)), handler })
    },
    under(prefix, handler) {
      const below = prefix.endsWith('/') ? prefix : `${prefix}/`
      routes.push({ matches: (_, p) => p === prefix || p.startsWith(below), handler })
    },
    async dispatch(req, res, receivedAt) {
      const url = new URL(req.url ?? '/', 'http://gateway')
      const method = req.method ?? 'GET'
      const route = routes.find((r) => r.matches(method, url.pathname))
      if (route === undefined) return sendError(res, IngressErrors.NOT_FOUND, `no route for ${req.method} ${url.pathname}`)
      await route.handler(req, res, url, receivedAt)
    },
  }
}
