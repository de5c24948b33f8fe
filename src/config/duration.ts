import { ConfigError } from './errors.js'

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** `7d` -> 604800000. A number and one unit: s, m, h or d (the schema's dedupe.window pattern). */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text)
  if (!m) throw new ConfigError([`invalid duration ${JSON.stringify(text)} (expected a number with s, m, h or d, e.g. "7d")`])
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]
}
