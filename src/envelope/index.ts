// src/envelope: DUIS bytes -> Envelope | EnvelopeRejection. Pure; runs in pool workers.
import { scanEnvelope } from './scan-envelope.js'
import type { EnvelopeLimits, ParseResult } from './types.js'

export type { BodyElement, Envelope, EnvelopeLimits, EnvelopeRejection, GbcsHeader, HeaderId, MessageKind, ParseResult } from './types.js'
export { EnvelopeErrors, type EnvelopeErrorCode } from './errors.js'
export { DEFAULT_ENVELOPE_LIMITS } from './limits.js'
export { parseHeaderId } from './header-id.js'
export { parseDuisDateTime } from './date-time.js'
export { messageIdOf } from './message-id.js'
export { readGbcsHeader } from './gbcs-header.js'
export { NS_DS, NS_RA, NS_SUG } from './names.js'

/**
 * Parse one DUIS document. Never throws for any input: malformed, hostile or non-DUIS bytes give
 * `{ ok: false, error: { code: 'DCCGW_ERR_ENVELOPE_*', detail } }`. The hand scanner is the hot
 * path: measured ~7x the fast-xml-parser reference and ~3.9x @smartdcc/duis-parser
 * (bench/results/envelope.parse.md).
 */
export function parseEnvelope(body: Uint8Array, limits: EnvelopeLimits): ParseResult {
  return scanEnvelope(body, limits)
}
export { loadVerificationKeys, verifyEnvelopedSignature, type SignatureCheck } from './signature-verify.js'
export { DIGEST_SHA256, ECDSA_SHA256, ENVELOPED_SIGNATURE, EXC_C14N, EcdsaSha256 } from './signature-algorithm.js'
