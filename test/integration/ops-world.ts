// Shared by the ops and deploy tests: a real in-process gateway (from dist/) with a real adapter
// and a real notice webhook on port 0, after a mix of traffic that exercises every decision,
// a 415 and a 422, so /metrics shows the series dashboards and alert rules rely on.
import type { Gateway } from '../../dist/index.js'
import { buildDuisDocument } from '../support/duis-builder.js'
import { ACME_USER, makeWorld, post, Recorder, spoolEmpty, startInProcess, waitFor, type World } from './harness.js'

export const OWN_DEVICE = '00-12-34-56-78-AB-CD-EF' // MPAN 1200012345679: ACME
export const STALE_ELEC_DEVICE = '00-12-34-56-78-AB-CD-F0' // MPAN 1412345678901: ACME until 2025-03-01, then BRIT
export const UNKNOWN_DEVICE = '00-12-34-56-78-AB-CD-99'
/** Per-customer values the traffic below carries: none may appear in a metric label. */
export const CUSTOMER_VALUES = ['1200012345679', '1412345678901', OWN_DEVICE, STALE_ELEC_DEVICE, UNKNOWN_DEVICE]
// Alerts are dated now: obligation deadlines count from the alert time (docs/obligations.md), and an alert
// dated long ago would open overdue and escalate at once, adding notices this world does not expect.
const AT = new Date().toISOString()

let counter = 5000
export function alertDoc(device: string, opts: { code?: string; critical?: boolean; at?: string } = {}): string {
  counter++
  return buildDuisDocument({
    kind: 'device_alert', alertCode: opts.code ?? '8F0F', device, recipient: ACME_USER, counter,
    responseDateTime: opts.at ?? AT, gbcsCritical: opts.critical ?? true, responseId: `${device}:${ACME_USER}:${counter}`,
  })
}

export interface BusyGateway {
  gw: Gateway
  world: World
  adapter: Recorder
  webhook: Recorder
  scrape(): Promise<string>
  close(): Promise<void>
}

export async function startBusyGateway(): Promise<BusyGateway> {
  const adapter = await new Recorder().listen()
  const webhook = await new Recorder().listen()
  const world = makeWorld({ adapterUrl: `${adapter.url}/adapter`, noticeUrl: `${webhook.url}/notices` })
  const gw = await startInProcess(world)
  const ingress = `${gw.url}/duis`
  const decisions = []
  for (let i = 0; i < 3; i++) decisions.push((await post(ingress, alertDoc(OWN_DEVICE))).json.decision) // deliver
  decisions.push((await post(ingress, alertDoc(STALE_ELEC_DEVICE, { code: '8F3D' }))).json.decision) // forward
  decisions.push((await post(ingress, alertDoc(STALE_ELEC_DEVICE, { code: '810D', critical: false }))).json.decision) // drop
  decisions.push((await post(ingress, alertDoc(UNKNOWN_DEVICE))).json.decision) // quarantine
  if (decisions.join() !== 'deliver,deliver,deliver,forward,drop,quarantine') throw new Error(`unexpected decisions ${decisions.join()}`)
  if ((await post(ingress, '<not-duis/>')).status !== 422) throw new Error('expected 422')
  if ((await post(ingress, 'x', 'text/plain')).status !== 415) throw new Error('expected 415')
  await waitFor('deliveries and the notice', () => adapter.received.length >= 3 && webhook.received.length >= 1)
  // (the quarantined critical alert's obligation notice joins the spool only with the projection's
  // batch answer: spoolEmpty waits for that too, or a scrape could find it)
  await waitFor('delivery attempts recorded', () => spoolEmpty(gw.url))
  return {
    gw, world, adapter, webhook,
    scrape: () => fetch(`${gw.url}/metrics`).then((r) => r.text()),
    async close() {
      await gw.close()
      await adapter.close()
      await webhook.close()
    },
  }
}

/** The metric names a gateway exports once it has seen every kind of traffic (started, scraped, closed). */
export async function exportedMetricNames(): Promise<Set<string>> {
  const busy = await startBusyGateway()
  try {
    return new Set(parseExposition(await busy.scrape()).map((s) => s.name))
  } finally {
    await busy.close()
  }
}

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** Prometheus text exposition (0.0.4) samples; comments skipped. Label values unescaped. */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line)
    if (!m) throw new Error(`not an exposition line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c))
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return out
}
