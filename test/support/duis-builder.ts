// Composes valid DUIS V5.x `Response` documents (element order as in the DUIS XSD) for
// tests, fixtures, demo samples and the bench traffic generator. Test and bench support, not shipped.
import { buildGbcsStub } from './gbcs-stub.js'
import { NS_DS, NS_RA, NS_SUG } from '../../src/envelope/index.js'

/** An element: DUIS (ServiceUserGateway) namespace unless `ns` says ra (SMETS1) or ds (xmldsig). */
export interface DuisNode { n: string; ns?: 'ra' | 'ds'; t?: string; c?: DuisNode[]; attrs?: Record<string, string> }

export interface InventoryDevice {
  deviceId: string
  deviceType: string
  status?: string
  importMPxN?: string
  secondaryImportMPAN?: string
  exportMPAN?: string
}

export interface DuisDocumentOptions {
  kind: 'device_alert' | 'dcc_alert' | 'scheduled_read' | 'future_dated_alert' | 'response' | 'smets1'
  /** 'default' = default namespace; otherwise the prefix for the ServiceUserGateway namespace (e.g. 'sr', 'd') */
  prefix?: string
  schemaVersion?: string
  requestId?: string
  responseId?: string
  responseCode?: string
  responseDateTime?: string
  /** device alert AlertCode, FutureDatedAlertCode (8F66/8F67) or SMETS1 GBCSHexAlertCode */
  alertCode?: string
  dccAlertCode?: string
  /** the DCCAlert child; default a ChangeOfSupplier/DeviceChangeOfSupplier for `device` and `mpxns` */
  dccAlert?: DuisNode
  /** base64 GBCSPayload; default a stub from device -> recipient (critical for device alerts) */
  gbcs?: string
  gbcsCritical?: boolean
  device?: string
  recipient?: string
  counter?: bigint | number | string
  mpxns?: string[]
  serviceReference?: string
  serviceReferenceVariant?: string
  /** the ResponseMessage content child after the SRV (kind 'response'); default a DSPInventory of `inventory` */
  content?: DuisNode
  inventory?: InventoryDevice[]
  throttle?: { sequenceId: string; count: string }
  /** smets1: a DSP-scheduled read (SR, SRV and DSPScheduleID before SMETS1SignedResponse; no alert code) */
  dspScheduleId?: string
  pretty?: boolean
  crlf?: boolean
  xmlDeclaration?: boolean
  signature?: boolean
}

const DEVICE = '00-12-34-56-78-AB-CD-EF'
const USER = '90-B3-D5-1F-30-01-00-00'

const el = (n: string, c?: DuisNode[] | string, ns?: 'ra' | 'ds'): DuisNode =>
  typeof c === 'string' ? { n, t: c, ...(ns ? { ns } : {}) } : { n, c: c ?? [], ...(ns ? { ns } : {}) }

