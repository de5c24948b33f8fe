import { readFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import type { ServerOptions } from 'node:https'
import type { TLSSocket } from 'node:tls'
import type { Config } from '../config/index.js'

type Tls = NonNullable<Config['server']['tls']>

/**
 * HTTPS options for ingress (docs/http.md, "Ingress": TLS with optional client-certificate verification).
 * With `ca`, clients are asked for a certificate; with `requireClientCert` a client without one
 * signed by `ca` fails the handshake (mTLS), so no request from it is ever read. TLS 1.2 is the
 * floor (the DCC's SMKI-era endpoints speak 1.2 and 1.3).
 */
export function tlsServerOptions(tls: Tls): ServerOptions {
  return {
    cert: readFileSync(tls.cert),
    key: readFileSync(tls.key),
    ...(tls.ca !== undefined && { ca: readFileSync(tls.ca) }),
    requestCert: tls.ca !== undefined,
    rejectUnauthorized: tls.ca !== undefined && tls.requireClientCert,
    minVersion: 'TLSv1.2',
  }
}

/**
 * `server.tls.allowedSubjects`: when set, a DUIS sender must present a certificate that chains to
 * `ca` (verified in the handshake) and whose subject CN is listed. Returns why not, or undefined.
 * Applied to ingress only: the admin API has its bearer token, health and metrics are read-only.
 */
export function clientSubjectRefusal(req: IncomingMessage, allowed: readonly string[]): string | undefined {
  if (allowed.length === 0) return undefined
  const socket = req.socket as TLSSocket
  if (typeof socket.getPeerCertificate !== 'function') return 'server.tls.allowedSubjects is set but the connection is not TLS'
  if (!socket.authorized) return `no client certificate verified by server.tls.ca (${socket.authorizationError ?? 'none sent'})`
  const cn = clientCommonName(req)
  if (cn === undefined || !allowed.includes(cn)) return `client certificate subject CN ${JSON.stringify(cn ?? '')} is not in server.tls.allowedSubjects`
  return undefined
}

/** The verified client certificate's subject CN (for the admin audit actor), if any. */
export function clientCommonName(req: IncomingMessage): string | undefined {
  const socket = req.socket as TLSSocket
  if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined
  const cn = socket.getPeerCertificate().subject?.CN
  return Array.isArray(cn) ? cn[0] : cn
}
