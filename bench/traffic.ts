// Traffic generator: N DUIS documents for the benchmark world (traffic-mix.ts), each with the
// oracle's expected outcome. Deterministic by seed; written once to bench/.cache/ as NDJSON
// (`{"b": body, "e": expected}` per line) and reused by every later run with the same parameters.
import { createHash } from 'node:crypto'
import { createWriteStream, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { join } from 'node:path'
import { buildDuisDocument, type DuisDocumentOptions } from '../test/support/duis-builder.js'
import { prng } from './world.js'
import { expect, type Expected, type MessageSpec, type OraclePolicy } from './traffic-oracle.js'
import { ensureWorld, loadWorldModel, periodAt, type WorldModel, type WorldParams } from './traffic-world.js'
import * as mix from './traffic-mix.js'

export interface TrafficParams extends WorldParams {
  messages: number
  /** share of the tenant's lost switches (SSD before the month) that never had SR 6.23 run */
  no623Share: number
}

export interface Traffic {
  params: TrafficParams
  worldDir: string
  file: string
  bodies: Buffer[]
  expected: Expected[]
  /** sha256 (hex) of each body */
  hashes: string[]
  /** expected count per "decision/reason" */
  mix: Record<string, number>
}

export const ORACLE_POLICY: OraclePolicy & { tenants: string[] } = {
  tenants: [],
  safetyListedCodes: new Set(mix.POLICY.safetyListedCodes),
  consumptionDataCodes: new Set(mix.POLICY.consumptionDataCodes),
  dccUserIds: new Set(mix.DCC_USER_IDS),
}

const VERSION = 2 // 2: the rules of docs/decisions.md (never-supplied, roles, delegation, inclusive effective_to)
export function trafficFile(cacheDir: string, p: TrafficParams): string {
  return join(cacheDir, `traffic-v${VERSION}-n${p.messages}-w${p.mpxns}-s${p.seed}-c${p.cosRate}-x${p.no623Share}.ndjson`)
}

/** The tenant's MPxN pools for the month (one pass over the world). */
function pools(w: WorldModel, no623Share: number, rnd: () => number) {
  const monthStart = new Date(mix.MONTH_START).toISOString().slice(0, 10)
  const mid = new Date((mix.MONTH_START + mix.MONTH_END) / 2).toISOString().slice(0, 10)
  const tenant = w.parties.find((p) => p.id === w.tenant)!
  const failed = w.parties.find((p) => p.id === w.failed)!
  const stale: string[] = []
  const own: string[] = []
  const srp: string[] = []
  const never: string[] = []
  for (const [mpxn, list] of w.periods) {
    const now = periodAt(list, monthStart)
    if (!now) continue
    const nowParty = w.partyByMpid.get(now.mpid)
    if (nowParty === tenant.id && periodAt(list, mid) === now) own.push(mpxn)
    else if (nowParty === failed.id) srp.push(mpxn)
    else if (list.some((p) => p.from < now.from && tenant.mpids.includes(p.mpid)) && rnd() < no623Share) stale.push(mpxn)
    else if (never.length < 10_000 && !list.some((p) => tenant.mpids.includes(p.mpid) || failed.mpids.includes(p.mpid))) never.push(mpxn)
  }
  if (stale.length === 0 || own.length === 0 || srp.length === 0 || never.length === 0)
    throw new Error(`world too small: ${stale.length} stale, ${own.length} own, ${srp.length} SRP, ${never.length} never-supplied MPxNs`)
  return { stale, own, srp, never }
}

function userFor(w: WorldModel, partyId: string, mpxn: string): string {
  const p = w.parties.find((x) => x.id === partyId)!
  const role = mpxn.length === 13 ? 'IS' : 'GS'
  return (p.userIds.find((u) => u.role === role) ?? p.userIds[0]!).eui64
}

const hex2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0')

export async function generateTraffic(cacheDir: string, p: TrafficParams, log: (s: string) => void = () => {}): Promise<string> {
  const file = trafficFile(cacheDir, p)
  if (existsSync(file)) return file
  const t0 = performance.now()
  const dir = await ensureWorld(cacheDir, p)
  log(`world ${dir} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s; reading it for the oracle`)
  const w = loadWorldModel(dir)
  const policy = { ...ORACLE_POLICY, tenants: [w.tenant] }
  const rnd = prng(p.seed * 7919 + 17)
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!
  const { stale, own, srp, never } = pools(w, p.no623Share, rnd)
  log(`pools: ${stale.length} stale-CoS MPxNs (no SR 6.23), ${own.length} own, ${srp.length} SRP, ${never.length} never supplied`)
  const others = w.parties.filter((x) => x.id !== w.tenant && x.id !== w.failed && x.userIds.length > 0)
  const cum: [keyof typeof mix.SCENARIOS, number][] = []
  let acc = 0
  for (const [k, v] of Object.entries(mix.SCENARIOS)) cum.push([k as keyof typeof mix.SCENARIOS, (acc += v)])

  const tmp = `${file}.tmp`
  const out = createWriteStream(tmp)
  for (let k = 0; k < p.messages; k++) {
    const x = rnd() * acc
    const scenario = cum.find(([, c]) => x < c)?.[0] ?? 'stale'
    const time = new Date(mix.MONTH_START + Math.floor(rnd() * (mix.MONTH_END - mix.MONTH_START))).toISOString()
    const pool = scenario === 'srp' ? srp : scenario === 'responsible' ? own : scenario === 'dccAlert' && rnd() < 0.5 ? own
      : scenario === 'neverSupplied' ? never : stale
    const mpxn = pick(pool)
    const party = scenario === 'srp' ? w.failed : w.tenant
    const recipient = scenario === 'unknownRecipient' ? pick(pick(others).userIds).eui64 : userFor(w, party, mpxn)
    const chf = w.chfOf.get(mpxn)
    let device = chf !== undefined && rnd() < 0.15 ? chf : w.meterOf.get(mpxn)!
    if (scenario === 'unknownDevice') device = `00-12-4C-${hex2(k >>> 16 & 255)}-${hex2(k >>> 8 & 255)}-${hex2(k & 255)}-00-01`
    const spec: MessageSpec = { kind: 'device_alert', recipient, device, time }
    const y = rnd()
    if (scenario === 'dccAlert') Object.assign(spec, { kind: 'dcc_alert', mpxns: [mpxn], alertCode: pick(mix.DCC_ALERT_CODES) })
    else if (scenario === 'dspResponse') Object.assign(spec, { kind: 'dsp_response', requestTarget: pick(mix.DCC_USER_IDS) })
    else if (scenario === 'stale') {
      if (y < mix.STALE_READS) Object.assign(spec, rnd() < mix.READS_8F0A ? { alertCode: '8F0A', critical: true } : { kind: 'scheduled_read' })
      else {
        const z = rnd()
        if (z < mix.STALE_E4) spec.kind = 'e4_response'
        else if (z < mix.STALE_E4 + mix.STALE_SAFETY) Object.assign(spec, { alertCode: pick(mix.SAFETY_CODES), critical: true })
        else if (z < mix.STALE_E4 + mix.STALE_SAFETY + mix.STALE_CRITICAL) Object.assign(spec, { alertCode: pick(mix.CRITICAL_CODES), critical: true })
        else Object.assign(spec, { alertCode: pick(mix.NONCRITICAL_CODES), critical: false })
      }
    } else {
      // own, SRP, misrouted, unknown-device traffic: reads, alerts of every class
      if (y < 0.3) spec.kind = 'scheduled_read'
      else if (y < 0.45) Object.assign(spec, { alertCode: '8F0A', critical: true })
      else if (y < 0.55) Object.assign(spec, { alertCode: pick(mix.SAFETY_CODES), critical: true })
      else if (y < 0.7) Object.assign(spec, { alertCode: pick(mix.CRITICAL_CODES), critical: true })
      else Object.assign(spec, { alertCode: pick(mix.NONCRITICAL_CODES), critical: false })
    }
    let body = buildDuisDocument(documentOptions(spec, k, rnd))
    if (scenario === 'malformed') {
      spec.kind = 'malformed'
      body = malform(body, k)
    }
    const e = expect(w, policy, spec)
    out.write(JSON.stringify({ b: body, e }) + '\n') || (await once(out, 'drain'))
  }
  out.end()
  await once(out, 'finish')
  renameSync(tmp, file)
  writeFileSync(`${file}.meta.json`, JSON.stringify({ params: p, worldDir: dir, tenant: w.tenant, failed: w.failed, pools: { stale: stale.length, own: own.length, srp: srp.length, never: never.length } }, null, 1))
  log(`traffic ${file}: ${p.messages} documents in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  return file
}

function documentOptions(m: MessageSpec, k: number, rnd: () => number): DuisDocumentOptions {
  const counter = (1n << 60n) + BigInt(k) // above 2^53: IDs must stay strings end to end
  const device = m.device!
  const pretty = rnd() < 0.2
  const base: DuisDocumentOptions = {
    kind: 'device_alert',
    prefix: (['sr', 'default', 'd', 'ns2'] as const)[Math.floor(rnd() * 4)]!,
    pretty,
    crlf: pretty && rnd() < 0.5,
    xmlDeclaration: rnd() < 0.3,
    signature: rnd() < 0.1,
    device,
    recipient: m.recipient,
    counter,
    responseDateTime: m.time,
    responseId: `${device}:${m.recipient}:${counter}`,
  }
  switch (m.kind) {
    case 'dcc_alert':
      return { ...base, kind: 'dcc_alert', dccAlertCode: m.alertCode!, mpxns: m.mpxns!, responseId: `90-B3-D5-1F-30-00-00-02:${m.recipient}:${counter}` }
    case 'scheduled_read':
      return { ...base, kind: 'scheduled_read' }
    case 'dsp_response':
      // SR 8.2 Read Inventory answered by the DCC: the device and one not in devices.csv.
      return { ...base, kind: 'response', requestId: `${m.recipient}:${m.requestTarget!}:${counter}`, responseId: `${m.requestTarget!}:${m.recipient}:${counter}`,
        serviceReference: '8.2', serviceReferenceVariant: '8.2',
        inventory: [{ deviceId: device, deviceType: 'ESME' }, { deviceId: `00-12-4C-FF-${hex2(k >>> 16 & 255)}-${hex2(k >>> 8 & 255)}-${hex2(k & 255)}-02`, deviceType: 'CHF' }] }
    case 'e4_response':
      // DCC-held schedule rejected after the SSD: RequestID (user -> device), no payload.
      return { ...base, kind: 'response', responseId: undefined, requestId: `${m.recipient}:${device}:${counter}`, responseCode: 'E4', serviceReference: '4.1', serviceReferenceVariant: '4.1.1' }
    default:
      return { ...base, kind: 'device_alert', alertCode: m.alertCode!, gbcsCritical: m.critical === true }
  }
}

/** Unusable documents (docs/http.md, "Ingress": 422): truncated, a required header field missing, not XML. */
function malform(body: string, k: number): string {
  switch (k % 3) {
    case 0:
      return body.slice(0, Math.floor(body.length * 0.6))
    case 1:
      return body.replace(/<([\w]+:)?ResponseDateTime>[^<]*<\/([\w]+:)?ResponseDateTime>/, '')
    default:
      return `this is not XML, message ${k}\n`
  }
}

/** Loads (generating first if needed) the traffic into memory for replay. */
export async function loadTraffic(cacheDir: string, p: TrafficParams, log?: (s: string) => void): Promise<Traffic> {
  const file = await generateTraffic(cacheDir, p, log)
  // the world's folder follows from the cache and the parameters, not from the path written when
  // the traffic was made: that path may name a checkout (a worktree) that has gone since
  const worldDir = await ensureWorld(cacheDir, p)
  const bodies: Buffer[] = []
  const expected: Expected[] = []
  const hashes: string[] = []
  const counts: Record<string, number> = {}
  const text = readFileSync(file, 'utf8')
  let at = 0
  while (at < text.length) {
    const end = text.indexOf('\n', at)
    const line = JSON.parse(text.slice(at, end < 0 ? text.length : end)) as { b: string; e: Expected }
    at = end < 0 ? text.length : end + 1
    const body = Buffer.from(line.b)
    bodies.push(body)
    expected.push(line.e)
    hashes.push(createHash('sha256').update(body).digest('hex'))
    const key = `${line.e.decision}/${line.e.reason}`
    counts[key] = (counts[key] ?? 0) + 1
  }
  return { params: p, worldDir, file, bodies, expected, hashes, mix: counts }
}
