// The gateway's error catalogue: every code a client can receive, with its HTTP status, mapped
// once to RFC 9457 problem+json (problemOf). A refusal anywhere in the gateway is a GatewayError
// carrying one of these (undici's coded errors); README's error table is checked against this
// list by test/readme.test.ts and src/http/errors.test.ts.

export interface ErrorDef {
  code: string
  status: number
  title: string
}

function def(code: string, status: number, title: string): ErrorDef {
  return { code, status, title }
}

export const IngressErrors = {
  BODY_TOO_LARGE: def('DCCGW_ERR_BODY_TOO_LARGE', 413, 'Body too large'),
  MEDIA_TYPE: def('DCCGW_ERR_MEDIA_TYPE', 415, 'Unsupported media type'),
  MALFORMED: def('DCCGW_ERR_MALFORMED', 422, 'Not a usable DUIS document'),
  NOT_READY: def('DCCGW_ERR_NOT_READY', 503, 'Gateway not ready'),
  DRAINING: def('DCCGW_ERR_DRAINING', 503, 'Gateway shutting down'),
  OVERLOADED: def('DCCGW_ERR_OVERLOADED', 503, 'Gateway overloaded'),
  STORE_UNAVAILABLE: def('DCCGW_ERR_STORE_UNAVAILABLE', 503, 'Store unavailable'),
  SPOOL_FULL: def('DCCGW_ERR_SPOOL_FULL', 503, 'Delivery spool full'),
  NOT_FOUND: def('DCCGW_ERR_NOT_FOUND', 404, 'Not found'),
  NOT_AVAILABLE: def('DCCGW_ERR_NOT_AVAILABLE', 404, 'Not available with this store kind'),
  METHOD: def('DCCGW_ERR_METHOD', 405, 'Method not allowed'),
  UNAUTHORIZED: def('DCCGW_ERR_UNAUTHORIZED', 401, 'Authentication required'),
  FORBIDDEN: def('DCCGW_ERR_FORBIDDEN', 403, 'Wrong credentials'),
  CLIENT_CERT: def('DCCGW_ERR_CLIENT_CERT', 403, 'Client certificate not allowed'),
  BAD_REQUEST: def('DCCGW_ERR_BAD_REQUEST', 400, 'Bad request'),
  CONFLICT: def('DCCGW_ERR_CONFLICT', 409, 'Conflict'),
  ACK_LINK_INVALID: def('DCCGW_ERR_ACK_LINK_INVALID', 403, 'Acknowledgement link not valid'),
  ACK_LINK_EXPIRED: def('DCCGW_ERR_ACK_LINK_EXPIRED', 410, 'Acknowledgement link expired'),
  INTERNAL: def('DCCGW_ERR_INTERNAL', 500, 'Internal error'),
} as const

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  [extra: string]: unknown
}

/** RFC 9457 problem details; `type` is a stable URN built from the code. */
export function problem(err: ErrorDef, detail: string, extra: Record<string, unknown> = {}): Problem {
  return { type: `urn:dcc-alert-gateway:error:${err.code}`, title: err.title, status: err.status, detail, code: err.code, ...extra }
}

/**
 * The one error type of the gateway: a refusal with a code and the HTTP status it is answered
 * with. Built from a catalogue entry (`new GatewayError(IngressErrors.CONFLICT, detail)`); the
 * message is the problem's `detail`, so it says what was refused and why, never a payload.
 */
export class GatewayError extends Error {
  override name = 'GatewayError'
  readonly code: string
  readonly status: number
  readonly title: string

  constructor(def: ErrorDef, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = def.code
    this.status = def.status
    this.title = def.title
  }
}

/** A GatewayError (of catalogue entry `def`, when given). */
export function isGatewayError(err: unknown, def?: ErrorDef): err is GatewayError {
  return err instanceof GatewayError && (def === undefined || err.code === def.code)
}

/** The problem+json body of a GatewayError. */
export function problemOf(err: GatewayError, extra: Record<string, unknown> = {}): Problem {
  return problem(err, err.message, extra)
}
