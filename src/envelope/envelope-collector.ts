// The DUIS meaning of a stream of (namespace URI, local name) element events. Both the hand
// scanner (scan-envelope.ts) and the reference parser (parse-reference.ts) drive one of these, so
// they differ only in how they read XML. States, by depth: 1 Response; 2 Header | Body |
// ds:Signature (in that order); 3 a Header field or the one Body child; 4+ Body content.
import { EnvelopeErrors, lineAt, reject, show, type EnvelopeErrorCode } from './errors.js'
import { finishEnvelope, type Collected } from './finish-envelope.js'
import { isEui64 } from './header-id.js'
import { BODY_KINDS, DEVICE_ELEMENTS, MPXN_ELEMENTS, NS_DS, NS_RA, NS_SUG } from './names.js'
import type { BodyElement, EnvelopeRejection, ParseResult } from './types.js'

// What the current text-only element feeds (plain numbers: cheap to compare in the hot path).
const NONE = 0, REQUEST_ID = 1, RESPONSE_ID = 2, RESPONSE_CODE = 3, RESPONSE_DATE_TIME = 4
const SR = 5, SRV = 6, ALERT_CODE = 7, DCC_ALERT_CODE = 8, THROTTLE_SEQ = 9, THROTTLE_COUNT = 10
const GBCS = 11, MPXN = 12, DEVICE = 13, S1_ORIGINATOR = 14, EXPORT_MPAN = 15
const HEADER_FIELDS: Record<string, number> = { RequestID: REQUEST_ID, ResponseID: RESPONSE_ID, ResponseCode: RESPONSE_CODE, ResponseDateTime: RESPONSE_DATE_TIME }
const FIELD_NAMES = ['', 'Header/RequestID', 'Header/ResponseID', 'Header/ResponseCode', 'Header/ResponseDateTime',
  'ServiceReference', 'ServiceReferenceVariant', 'AlertCode', 'DCCAlertCode', 'ThrottledAlertSequenceId',
  'ThrottledAlertCount', 'GBCSPayload', 'MPxN', 'DeviceID', 'BusinessOriginatorID', 'ExportMPAN']
/** Only the start of GBCSPayload is needed (gbcs-header.ts reads <= 96 bytes). */
const GBCS_KEEP = 256

const HEX_CODE = /^(?:[0-9A-Fa-f]{2}){1,4}$/
const TOKEN = /^[0-9A-Za-z]{1,16}$/
const SR_TOKEN = /^[0-9A-Za-z.]{1,16}$/
const MPXN_TOKEN = /^[0-9A-Za-z]{1,13}$/

const SECTION_NONE = 0, SECTION_HEADER = 1, SECTION_BODY = 2, SECTION_SIGNATURE = 3

export class EnvelopeCollector {
  error: EnvelopeRejection | undefined
  readonly c: Collected = { mpxns: [], deviceIds: [], hasGbcsPayload: false, hasSignature: false }
  #src: string | undefined
  #depth = 0
  #locals: string[] = []
  #section = SECTION_NONE
  #headerSeen = false
  #bodySeen = false
  #cap = NONE
  #capDepth = 0
  #capAt = -1
  #buf = ''
  #bodyChild: BodyElement | undefined
  #contentSeen = false
  #inSmets1 = 0

  /** `src` (the decoded document) lets details name a line; the reference parser has no offsets. */
  constructor(src: string | undefined) {
    this.#src = src
  }

