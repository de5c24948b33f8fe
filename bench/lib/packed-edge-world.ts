// A small world of the cases the bench worlds (bench/world.ts) do not have, for the packed index's
// correctness check (bench/registry-packed.bench.ts --sizes edge): explicit effective_to (gaps,
// overlaps of the next start, the last storable day), duplicates and same-start rows, more than 63
// periods, MPxNs of every length and leading zeros, MPIDs no party holds, devices naming
// unregistered MPxNs (orphans), duplicate device rows with another mpxn_role, devices listed with
// conflicting types or statuses, statuses, export MPANs, EUI-64s in lower case and from a few OUIs,
// rows in random order, and a few malformed rows (rejected by both builds alike).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { prng } from '../world.js'

const TYPES = ['ESME', 'GSME', 'CHF', 'GPF', 'PPMID', 'IHD', 'CAD', 'HCALCS']
const STATUSES = ['', 'Pending', 'Whitelisted', 'InstalledNotCommissioned', 'Commissioned', 'Decommissioned', 'Withdrawn', 'Suspended', 'Recovery', 'Recovered']
const DAY = 86400000

/** Writes registrations.csv and devices.csv into `dir` (its parties.yaml is kept). */
export function edgeWorld(dir: string, mpxns = 60_000): void {
  const rnd = prng(5)
  const int = (n: number) => Math.floor(rnd() * n)
  const date = (d: number) => new Date(d * DAY).toISOString().slice(0, 10)
  const hex2 = (i: number) => i.toString(16).toUpperCase().padStart(2, '0')
  const mpids = [...Array.from({ length: 20 }, (_, i) => `E0${hex2(i)}`), ...Array.from({ length: 20 }, (_, i) => `G0${hex2(i)}`), 'X123', 'x9z9']
  const keys: string[] = []
  const seen = new Set<string>()
  while (keys.length < mpxns) {
    const kind = rnd()
    const len = kind < 0.5 ? 13 : kind < 0.85 ? 6 + int(5) : kind < 0.97 ? 11 + int(2) : 1 + int(5)
    let s = ''
    for (let i = 0; i < len; i++) s += String(int(10))
    if (rnd() < 0.02) s = '0' + s.slice(1)
    if (!seen.has(s)) {
      seen.add(s)
      keys.push(s)
    }
  }
  const regs: string[] = []
  for (const k of keys) {
    const n = rnd() < 0.003 ? 64 + int(20) : 1 + int(4)
    let d = 11000 + int(8000)
    const rows: string[] = []
    for (let i = 0; i < n; i++) {
      const m = mpids[int(mpids.length)]!
      const r = rnd()
      let to = ''
      if (r < 0.15) to = date(d + int(200)) // may overlap the next start, or leave a gap
      else if (r < 0.155) to = '2149-06-05' // the last storable day: stored as open
      const row = `${k},${m},${date(d)}${to || rnd() < 0.5 ? `,${to}` : ''}`
      rows.push(row)
      if (rnd() < 0.05) rows.push(row) // exact duplicate
      if (rnd() < 0.05) rows.push(`${k},${mpids[int(mpids.length)]!},${date(d)}`) // same start
      d += rnd() < 0.1 ? 0 : 1 + int(n > 60 ? 60 : 600)
    }
    if (rnd() < 0.01) rows.push(`${k},E000,1970-01-01`)
    regs.push(...rows)
  }
  for (let i = 0; i < 20; i++) regs.push(`${keys[int(keys.length)]},E000,2021-02-30`, `12ab,E000,2020-01-01`)
  shuffle(regs, rnd)
  const orphanKeys = Array.from({ length: 3000 }, (_, i) => `9${String(i).padStart(12, '7')}`)
  const ouis = [0x00124b00, 0x0123abcd, 0xfffffff0]
  const devs: string[] = []
  for (let i = 0; i < mpxns * 1.3; i++) {
    const hi = rnd() < 0.9 ? ouis[int(ouis.length)]! : int(2 ** 32)
    const lo = rnd() < 0.001 ? 0 : int(2 ** 32)
    let id = [hi, lo].map((x) => x.toString(16).padStart(8, '0').toUpperCase()).join('').match(/../g)!.join('-')
    if (rnd() < 0.1) id = id.toLowerCase()
    const type = TYPES[int(TYPES.length)]!
    const status = STATUSES[int(STATUSES.length)]!
    const links = type === 'CHF' || type === 'GPF' ? 1 + int(4) : 1
    for (let j = 0; j < links; j++) {
      const m = rnd() < 0.05 ? orphanKeys[int(orphanKeys.length)]! : keys[int(keys.length)]!
      const role = m.length === 13 && rnd() < 0.2 ? 'export' : rnd() < 0.5 ? 'import' : ''
      const row = `${id},${type},${m},${status},${role}`
      devs.push(row)
      if (rnd() < 0.03) devs.push(`${id},${type},${m},${status},${m.length === 13 && role !== 'export' ? 'export' : 'import'}`) // duplicate, other role
      if (rnd() < 0.02) devs.push(`${id},${TYPES[int(TYPES.length)]!},${m},${STATUSES[int(STATUSES.length)]!}`) // conflicting type/status
    }
  }
  for (let i = 0; i < 20; i++) devs.push(`00-12-4B-00-00-00-00-0G,ESME,${keys[0]}`, `00-12-4B-00-00-00-00-01,METER,${keys[0]}`)
  shuffle(devs, rnd)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'registrations.csv'), `mpxn,supplier_mpid,effective_from,effective_to\n${regs.join('\n')}\n`)
  writeFileSync(join(dir, 'devices.csv'), `device_id,device_type,mpxn,device_status,mpxn_role\n${devs.join('\n')}\n`)
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ edge: true, mpxns, registrationRows: regs.length, deviceRows: devs.length }))
}

function shuffle<T>(a: T[], rnd: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
}
