// Turns the collected raw fields into an Envelope, or the rejection that says what is missing.
import { parseDuisDateTime } from './date-time.js'
import { EnvelopeErrors, reject, show } from './errors.js'
import { readGbcsHeader } from './gbcs-header.js'
import { HEADER_ID_EXPECTED, parseHeaderId } from './header-id.js'
import { BODY_KINDS } from './names.js'
import type { BodyElement, Envelope, HeaderId, ParseResult } from './types.js'

/** Envelope fields the collector fills as they are (finishEnvelope copies them over unchanged). */
type CopiedFields =
  | 'serviceReference' | 'serviceReferenceVariant' | 'responseContent' | 'alertCode' | 'dccAlertCode' | 'dccAlertType'
  | 'mpxns' | 'deviceIds' | 'smets1Originator' | 'hasGbcsPayload' | 'hasSignature' | 'dspScheduled' | 'exportMpans'
  | 'throttledAlertSequenceId' | 'throttledAlertCount'

/** Raw values as read; offsets (-1 when unknown) locate a rejection. */
export interface Collected extends Pick<Envelope, CopiedFields> {
  schemaVersion?: string
  requestId?: string
  requestIdAt?: number
  responseId?: string
  responseIdAt?: number
  responseCode?: string
  responseDateTime?: string
  responseDateTimeAt?: number
  gbcsText?: string
}

// Response/@schemaVersion is xs:decimal: any decimal is accepted (5.0 .. 5.4 today; versions mix).
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/

type Located = (at: number) => string

function headerId(raw: string, at: number | undefined, name: string, locate: Located): HeaderId | { ok: false; error: { code: string; detail: string } } {
  const id = parseHeaderId(raw)
  if (id !== undefined) return id
  return reject(EnvelopeErrors.HEADER_ID, `Header/${name} ${show(raw)}${locate(at ?? -1)}: ${HEADER_ID_EXPECTED}`)
}

export function finishEnvelope(c: Collected, headerSeen: boolean, bodySeen: boolean, bodyChild: BodyElement | undefined, locate: Located): ParseResult {
  const version = c.schemaVersion?.trim()
  if (version === undefined) return reject(EnvelopeErrors.SCHEMA_VERSION, 'Response/@schemaVersion is missing: expected an xs:decimal such as 5.4')
  if (!DECIMAL.test(version)) return reject(EnvelopeErrors.SCHEMA_VERSION, `Response/@schemaVersion ${show(version)}: expected an xs:decimal such as 5.4`)
  if (!headerSeen) return reject(EnvelopeErrors.MISSING_ELEMENT, 'Response/Header is missing: expected Header, then Body')
  if (!bodySeen) return reject(EnvelopeErrors.MISSING_ELEMENT, 'Response/Body is missing: expected Header, then Body')
  if (bodyChild === undefined) return reject(EnvelopeErrors.BODY, `Response/Body is empty: expected one of ${Object.keys(BODY_KINDS).join(', ')}`)
  if (c.responseCode === undefined) return reject(EnvelopeErrors.MISSING_ELEMENT, 'Header/ResponseCode is missing: expected a response code such as I0')
  if (c.responseDateTime === undefined) return reject(EnvelopeErrors.MISSING_ELEMENT, 'Header/ResponseDateTime is missing: expected an xs:dateTime')

  let requestId: HeaderId | undefined
  let responseId: HeaderId | undefined
  if (c.requestId !== undefined) {
    const r = headerId(c.requestId, c.requestIdAt, 'RequestID', locate)
    if ('ok' in r) return r
    requestId = r
  }
  if (c.responseId !== undefined) {
    const r = headerId(c.responseId, c.responseIdAt, 'ResponseID', locate)
    if ('ok' in r) return r
    responseId = r
  }
  const responseTime = parseDuisDateTime(c.responseDateTime)
  if (responseTime === undefined) {
    return reject(EnvelopeErrors.DATE_TIME, `Header/ResponseDateTime ${show(c.responseDateTime)}${locate(c.responseDateTimeAt ?? -1)}: expected an xs:dateTime such as 2025-03-14T08:15:30.120Z`)
  }

  // Optional fields are only set when present, so the value is plain, cloneable and deep-equal comparable.
  const env: Envelope = {
    schemaVersion: version,
    responseCode: c.responseCode,
    responseDateTime: c.responseDateTime,
    responseTime,
    kind: BODY_KINDS[bodyChild],
    bodyElement: bodyChild,
    mpxns: c.mpxns,
    deviceIds: c.deviceIds,
    hasGbcsPayload: c.hasGbcsPayload,
    hasSignature: c.hasSignature,
  }
  if (requestId !== undefined) env.requestId = requestId
  if (responseId !== undefined) env.responseId = responseId
  if (c.serviceReference !== undefined) env.serviceReference = c.serviceReference
  if (c.serviceReferenceVariant !== undefined) env.serviceReferenceVariant = c.serviceReferenceVariant
  if (c.responseContent !== undefined) env.responseContent = c.responseContent
  if (c.alertCode !== undefined) env.alertCode = c.alertCode
  if (c.dccAlertCode !== undefined) env.dccAlertCode = c.dccAlertCode
  if (c.dccAlertType !== undefined) env.dccAlertType = c.dccAlertType
  if (c.smets1Originator !== undefined) env.smets1Originator = c.smets1Originator
  if (c.dspScheduled) env.dspScheduled = true
  if (c.exportMpans !== undefined) env.exportMpans = c.exportMpans
  if (c.gbcsText !== undefined) {
    const gbcs = readGbcsHeader(c.gbcsText)
    if (gbcs !== undefined) env.gbcs = gbcs
  }
  if (c.throttledAlertSequenceId !== undefined) env.throttledAlertSequenceId = c.throttledAlertSequenceId
  if (c.throttledAlertCount !== undefined) env.throttledAlertCount = c.throttledAlertCount
  return { ok: true, value: env }
}