  /** " at line N" for an offset, computed only when rejecting. */
  #locate(at: number): string {
    return this.#src === undefined || at < 0 ? '' : ` at line ${lineAt(this.#src, at)}`
  }

  #bad(kind: number, v: string, what: string): false {
    return this.#fail(EnvelopeErrors.FIELD_VALUE, `${FIELD_NAMES[kind]} ${show(v)}${this.#locate(this.#capAt)}: expected ${what}`)
  }

  #fail(code: EnvelopeErrorCode, detail: string): false {
    this.error = reject(code, detail).error
    return false
  }

  #path(): string {
    return this.#locals.slice(0, this.#depth).join('/')
  }

  #capture(kind: number, at: number, dup: boolean, name: string): boolean {
    if (dup) return this.#fail(EnvelopeErrors.STRUCTURE, `${this.#path()}${this.#locate(at)}: duplicate ${name}: expected at most one`)
    this.#cap = kind
    this.#capDepth = this.#depth
    this.#capAt = at
    this.#buf = ''
    return true
  }

  rootAttribute(name: string, value: string): void {
    if (this.#depth === 1 && name === 'schemaVersion') this.c.schemaVersion = value
  }

  /** An element start; false when the document is rejected (see `error`). */
  start(ns: string, local: string, at: number): boolean {
    const d = ++this.#depth
    this.#locals[d - 1] = local
    if (this.#cap !== NONE) {
      return this.#fail(EnvelopeErrors.STRUCTURE, `${this.#path()}${this.#locate(at)}: element inside ${FIELD_NAMES[this.#cap]}: expected text content`)
    }
    if (d === 1) {
      if (ns === NS_SUG && local === 'Response') return true
      return this.#fail(EnvelopeErrors.ROOT, `root element {${ns}}${local}${this.#locate(at)}: expected {${NS_SUG}}Response`)
    }
    if (d === 2) return this.#topLevel(ns, local, at)
    if (this.#section === SECTION_HEADER) {
      const kind = d === 3 && ns === NS_SUG ? HEADER_FIELDS[local] : undefined
      if (kind === undefined) return true // unknown Header content: ignored (forward compatible)
      return this.#capture(kind, at, this.#headerValue(kind) !== undefined, `Header/${local}`)
    }
    if (this.#section !== SECTION_BODY) return true // ds:Signature content
    if (d === 3) {
      if (this.#bodyChild !== undefined) return this.#fail(EnvelopeErrors.BODY, `Body/${local}${this.#locate(at)}: second Body child: expected exactly one of ${Object.keys(BODY_KINDS).join(', ')}`)
      if (ns === NS_SUG && Object.hasOwn(BODY_KINDS, local)) {
        this.#bodyChild = local as BodyElement
        return true
      }
      return this.#fail(EnvelopeErrors.BODY, `Body/{${ns}}${local}${this.#locate(at)}: expected one of ${Object.keys(BODY_KINDS).join(', ')}`)
    }
    return this.#bodyContent(ns, local, at, d)
  }

  #headerValue(kind: number): string | undefined {
    const c = this.c
    return kind === REQUEST_ID ? c.requestId : kind === RESPONSE_ID ? c.responseId : kind === RESPONSE_CODE ? c.responseCode : c.responseDateTime
  }

  #topLevel(ns: string, local: string, at: number): boolean {
    if (ns === NS_SUG && local === 'Header' && !this.#headerSeen && !this.#bodySeen) {
      this.#headerSeen = true
      this.#section = SECTION_HEADER
    } else if (ns === NS_SUG && local === 'Body' && this.#headerSeen && !this.#bodySeen) {
      this.#bodySeen = true
      this.#section = SECTION_BODY
    } else if (ns === NS_DS && local === 'Signature' && this.#bodySeen && !this.c.hasSignature) {
      // DUIS: an optional enveloped ds:Signature is the last child of Response, after Body.
      this.c.hasSignature = true
      this.#section = SECTION_SIGNATURE
    } else {
      return this.#fail(EnvelopeErrors.STRUCTURE, `Response/{${ns}}${local}${this.#locate(at)}: expected Header, then Body, then an optional ds:Signature`)
    }
    return true
  }

  #bodyContent(ns: string, local: string, at: number, d: number): boolean {
    const c = this.c
    if (ns !== NS_SUG && ns !== NS_RA) return true
    if (d === 4) {
      const body = this.#bodyChild
      if (local === 'ServiceReference' && (body === 'ResponseMessage' || body === 'SMETS1ResponseMessage')) return this.#capture(SR, at, c.serviceReference !== undefined, local)
      if (local === 'ServiceReferenceVariant' && (body === 'ResponseMessage' || body === 'SMETS1ResponseMessage')) return this.#capture(SRV, at, c.serviceReferenceVariant !== undefined, local)
      if (local === 'ThrottledAlertSequenceId') return this.#capture(THROTTLE_SEQ, at, c.throttledAlertSequenceId !== undefined, local)
      if (local === 'ThrottledAlertCount') return this.#capture(THROTTLE_COUNT, at, c.throttledAlertCount !== undefined, local)
      if (body === 'ResponseMessage' && !this.#contentSeen) {
        // ResponseMessage: SR, SRV, then the content child (DSPScheduledMessage, GBCSPayload, DSPInventory, ...).
        this.#contentSeen = true
        c.responseContent = local
      } else if (body === 'DeviceAlertMessage' && local === 'AlertCode') {
        return this.#capture(ALERT_CODE, at, c.alertCode !== undefined, local)
      } else if (body === 'DCCAlertMessage' && local === 'DCCAlertCode') {
        return this.#capture(DCC_ALERT_CODE, at, c.dccAlertCode !== undefined, local)
      } else if (body === 'SMETS1ResponseMessage' && local === 'SMETS1SignedResponse') {
        this.#inSmets1 = d
      } else if (body === 'SMETS1ResponseMessage' && local === 'DSPScheduleID') {
        c.dspScheduled = true // SMETS1 DSP-scheduled read: consumption data
      }
    } else if (d === 5) {
      const parent = this.#locals[3]
      if (parent === 'FutureDatedDeviceAlertMessage' && local === 'FutureDatedAlertCode') {
        return this.#capture(ALERT_CODE, at, c.alertCode !== undefined, local)
      }
      // DCCAlertMessage/DCCAlert/<type>: route on the DCCAlert child.
      if (parent === 'DCCAlert' && this.#bodyChild === 'DCCAlertMessage' && c.dccAlertType === undefined) c.dccAlertType = local
    }
    if (local === 'GBCSPayload' && ns === NS_SUG) {
      const first = !c.hasGbcsPayload
      c.hasGbcsPayload = true
      if (first) return this.#capture(GBCS, at, false, local)
    } else if (MPXN_ELEMENTS.has(local)) {
      return this.#capture(local === 'ExportMPAN' ? EXPORT_MPAN : MPXN, at, false, local)
    } else if (DEVICE_ELEMENTS.has(local)) {
      return this.#capture(DEVICE, at, false, local)
    } else if (this.#inSmets1 !== 0 && ns === NS_RA) {
      // SMETS1SignedResponse: ra:BusinessOriginatorID (the device), ra:GBCSHexAlertCode.
      if (local === 'BusinessOriginatorID') return this.#capture(S1_ORIGINATOR, at, c.smets1Originator !== undefined, local)
      if (local === 'GBCSHexAlertCode') return this.#capture(ALERT_CODE, at, c.alertCode !== undefined, local)
    }
    return true
  }

  /** Whether text of the current element is kept (otherwise the scanner only validates it). */
  get capturing(): boolean {
    return this.#cap !== NONE
  }

  text(chunk: string): void {
    if (this.#cap === GBCS && this.#buf.length >= GBCS_KEEP) return
    this.#buf += chunk
  }

  end(): boolean {
    const d = this.#depth--
    if (this.#inSmets1 === d) this.#inSmets1 = 0
    if (this.#cap === NONE || this.#capDepth !== d) return true
    const kind = this.#cap
    this.#cap = NONE
    return this.#assign(kind, this.#buf.trim())
  }

  #assign(kind: number, v: string): boolean {
    const c = this.c
    switch (kind) {
      case REQUEST_ID: c.requestId = v; c.requestIdAt = this.#capAt; return true
      case RESPONSE_ID: c.responseId = v; c.responseIdAt = this.#capAt; return true
      case RESPONSE_DATE_TIME: c.responseDateTime = v; c.responseDateTimeAt = this.#capAt; return true
      case RESPONSE_CODE: if (!TOKEN.test(v)) return this.#bad(kind, v, 'a response code such as I0, E4 or W050201'); c.responseCode = v; return true
      case SR: if (!SR_TOKEN.test(v)) return this.#bad(kind, v, 'a service reference such as 4.6'); c.serviceReference = v; return true
      case SRV: if (!SR_TOKEN.test(v)) return this.#bad(kind, v, 'a service reference variant such as 4.6.1'); c.serviceReferenceVariant = v; return true
      case ALERT_CODE: if (!HEX_CODE.test(v)) return this.#bad(kind, v, 'an xs:hexBinary alert code such as 8F0F'); c.alertCode = v.toUpperCase(); return true
      case DCC_ALERT_CODE: if (!TOKEN.test(v)) return this.#bad(kind, v, 'a DCC alert code such as N16 or AD1'); c.dccAlertCode = v; return true
      case THROTTLE_SEQ: c.throttledAlertSequenceId = v; return true
      case THROTTLE_COUNT: c.throttledAlertCount = v; return true
      case GBCS: c.gbcsText = v; return true
      case MPXN:
      case EXPORT_MPAN:
        if (!MPXN_TOKEN.test(v)) return this.#bad(kind, v, 'an MPAN or MPRN of 1-13 letters or digits')
        if (!c.mpxns.includes(v)) c.mpxns.push(v)
        // an ExportMPAN is judged against the ES role (docs/decisions.md, "Import, export, gas")
        if (kind === EXPORT_MPAN && !c.exportMpans?.includes(v)) (c.exportMpans ??= []).push(v)
        return true
      case DEVICE: {
        if (!isEui64(v)) return this.#bad(kind, v, "an EUI-64 (8 hex octets joined by '-')")
        const id = v.toUpperCase()
        if (!c.deviceIds.includes(id)) c.deviceIds.push(id)
        return true
      }
      case S1_ORIGINATOR: if (!isEui64(v)) return this.#bad(kind, v, "an EUI-64 (8 hex octets joined by '-')"); c.smets1Originator = v.toUpperCase(); return true
      default: return true
    }
  }

  finish(): ParseResult {
    if (this.error !== undefined) return { ok: false, error: this.error }
    return finishEnvelope(this.c, this.#headerSeen, this.#bodySeen, this.#bodyChild, (at) => this.#locate(at))
  }
}
