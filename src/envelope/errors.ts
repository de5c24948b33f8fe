// The one catalogue of envelope rejection codes (DCCGW_ERR_<AREA>_<WHAT>).
// A rejection is an expected outcome (422 + quarantine), returned as a value, never thrown.
import type { EnvelopeRejection, ParseResult } from './types.js'

export const EnvelopeErrors = {
  /** UTF-16, a non-UTF-8 `encoding` declaration, or invalid UTF-8 bytes */
  ENCODING: 'DCCGW_ERR_ENVELOPE_ENCODING',
  /** `<!DOCTYPE` / `<!ENTITY`: DTDs are never processed (XXE, billion laughs) */
  DTD: 'DCCGW_ERR_ENVELOPE_DTD',
  /** a processing instruction other than the XML declaration */
  PROCESSING_INSTRUCTION: 'DCCGW_ERR_ENVELOPE_PROCESSING_INSTRUCTION',
  /** a named entity other than the five predefined, or a bad character reference */
  ENTITY: 'DCCGW_ERR_ENVELOPE_ENTITY',
  /** depth, element count, text or attribute length over EnvelopeLimits */
  LIMIT: 'DCCGW_ERR_ENVELOPE_LIMIT',
  /** not well-formed XML (mismatched or unclosed tags, bad syntax, garbage after the root) */
  NOT_WELL_FORMED: 'DCCGW_ERR_ENVELOPE_NOT_WELL_FORMED',
  /** an undeclared namespace prefix or a bad namespace declaration */
  NAMESPACE: 'DCCGW_ERR_ENVELOPE_NAMESPACE',
  /** the root is not {ServiceUserGateway}Response */
  ROOT: 'DCCGW_ERR_ENVELOPE_ROOT',
  /** Response/@schemaVersion missing or not an xs:decimal */
  SCHEMA_VERSION: 'DCCGW_ERR_ENVELOPE_SCHEMA_VERSION',
  /** Header/RequestID or Header/ResponseID not EUI64:EUI64:counter */
  HEADER_ID: 'DCCGW_ERR_ENVELOPE_HEADER_ID',
  /** Header/ResponseDateTime not an xs:dateTime */
  DATE_TIME: 'DCCGW_ERR_ENVELOPE_DATE_TIME',
  /** a required element is missing (Header, Body, ResponseCode, ResponseDateTime) */
  MISSING_ELEMENT: 'DCCGW_ERR_ENVELOPE_MISSING_ELEMENT',
  /** elements out of DUIS order, duplicated, or element content where text was expected */
  STRUCTURE: 'DCCGW_ERR_ENVELOPE_STRUCTURE',
  /** Body is not exactly one of ResponseMessage, DeviceAlertMessage, DCCAlertMessage, SMETS1ResponseMessage */
  BODY: 'DCCGW_ERR_ENVELOPE_BODY',
  /** a field value outside its lexical space (alert code, MPxN, device ID, response code) */
  FIELD_VALUE: 'DCCGW_ERR_ENVELOPE_FIELD_VALUE',
} as const

export type EnvelopeErrorCode = (typeof EnvelopeErrors)[keyof typeof EnvelopeErrors]

export function reject(code: EnvelopeErrorCode, detail: string): { ok: false; error: EnvelopeRejection } {
  return { ok: false, error: { code, detail } }
}

export type { ParseResult }

/** 1-based line of a UTF-16 offset in the decoded document (computed only when rejecting). */
export function lineAt(src: string, offset: number): number {
  let line = 1
  let i = src.indexOf('\n')
  while (i !== -1 && i < offset) {
    line++
    i = src.indexOf('\n', i + 1)
  }
  return line
}

/** Quote a value for a detail message: bounded and free of control characters. */
export function show(value: string, max = 80): string {
  const cut = value.length > max ? `${value.slice(0, max)}…(${value.length} chars)` : value
  return JSON.stringify(cut)
}
