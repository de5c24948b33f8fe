// Deterministic synthetic registry world for benchmarks and load tests.
//   npx tsx bench/world.ts --mpxns 1000000 --out DIR [--seed 1] [--cos-rate 0.18] [--parties 20]
// Writes DIR/registrations.csv, devices.csv, parties.yaml and manifest.json (tenant, key counts,
// a sample of stale-CoS MPxNs with losing/gaining parties and devices, for traffic generators).
// Shape: premises of one MPAN (40%) or MPAN + MPRN (60%), ~1.2 periods and ~1.3 devices per MPxN
// (one meter per MPxN; a CHF row per MPxN for ~half the premises), valid check digits throughout.
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { once } from 'node:events'
import { formatDay, parseDay } from '../src/registry/day.js'

export interface WorldOptions {
  mpxns: number
  /** share of MPxNs with a change of supplier in 2024-01-01..2025-09-30 */
  cosRate?: number
  /** devices per premises (meters + CHF); ~2.1 gives ~1.3 devices per MPxN */
  devicesPerPremises?: number
  parties?: number
  seed?: number
  /** share of the tenant's losses that are recorded as stale CoS in the manifest sample */
  staleCosShare?: number
}

export interface StaleCos { mpxn: string; losing: string; losingUserId: string; gaining: string; ssd: string; devices: string[] }
export interface WorldManifest {
  tenant: string
  parties: string[]
  mpans: number
  mprns: number
  devices: number
  registrationRows: number
  deviceRows: number
  staleCos: StaleCos[]
}

