// A parsed device alert, as parseEnvelope returns it, for the registry lookup tests and benches
// that start after parsing.
import type { Envelope } from '../../src/envelope/index.js'

export function deviceAlertEnvelope(responseTime: number, over: Partial<Envelope> = {}): Envelope {
  return {
    schemaVersion: '5.4', responseCode: 'I0', responseDateTime: '', responseTime,
    kind: 'device_alert', bodyElement: 'DeviceAlertMessage', mpxns: [], deviceIds: [], hasGbcsPayload: true, hasSignature: false, ...over,
  }
}
