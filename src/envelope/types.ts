// Plain data that crosses the envelope boundary (cloneable: it travels from pool workers).

/** Metric kind of a DUIS document (docs/operations.md, "Metrics", `dccgw_messages_received_total{kind}`). */
export type MessageKind = 'device_alert' | 'dcc_alert' | 'response' | 'smets1'

/** The one Body child of a DUIS `Response` (DUIS XSD: a choice of four). */
export type BodyElement =
  | 'ResponseMessage'
  | 'DeviceAlertMessage'
  | 'DCCAlertMessage'
  | 'SMETS1ResponseMessage'

/**
 * A DUIS header ID, `EUI64:EUI64:counter` (xs:token). EUI-64s are normalised to upper case.
 * The counter is a decimal 0..2^64-1 and routinely exceeds 2^53: it stays a string
 * (use BigInt(counter) for arithmetic, never Number).
 */
export interface HeaderId {
  raw: string
  originator: string
  target: string
  counter: string
}

/** Facts read from the start of a GBCS payload (GBCS general-signing / general-ciphering header). */
export interface GbcsHeader {
  /** 0xDF = general-signing (critical alerts, device-signed); 0xDD = general-ciphering (non-critical). */
  firstByte: number
  /** originator system title (the device EUI-64), when the header could be read */
  originator?: string
  /** recipient system title (a User or DCC EUI-64): the certificate holder */
  recipient?: string
  /** GBCS originator counter, decimal string */
  counter?: string
}

export interface Envelope {
  /** `Response/@schemaVersion` as written (xs:decimal, compare numerically) */
  schemaVersion: string
  requestId?: HeaderId
  responseId?: HeaderId
  responseCode: string
  /** `Header/ResponseDateTime` as written */
  responseDateTime: string
  /** the same instant, epoch milliseconds */
  responseTime: number
  kind: MessageKind
  bodyElement: BodyElement
  serviceReference?: string
  serviceReferenceVariant?: string
  /** local name of the content child of ResponseMessage after the SRV, e.g. DSPScheduledMessage */
  responseContent?: string
  /**
   * a SMETS1 DSP-scheduled read: SMETS1ResponseMessage with a DSPScheduleID; absent
   * otherwise (SMETS2: responseContent DSPScheduledMessage)
   */
  dspScheduled?: true
  /** upper-case hex: DeviceAlertMessage/AlertCode, FutureDatedAlertCode, or SMETS1 GBCSHexAlertCode */
  alertCode?: string
  /** DCCAlertMessage/DCCAlertCode, e.g. N16, AD1 */
  dccAlertCode?: string
  /** local name of the child of DCCAlertMessage/DCCAlert, e.g. PowerOutageEvent */
  dccAlertType?: string
  /** MPxNs named in the body (ImportMPxN, SecondaryImportMPAN, ExportMPAN), deduplicated */
  mpxns: string[]
  /** of `mpxns`, those named as ExportMPAN (judged against the ES role); absent when none */
  exportMpans?: string[]
  /** Device IDs named in the body (upper-case EUI-64), deduplicated */
  deviceIds: string[]
  /** SMETS1 `ra:BusinessOriginatorID` (upper-case EUI-64) */
  smets1Originator?: string
  gbcs?: GbcsHeader
  hasGbcsPayload: boolean
  hasSignature: boolean
  throttledAlertSequenceId?: string
  throttledAlertCount?: string
}

/** Why a document is not a usable DUIS Response: the 422 detail. */
export interface EnvelopeRejection {
  /** stable code, DCCGW_ERR_ENVELOPE_* */
  code: string
  /** what was wrong, where, and what was expected */
  detail: string
}

export type ParseResult = { ok: true; value: Envelope } | { ok: false; error: EnvelopeRejection }

export interface EnvelopeLimits {
  maxDepth: number
  maxElements: number
  maxTextLength: number
  maxAttributeLength: number
}