/** mulberry32: small, fast, deterministic */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const MPAN_P = [3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43]
/** The a-th MPAN: distributor 10–23, 10 digits from a bijection of a, check digit. */
export function mpanOf(a: number): string {
  const body = String(10 + (a % 14)) + String((a * 1000003) % 1e10).padStart(10, '0')
  let s = 0
  for (let i = 0; i < 12; i++) s += (body.charCodeAt(i) - 48) * MPAN_P[i]!
  return body + ((s % 11) % 10)
}
/** The g-th MPRN: 8-digit base (unique for g < 9e7) + 2-digit check. */
export function mprnOf(g: number): string {
  const base = String(1e7 + ((g * 1000003) % 9e7))
  let s = 0
  for (let i = 0; i < 8; i++) s += (base.charCodeAt(i) - 48) * (8 - i)
  return base + String(s % 11).padStart(2, '0')
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'))
/** The c-th device EUI-64 (unique for c < 2^32; scrambled so keys are not sequential). */
export function deviceIdOf(c: number): string {
  const lo = Math.imul(c, 0x9e3779b1) >>> 0
  return `00-12-4B-${HEX[(c / 4294967296) & 255]}-${HEX[lo >>> 24]}-${HEX[(lo >>> 16) & 255]}-${HEX[(lo >>> 8) & 255]}-${HEX[lo & 255]}`
}

interface PartyGen { id: string; e: string; g: string; users: string[]; dccUser: boolean }

function makeParties(n: number): PartyGen[] {
  return Array.from({ length: n }, (_, i) => {
    const dccUser = i === 0 || i % 7 !== 3 // a few suppliers are not DCC Users (DP072 root cause)
    const x = i.toString(36).toUpperCase().padStart(3, '0')
    return { id: `SUP${String(i).padStart(2, '0')}`, e: `E${x}`, g: `G${x}`, dccUser,
      users: dccUser ? [`90-B3-D5-1F-30-10-${HEX[i]}-00`, `90-B3-D5-1F-30-10-${HEX[i]}-01`] : [] }
  })
}

function partiesYaml(ps: PartyGen[]): string {
  const failed = ps.length - 1
  return ps.map((p, i) => [
    `- id: ${p.id}`, `  name: Supplier ${i}${i === 0 ? ' (tenant)' : ''}${i === failed ? ' (failed, SoLR)' : ''}`,
    `  dccUser: ${p.dccUser}`, `  mpids: [${p.e}, ${p.g}]`,
    `  userIds: [${p.users.map((u, j) => `{ eui64: ${u}, role: ${j === 0 ? 'IS' : 'GS'} }`).join(', ')}]`,
    i % 3 === 2 ? `  criticalAlerts: { endpoint: "https://${p.id.toLowerCase()}.example/alerts", contacts: [] }`
      : `  criticalAlerts: { contacts: [{ name: ${p.id} alerts, email: alerts@${p.id.toLowerCase()}.example, level: primary }] }`,
    ...(i === failed ? [`  delegations: [{ to: ${ps[1]!.id}, from: "2025-01-15", reason: "SoLR: SRP (MP134A)" }]`] : []),
  ].join('\n')).join('\n') + '\n'
}

class Out {
  #buf: string[] = []
  #len = 0
  readonly ws
  constructor(path: string) {
    this.ws = createWriteStream(path)
  }
  async line(s: string): Promise<void> {
    this.#buf.push(s)
    this.#len += s.length
    if (this.#len > 1 << 20) await this.flush()
  }
  async flush(): Promise<void> {
    if (!this.ws.write(this.#buf.join('\n') + '\n')) await once(this.ws, 'drain')
    this.#buf = []
    this.#len = 0
  }
  async close(): Promise<void> {
    if (this.#buf.length) await this.flush()
    this.ws.end()
    await once(this.ws, 'finish')
  }
}

export async function generateWorld(o: WorldOptions, dir: string): Promise<WorldManifest> {
  const rnd = prng(o.seed ?? 1)
  const cosRate = o.cosRate ?? 0.18
  const chfShare = Math.min(1, Math.max(0, (o.devicesPerPremises ?? 2.1) - 1.6))
  const ps = makeParties(o.parties ?? 20)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'parties.yaml'), partiesYaml(ps))
  const regs = new Out(join(dir, 'registrations.csv'))
  const devs = new Out(join(dir, 'devices.csv'))
  await regs.line('mpxn,supplier_mpid,effective_from,effective_to')
  await devs.line('device_id,device_type,mpxn')
  // market share ~ 1/(rank+1): the tenant is the largest supplier
  const cum: number[] = []
  ps.reduce((s, _, i) => (cum[i] = s + 1 / (i + 1)), 0)
  const pick = () => {
    const x = rnd() * cum[cum.length - 1]!
    let i = 0
    while (cum[i]! < x) i++
    return i
  }
  const d2015 = parseDay('2015-01-01')
  const d2024 = parseDay('2024-01-01')
  const dates = Array.from({ length: parseDay('2026-01-01') - d2015 }, (_, i) => formatDay(d2015 + i))
  const m: WorldManifest = { tenant: ps[0]!.id, parties: ps.map((p) => p.id), mpans: 0, mprns: 0, devices: 0, registrationRows: 0, deviceRows: 0, staleCos: [] }
  const mpxns: string[] = []
  while (m.mpans + m.mprns < o.mpxns) {
    mpxns.length = 0
    mpxns.push(mpanOf(m.mpans++))
    if (rnd() < 0.6 && m.mpans + m.mprns < o.mpxns) mpxns.push(mprnOf(m.mprns++))
    // one supplier chain per premises (dual fuel), applied to each MPxN
    const chain: { p: number; from: number }[] = [{ p: pick(), from: d2015 + Math.floor(rnd() * (d2024 - d2015)) }]
    if (rnd() < cosRate) {
      let p = pick()
      if (p === chain[0]!.p) p = (p + 1) % ps.length
      chain.push({ p, from: d2024 + Math.floor(rnd() * 638) })
      if (rnd() < 0.1 && chain[1]!.from < dates.length + d2015 - 30) chain.push({ p: (p + 1 + Math.floor(rnd() * (ps.length - 1))) % ps.length, from: chain[1]!.from + 14 + Math.floor(rnd() * 14) })
    }
    const devIds: string[] = []
    const withChf = rnd() < chfShare
    for (let k = 0; k < mpxns.length; k++) {
      const mp = mpxns[k]!
      for (const c of chain) await regs.line(`${mp},${mp.length === 13 ? ps[c.p]!.e : ps[c.p]!.g},${dates[c.from - d2015]}`)
      m.registrationRows += chain.length
      const meter = deviceIdOf(m.devices++)
      devIds.push(meter)
      await devs.line(`${meter},${mp.length === 13 ? 'ESME' : 'GSME'},${mp}`)
      m.deviceRows++
    }
    if (withChf) {
      const chf = deviceIdOf(m.devices++)
      devIds.push(chf)
      for (const mp of mpxns) await devs.line(`${chf},CHF,${mp}`)
      m.deviceRows += mpxns.length
    }
    const lost = chain.length > 1 && chain[0]!.p === 0 && ps[0]!.users.length > 0
    if (lost && m.staleCos.length < 1000 && rnd() < (o.staleCosShare ?? 0.3))
      m.staleCos.push({ mpxn: mpxns[0]!, losing: ps[0]!.id, losingUserId: ps[0]!.users[0]!, gaining: ps[chain[1]!.p]!.id, ssd: dates[chain[1]!.from - d2015]!, devices: devIds.slice() })
  }
  await Promise.all([regs.close(), devs.close()])
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 1))
  return m
}

function arg(name: string, def?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : def
}

if (import.meta.url === `file://${process.argv[1]}` && /world\.ts$/.test(process.argv[1]!)) { // not when bundled into another script
  const out = arg('out')
  if (!out) {
    console.error('usage: npx tsx bench/world.ts --mpxns 1000000 --out DIR [--seed 1] [--cos-rate 0.18] [--parties 20] [--stale-cos-share 0.3]')
    process.exit(2)
  }
  const t0 = performance.now()
  const m = await generateWorld({
    mpxns: Number(arg('mpxns', '1000000')), seed: Number(arg('seed', '1')), cosRate: Number(arg('cos-rate', '0.18')),
    parties: Number(arg('parties', '20')), staleCosShare: Number(arg('stale-cos-share', '0.3')),
  }, out)
  console.log(`${out}: ${m.mpans + m.mprns} MPxNs, ${m.registrationRows} registration rows, ${m.devices} devices (${m.deviceRows} rows) in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}
