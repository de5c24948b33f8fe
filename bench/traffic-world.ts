// The benchmark's world: bench/world.ts generates the registry files once (cached under
// bench/.cache/), and this file reads them back into a small model of its own for the traffic
// generator and the oracle. It deliberately does not use src/registry: the oracle must not share
// code with the gateway it checks.
//
// Two things are added on top of world.ts (which is not ours to edit):
//  - the failed supplier's SoLR delegation is pointed at the tenant (the tenant is the Shared
//    Resource Provider, MP134A), so the benchmark exercises `solr-delegated`;
//  - every party gets `adapter.url` and `criticalAlerts.endpoint` on the recording sink (written
//    per run into the run folder, because the sink's port is only known at run time).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { generateWorld, type WorldManifest } from './world.js'

export interface WorldParams {
  mpxns: number
  seed: number
  cosRate: number
}

export interface PartyModel {
  id: string
  mpids: string[]
  userIds: { eui64: string; role: string }[]
  dccUser: boolean
  delegations: { to: string; from: string; until?: string }[]
}

/**
 * One registration row: supplier MPID from `from` (YYYY-MM-DD) to `to`, the last day supplied
 * (inclusive, registrations.csv effective_to), or until the day before the next row's `from`.
 */
export interface Period { mpid: string; from: string; to?: string }

export interface WorldModel {
  dir: string
  manifest: WorldManifest
  tenant: string
  /** the failed supplier whose traffic the tenant handles as SRP */
  failed: string
  srpFrom: string
  parties: PartyModel[]
  partyByMpid: Map<string, string>
  partyByUser: Map<string, { party: string; role: string }>
  /** MPxN -> periods sorted by `from` */
  periods: Map<string, Period[]>
  /** device -> MPxNs it serves (meters: one; CHF: the premises) */
  deviceMpxns: Map<string, string[]>
  /** device -> the MPxNs devices.csv gives the role `export` (5th column); absent = none */
  deviceExports: Map<string, Set<string>>
  /** MPxN -> its meter (ESME / GSME) and, when the premises has one, its CHF */
  meterOf: Map<string, string>
  chfOf: Map<string, string>
}

export function worldDir(cacheDir: string, p: WorldParams): string {
  return join(cacheDir, `world-${p.mpxns}-s${p.seed}-c${p.cosRate}`)
}

/** Generates the world into the cache unless it is there already; returns its folder. */
export async function ensureWorld(cacheDir: string, p: WorldParams): Promise<string> {
  const dir = worldDir(cacheDir, p)
  if (!existsSync(join(dir, 'manifest.json'))) await generateWorld({ mpxns: p.mpxns, seed: p.seed, cosRate: p.cosRate }, dir)
  return dir
}

function srpParties(dir: string): { raw: Record<string, unknown>[]; tenant: string; failed: string; srpFrom: string } {
  const raw = parse(readFileSync(join(dir, 'parties.yaml'), 'utf8')) as Record<string, unknown>[]
  const tenant = String(raw[0]!.id)
  const failedRaw = raw.find((p) => Array.isArray(p.delegations) && (p.delegations as unknown[]).length > 0)
  if (!failedRaw) throw new Error(`${dir}/parties.yaml: no failed supplier with a delegation`)
  const dels = failedRaw.delegations as { to: string; from: string }[]
  for (const d of dels) d.to = tenant
  return { raw, tenant, failed: String(failedRaw.id), srpFrom: dels[0]!.from }
}

/** parties.yaml for one run: SRP delegation to the tenant, adapters and notice endpoints on the sink. */
export function writeRunParties(worldFolder: string, runDir: string, sinkUrl: string): string {
  const { raw } = srpParties(worldFolder)
  for (const p of raw) {
    const id = String(p.id)
    p.adapter = { url: `${sinkUrl}/adapter/${id}` }
    const ca = (p.criticalAlerts ?? { contacts: [] }) as Record<string, unknown>
    p.criticalAlerts = { ...ca, endpoint: `${sinkUrl}/notice/${id}` }
  }
  const file = join(runDir, 'parties.yaml')
  writeFileSync(file, stringify(raw))
  return file
}

function* csvLines(file: string): Generator<string[]> {
  const text = readFileSync(file, 'utf8')
  let at = text.indexOf('\n') + 1 // skip the header
  while (at < text.length) {
    let end = text.indexOf('\n', at)
    if (end < 0) end = text.length
    const line = text.slice(at, end).replace(/\r$/, '')
    at = end + 1
    if (line !== '') yield line.split(',')
  }
}

/** Reads the world's files into the oracle's own model (a few seconds for 1M MPxNs). */
export function loadWorldModel(dir: string): WorldModel {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as WorldManifest
  const { raw, tenant, failed, srpFrom } = srpParties(dir)
  const parties: PartyModel[] = raw.map((p) => ({
    id: String(p.id),
    mpids: (p.mpids as string[]).map((m) => m.toUpperCase()),
    userIds: ((p.userIds ?? []) as { eui64: string; role: string }[]).map((u) => ({ eui64: u.eui64.toUpperCase(), role: u.role })),
    dccUser: p.dccUser === true,
    delegations: ((p.delegations ?? []) as PartyModel['delegations']).map((d) => ({ ...d })),
  }))
  const partyByMpid = new Map<string, string>()
  const partyByUser = new Map<string, { party: string; role: string }>()
  for (const p of parties) {
    for (const m of p.mpids) partyByMpid.set(m, p.id)
    for (const u of p.userIds) partyByUser.set(u.eui64, { party: p.id, role: u.role })
  }
  const periods = new Map<string, Period[]>()
  for (const [mpxn, mpid, from, to] of csvLines(join(dir, 'registrations.csv'))) {
    let list = periods.get(mpxn!)
    if (!list) periods.set(mpxn!, (list = []))
    list.push({ mpid: mpid!.toUpperCase(), from: from!, ...(to ? { to } : {}) })
  }
  for (const list of periods.values()) if (list.length > 1) list.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0))
  const deviceMpxns = new Map<string, string[]>()
  const deviceExports = new Map<string, Set<string>>()
  const meterOf = new Map<string, string>()
  const chfOf = new Map<string, string>()
  for (const [device, type, mpxn, , role] of csvLines(join(dir, 'devices.csv'))) {
    const id = device!.toUpperCase()
    if (role?.trim().toLowerCase() === 'export') {
      const set = deviceExports.get(id) ?? new Set<string>()
      deviceExports.set(id, set.add(mpxn!))
    }
    const list = deviceMpxns.get(id)
    if (list) list.push(mpxn!)
    else deviceMpxns.set(id, [mpxn!])
    if (type === 'CHF') chfOf.set(mpxn!, id)
    else meterOf.set(mpxn!, id)
  }
  return { dir, manifest, tenant, failed, srpFrom, parties, partyByMpid, partyByUser, periods, deviceMpxns, deviceExports, meterOf, chfOf }
}

/**
 * The period covering `day`: from `from` through `to` (inclusive), never past the day before the
 * next row's `from` (the later start wins).
 */
export function periodAt(list: readonly Period[] | undefined, day: string): Period | undefined {
  if (!list) return undefined
  for (let i = list.length - 1; i >= 0; i--) {
    const p = list[i]!
    if (p.from <= day) {
      if (p.to !== undefined && day > p.to) return undefined
      const next = list[i + 1]?.from
      return next === undefined || day < next ? p : undefined
    }
  }
  return undefined
}
