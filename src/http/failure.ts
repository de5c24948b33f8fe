import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { GatewayError, IngressErrors, problemOf } from './errors.js'
import { sendError, sendProblem } from './http-util.js'

/**
 * The one mapping of a failed request to an answer. A GatewayError is a refusal the gateway
 * meant: its code and status, as problem+json. Anything else is a bug: 500 DCCGW_ERR_INTERNAL,
 * logged with the error's type, message and stack and the request's method and path (no query:
 * an acknowledgement link carries its token there; never a body or the error's other fields,
 * which may hold what the request carried).
 */
export function answerFailure(req: IncomingMessage, res: ServerResponse, err: unknown, log: Logger): void {
  if (answerRefusal(res, err)) return
  if (!(err instanceof GatewayError)) {
    const e = err instanceof Error ? err : new Error(String(err))
    const path = (req.url ?? '/').split('?', 1)[0]
    // the same class, message and stack; none of the fields the error was given
    const bare = Object.assign(Object.create(Object.getPrototypeOf(e) as object) as Error, { message: e.message, stack: e.stack })
    log.error({ err: bare, method: req.method, path }, 'request failed')
  }
  if (res.headersSent) return void res.destroy()
  sendError(res, IngressErrors.INTERNAL, 'internal error; see the gateway log')
}

/** A GatewayError not yet answered: answers it as problem+json and returns true. */
export function answerRefusal(res: ServerResponse, err: unknown): boolean {
  if (!(err instanceof GatewayError) || res.headersSent) return false
  sendProblem(res, problemOf(err))
  return true
}
