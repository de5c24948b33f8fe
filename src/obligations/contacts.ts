import type { Contact, Party } from '../registry/index.js'

// Supplier Contact List (SEC "Managing Critical Alerts" guidance): a primary contact
// (a monitored inbox) receives alerts; a secondary contact (a responsible person) handles
// escalation when nobody acknowledges; then the escalation contact; then, when configured, the
// gateway-wide `obligations.fallbackContact` (the SECAS helpdesk), level 3. Level numbers are
// stored on the obligation row (obligations.level).
export const CONTACT_LEVELS = ['primary', 'secondary', 'escalation', 'fallback'] as const
export const FALLBACK_LEVEL = 3
export type ContactLevel = (typeof CONTACT_LEVELS)[number]

export function levelName(level: number): ContactLevel {
  return CONTACT_LEVELS[Math.min(Math.max(level, 0), CONTACT_LEVELS.length - 1)]!
}

/** The party's contacts at a level (several people may share one). */
export function contactsAt(party: Party | undefined, level: number): Contact[] {
  const name = levelName(level)
  return party?.criticalAlerts?.contacts.filter((c) => c.level === name) ?? []
}

/**
 * The next level above `level` that has at least one contact; after the party's last level, the
 * fallback contact when one is configured; undefined when none is left.
 */
export function nextLevel(party: Party | undefined, level: number, fallback = false): number | undefined {
  for (let l = level + 1; l < FALLBACK_LEVEL; l++) if (contactsAt(party, l).length > 0) return l
  return fallback && level < FALLBACK_LEVEL ? FALLBACK_LEVEL : undefined
}

/** E-mail addresses of a level's contacts. */
export function emailsAt(party: Party | undefined, level: number): string[] {
  return contactsAt(party, level).flatMap((c) => (c.email ? [c.email] : []))
}
