// Namespace URIs and element names of DUIS V5.x. Match URI + local name, never a prefix.

export const NS_SUG = 'http://www.dccinterface.co.uk/ServiceUserGateway'
/** SMETS1 content (MMC): SMETS1SignedResponse children */
export const NS_RA = 'http://www.dccinterface.co.uk/ResponseAndAlert'
export const NS_DS = 'http://www.w3.org/2000/09/xmldsig#'
export const NS_XML = 'http://www.w3.org/XML/1998/namespace'

/** Body children (DUIS XSD: a choice of four) and the metric kind each maps to. */
export const BODY_KINDS = {
  ResponseMessage: 'response',
  DeviceAlertMessage: 'device_alert',
  DCCAlertMessage: 'dcc_alert',
  SMETS1ResponseMessage: 'smets1',
} as const

/** Elements anywhere in Body naming an MPxN (PowerOutageEvent, DeviceStatusChangeEvent, DeviceChangeOfSupplier/MPxNs, DSPInventory/Device). */
export const MPXN_ELEMENTS: ReadonlySet<string> = new Set(['ImportMPxN', 'SecondaryImportMPAN', 'ExportMPAN'])
/** Elements anywhere in Body naming a device (DSPInventory/Device/DeviceID, PowerOutageEvent/CommsHubDeviceID, ...). */
export const DEVICE_ELEMENTS: ReadonlySet<string> = new Set(['DeviceID', 'CommsHubDeviceID'])
