// Plain data that crosses the registry boundary. Dates are UK local calendar dates `YYYY-MM-DD`
// (the supply start date, SSD, is a UK settlement date).

/** DUIS User Roles. */
export type UserRole = 'IS' | 'ES' | 'GS' | 'ED' | 'GT' | 'RSA' | 'OU'
/** Supplier roles: responsibility for them is judged against registration. */
export const SUPPLIER_ROLES: ReadonlySet<UserRole> = new Set(['IS', 'ES', 'GS'])

export type DeviceType = 'ESME' | 'GSME' | 'CHF' | 'GPF' | 'PPMID' | 'IHD' | 'CAD' | 'HCALCS'
/** devices.csv mpxn_role of a device -> MPxN link (SR 8.2 ImportMPxN / ExportMPAN); MPRNs are import. */
export type MpxnRole = 'import' | 'export'

export interface Contact {
  name: string
  email?: string
  phone?: string
  level: 'primary' | 'secondary' | 'escalation'
}

/** e.g. a failed supplier's traffic handled by a Shared Resource Provider during SoLR (MP134A). */
export interface Delegation {
  to: string
  /** YYYY-MM-DD, inclusive */
  from: string
  /** YYYY-MM-DD, exclusive; open-ended when absent */
  until?: string
  reason?: string
}

export interface Party {
  id: string
  name: string
  dccUser: boolean
  mpids: string[]
  userIds: { eui64: string; role: UserRole }[]
  adapter?: { url: string }
  criticalAlerts?: { endpoint?: string; contacts: Contact[] }
  delegations: Delegation[]
}

/**
 * One registration period: `from` is the supply start date, `to` the last day supplied
 * (inclusive, as registrations.csv's effective_to); `to` absent = open.
 */
export interface SupplyPeriod {
  mpid: string
  from: string
  to?: string
}

export interface RegistryCounts {
  registrations: number
  mpxns: number
  devices: number
  parties: number
  userIds: number
}

/** The in-memory registration index. Immutable once built; a reload builds a new one and swaps. */
export interface RegistryIndex {
  readonly loadedAt: number
  readonly counts: RegistryCounts
  party(id: string): Party | undefined
  parties(): readonly Party[]
  /** user ID (EUI-64, any case) -> party and role */
  partyByUserId(eui64: string): { party: Party; role: UserRole } | undefined
  /** MPID -> the party that holds it */
  partyByMpid(mpid: string): Party | undefined
  /** all periods of an MPxN, sorted by `from`; empty when the MPxN is unknown */
  periods(mpxn: string): readonly SupplyPeriod[]
  /** the period covering `day` (YYYY-MM-DD), if any */
  periodAt(mpxn: string, day: string): SupplyPeriod | undefined
  /** device ID (EUI-64, any case) -> MPxNs; undefined when the device is unknown */
  mpxnsOfDevice(deviceId: string): readonly string[] | undefined
  /** mpxn_role of each of mpxnsOfDevice(deviceId), same order */
  mpxnRolesOfDevice(deviceId: string): readonly MpxnRole[] | undefined
  deviceType(deviceId: string): DeviceType | undefined
}

/** What the registry knows about one MPxN a message concerns, at the message's day. */
export interface MpxnFacts {
  mpxn: string
  /** any registration rows at all for this MPxN */
  known: boolean
  /** 'export' for the device's export MPAN (devices.csv mpxn_role) or a body ExportMPAN; else absent */
  role?: 'export'
  /** the period covering the message day */
  period?: SupplyPeriod & {
    partyId?: string
    /** the party has a criticalAlerts endpoint or at least one contact with an e-mail */
    reachable: boolean
  }
  /**
   * The most recent period of the addressed party (or of its delegate, during a delegation) for
   * this MPxN that ended before the message day. Absent: the party never supplied the MPxN up to
   * the message day (policy: `never-supplied`).
   */
  recipientLastPeriod?: SupplyPeriod
}

/** Everything policy needs from the registry about one message. Plain data. */
export interface RegistryFacts {
  /** UK local date of ResponseDateTime, YYYY-MM-DD: the day responsibility is judged at */
  messageDay: string
  /** the User ID the message is addressed to (ResponseID target, else RequestID originator, else GBCS recipient) */
  recipientUserId?: string
  recipient?: {
    partyId: string
    role: UserRole
    /**
     * MPIDs that count as the recipient's: the party's own, plus, during a delegation, those of
     * the party it delegates to and of the parties that delegate to it
     */
    mpids: string[]
    /** active delegation at the message day, if any: traffic goes to this party instead */
    delegateTo?: string
  }
  /** the device the message is about, upper-case EUI-64 */
  deviceId?: string
  deviceKnown: boolean
  /**
   * a response to the party's own request of a DCC service (RequestID target is one of
   * dcc.userIds, e.g. SR 8.2): no subject device; devices and MPxNs in its body are not looked up
   */
  dccService?: true
  /** where the MPxNs came from: named in the body, via device -> MPxN, or none */
  mpxnSource: 'body' | 'device' | 'none'
  mpxns: MpxnFacts[]
}