function escape(t: string): string {
  return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A DSPInventory (SR 8.2 response) with one Device entry per item. */
export function inventoryNode(devices: InventoryDevice[]): DuisNode {
  return el('DSPInventory', devices.map((d) => el('Device', [
    el('DeviceID', d.deviceId), el('DeviceType', d.deviceType), el('DeviceStatus', d.status ?? 'Commissioned'),
    ...(d.importMPxN ? [el('ImportMPxN', d.importMPxN)] : []),
    ...(d.secondaryImportMPAN ? [el('SecondaryImportMPAN', d.secondaryImportMPAN)] : []),
    ...(d.exportMPAN ? [el('ExportMPAN', d.exportMPAN)] : []),
  ])))
}

/** A stub enveloped signature (not cryptographically valid); SignatureValue carries `&#13;` like DCC Boxed. */
function signatureNode(): DuisNode {
  return {
    n: 'Signature', ns: 'ds', attrs: { 'xmlns:ds': NS_DS }, c: [
      el('SignedInfo', [
        { n: 'CanonicalizationMethod', ns: 'ds', attrs: { Algorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' } },
        { n: 'SignatureMethod', ns: 'ds', attrs: { Algorithm: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256' } },
        { n: 'Reference', ns: 'ds', attrs: { URI: '' }, c: [el('DigestValue', 'q1w2e3r4t5y6u7i8o9p0AbCdEfGhIjKlMnOpQrStUvW=', 'ds')] },
      ], 'ds'),
      { n: 'SignatureValue', ns: 'ds', t: 'MEUCIQDd2k3s9Ff0lX7bYQ1n4x0v1w2e3r4t5y6u7i8o9p0&#13;\nAiBq1w2e3r4t5y6u7i8o9p0AbCdEfGhIjKlMnOpQrStUvW==' },
      el('KeyInfo', [el('X509Data', [el('X509IssuerSerial', [
        el('X509IssuerName', 'CN=U1, OU=07', 'ds'), el('X509SerialNumber', '339046578092301829387446378389238101482', 'ds'),
      ], 'ds')], 'ds')], 'ds'),
    ],
  }
}

function bodyNode(o: DuisDocumentOptions): DuisNode {
  const device = o.device ?? DEVICE
  const gbcs = (critical: boolean): string =>
    o.gbcs ?? buildGbcsStub({ critical: o.gbcsCritical ?? critical, originator: device, recipient: o.recipient ?? USER, counter: o.counter ?? 2000 })
  const throttle = o.throttle ? [el('ThrottledAlertSequenceId', o.throttle.sequenceId), el('ThrottledAlertCount', o.throttle.count)] : []
  const mpxns = o.mpxns ?? ['1200012345679']
  switch (o.kind) {
    case 'device_alert':
      return el('DeviceAlertMessage', [el('AlertCode', o.alertCode ?? '8F0F'), ...throttle, el('GBCSPayload', gbcs(true))])
    case 'dcc_alert': {
      const alert = o.dccAlert ?? el('ChangeOfSupplier', [el('DeviceChangeOfSupplier', [
        el('DeviceID', device), el('DeviceType', 'ESME'), el('MPxNs', mpxns.map((m) => el('ImportMPxN', m))),
      ])])
      return el('DCCAlertMessage', [el('DCCAlertCode', o.dccAlertCode ?? 'N16'), ...throttle, el('DCCAlert', [alert])])
    }
    case 'scheduled_read':
      return el('ResponseMessage', [el('ServiceReference', o.serviceReference ?? '4.6'), el('ServiceReferenceVariant', o.serviceReferenceVariant ?? '4.6.1'),
        el('DSPScheduledMessage', [el('GBCSPayload', gbcs(false)), el('DSPScheduleID', '4711')])])
    case 'future_dated_alert':
      return el('ResponseMessage', [el('ServiceReference', o.serviceReference ?? '6.23'), el('ServiceReferenceVariant', o.serviceReferenceVariant ?? '6.23'),
        el('FutureDatedDeviceAlertMessage', [el('FutureDatedAlertCode', o.alertCode ?? '8F66'), el('GBCSPayload', gbcs(false)),
          el('InstructionNumber', '1'), el('TotalCommandInstructions', '1')])])
    case 'response':
      return el('ResponseMessage', [el('ServiceReference', o.serviceReference ?? '8.2'), el('ServiceReferenceVariant', o.serviceReferenceVariant ?? '8.2'),
        ...(o.content === undefined && o.inventory === undefined ? [] : [o.content ?? inventoryNode(o.inventory!)])])
    case 'smets1':
      // SMETS1SignedResponse content is in the ResponseAndAlert namespace (structure approximated).
      return el('SMETS1ResponseMessage', [
        ...(o.dspScheduleId === undefined ? [] : [el('ServiceReference', o.serviceReference ?? '4.6'),
          el('ServiceReferenceVariant', o.serviceReferenceVariant ?? '4.6.1'), el('DSPScheduleID', o.dspScheduleId)]),
        ...throttle, { n: 'SMETS1SignedResponse', attrs: { 'xmlns:ra': NS_RA }, c: [
        el('Header', [el('BusinessOriginatorID', device, 'ra'), el('BusinessTargetID', o.recipient ?? USER, 'ra'), el('OriginatorCounter', String(o.counter ?? 2000), 'ra')], 'ra'),
        el('Body', o.dspScheduleId !== undefined ? [el('ResponseData', 'AAECAwQFBgc=', 'ra')]
          : [el('GBCSHexAlertCode', o.alertCode ?? '8F0F', 'ra'), el('AlertDescription', 'Credit Below Disablement Threshold', 'ra')], 'ra'),
        signatureNode(),
      ] }])
  }
}

function render(node: DuisNode, sr: string, depth: number, nl: string, pretty: boolean, rootAttrs: string): string {
  const prefix = node.ns === 'ra' ? 'ra:' : node.ns === 'ds' ? 'ds:' : sr
  const name = prefix + node.n
  const attrs = rootAttrs + Object.entries(node.attrs ?? {}).map(([k, v]) => ` ${k}="${escape(v).replace(/"/g, '&quot;')}"`).join('')
  const pad = pretty ? nl + ' '.repeat(depth + 1) : ''
  if (node.t !== undefined) return `<${name}${attrs}>${node.t.includes('&#13;') ? node.t : escape(node.t)}</${name}>`
  if (node.c === undefined || node.c.length === 0) return `<${name}${attrs}/>`
  const inner = node.c.map((c) => pad + render(c, sr, depth + 1, nl, pretty, '')).join('')
  return `<${name}${attrs}>${inner}${pretty ? nl + ' '.repeat(depth) : ''}</${name}>`
}

/** A DUIS `Response` document as a string (UTF-8 when encoded). */
export function buildDuisDocument(o: DuisDocumentOptions): string {
  const style = o.prefix ?? 'sr'
  const sr = style === 'default' ? '' : `${style}:`
  const xmlns = style === 'default' ? ` xmlns="${NS_SUG}"` : ` xmlns:${style}="${NS_SUG}"`
  const header = el('Header', [
    ...(o.requestId !== undefined ? [el('RequestID', o.requestId)] : []),
    ...(o.responseId !== undefined ? [el('ResponseID', o.responseId)] : []),
    el('ResponseCode', o.responseCode ?? 'I0'),
    el('ResponseDateTime', o.responseDateTime ?? '2025-03-14T08:15:30.120Z'),
  ])
  const root: DuisNode = { n: 'Response', c: [header, el('Body', [bodyNode(o)]), ...(o.signature ? [signatureNode()] : [])] }
  const nl = o.crlf ? '\r\n' : '\n'
  const xml = render(root, sr, 0, nl, o.pretty ?? false, `${xmlns} schemaVersion="${o.schemaVersion ?? '5.4'}"`)
  const decl = o.xmlDeclaration ? `<?xml version="1.0" encoding="UTF-8"?>${o.pretty ? nl : ''}` : ''
  return decl + xml + (o.pretty ? nl : '')
}
