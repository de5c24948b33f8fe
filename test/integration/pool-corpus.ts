// The varied-document corpus for the pool's "decisions unchanged" check: every fixture (valid,
// invalid, hostile), the demo samples, and builder-generated variants over the demo world
// (devices x recipients x days around the BRITE change of supplier x alert codes x namespaces).
import { readFixtures } from '../fixtures/duis/read-fixtures.js'
import { buildDuisDocument, type DuisDocumentOptions } from '../support/duis-builder.js'

const DEVICES = ['00-12-34-56-78-AB-CD-EF', '00-12-34-56-78-AB-CD-F0', '00-12-34-56-78-AB-CD-F1', '00-12-34-56-78-AB-CD-F3', '00-12-34-56-78-AB-CD-F4', '00-12-34-56-78-AB-CD-99']
const USERS = ['90-B3-D5-1F-30-01-00-00', '90-B3-D5-1F-30-03-00-00', '90-B3-D5-1F-30-05-00-00', '90-B3-D5-1F-30-02-00-00', '90-B3-D5-1F-30-09-09-09']
const DAYS = ['2025-02-28T23:30:00Z', '2025-03-01T00:30:00Z', '2025-03-14T08:15:30.120Z', '2024-06-01T12:00:00+01:00']
const CODES: Array<[string, boolean]> = [['8F0F', true], ['8F0A', true], ['810D', false], ['8F35', true], ['81AA', false], ['8F12', false]]
const PREFIXES = ['sr', 'default', 'd']

export function variantDocuments(): Buffer[] {
  const out: Buffer[] = []
  let counter = 1000n
  for (const device of DEVICES)
    for (const user of USERS)
      for (const when of DAYS) {
        const base = (k: number): Partial<DuisDocumentOptions> => {
          counter++
          return { device, recipient: user, counter, responseDateTime: when, responseId: `${device}:${user}:${counter}`, prefix: PREFIXES[k % PREFIXES.length]!, pretty: k % 2 === 0 }
        }
        CODES.forEach(([alertCode, gbcsCritical], k) => out.push(Buffer.from(buildDuisDocument({ ...base(k), kind: 'device_alert', alertCode, gbcsCritical }))))
        out.push(Buffer.from(buildDuisDocument({ ...base(1), kind: 'scheduled_read' })))
        const dcc = base(2)
        out.push(Buffer.from(buildDuisDocument({ ...dcc, kind: 'dcc_alert', responseId: `90-B3-D5-1F-30-00-00-02:${user}:${dcc.counter}`, mpxns: ['1412345678901'] })))
        const rsp = base(0)
        out.push(Buffer.from(buildDuisDocument({ ...rsp, kind: 'response', responseId: undefined, requestId: `${user}:${device}:${rsp.counter}`,
          inventory: [{ deviceId: device, deviceType: 'ESME', importMPxN: '1412345678901' }] })))
      }
  return out
}

export function fixtureDocuments(): Array<[string, Buffer]> {
  return [
    ...readFixtures('test/fixtures/duis'),
    ...readFixtures('test/fixtures/duis/invalid').map(([n, b]): [string, Buffer] => [`invalid/${n}`, b]),
    ...readFixtures('test/fixtures/hostile').map(([n, b]): [string, Buffer] => [`hostile/${n}`, b]),
    ...readFixtures('examples/demo/duis').map(([n, b]): [string, Buffer] => [`demo/${n}`, b]),
  ]
}

/** [name, bytes] of the whole corpus, fixtures first. */
export function poolCorpus(): Array<[string, Buffer]> {
  return [...fixtureDocuments(), ...variantDocuments().map((b, k): [string, Buffer] => [`variant-${k}`, b])]
}
