import type { Party, RegistryIndex, SupplyPeriod } from '../registry/index.js'
import type { ObligationDraft } from '../store/index.js'
import type { WorkingDayCalendar } from './calendar.js'
import { levelName } from './contacts.js'
import { addDays, ukDateOf } from './days.js'
import { renderNoticeText, type NoticeJson } from './notice-text.js'

// Install-code obligations (SECMP0121, DCC CR4280): a SMETS2 meter installed without WAN stays
// InstalledNotCommissioned; if the customer switches meanwhile, the installing supplier must give
// the gaining supplier the install code within 5 working days.
//
// On a registry reload, only devices whose devices.csv `device_status` is InstalledNotCommissioned
// are looked at (RegistryIndex.deviceLinksWithStatus: one pass over the compact index's status
// bytes; a lookup per such device), so the check stays cheap
// at national scale. An MPxN "moved" when its latest registration period belonged to a tenant in
// the old index and belongs to another party in the new one (a CoS is registered ahead of its
// supply start date, so the latest period is the supplier going forward).

export const INSTALL_CODE_WORKING_DAYS = 5

export interface InstallCodeContext {
  tenants: readonly string[]
  calendar: WorkingDayCalendar
  now: number
  newId: () => string
}

export function installCodeDrafts(prev: RegistryIndex, next: RegistryIndex, ctx: InstallCodeContext): ObligationDraft[] {
  const out: ObligationDraft[] = []
  for (const { deviceId, mpxn } of next.deviceLinksWithStatus('InstalledNotCommissioned')) {
    const before = latest(prev, mpxn)
    const after = latest(next, mpxn)
    if (before === undefined || after === undefined) continue
    const from = prev.partyByMpid(before.mpid)
    const to = next.partyByMpid(after.mpid)
    if (from === undefined || to === undefined || from.id === to.id || !ctx.tenants.includes(from.id)) continue
    out.push(installCodeDraft(deviceId, mpxn, after, from, to, ctx))
  }
  return out
}

/**
 * SECMP0121 lets the DCC take 90 days to provide WAN: a change of supply older than that at start
 * is history, not a duty to open now (a first start on a national registry would otherwise open
 * one for every old CoS of a device still listed as InstalledNotCommissioned).
 */
export const INSTALL_CODE_LOOKBACK_DAYS = 90

/**
 * At start: the same duty judged on one index, from its own history: the MPxN's latest period
 * belongs to another party, the period before it to a tenant, and the latest began at most
 * INSTALL_CODE_LOOKBACK_DAYS before today (or is future-dated). Same subject key as a reload.
 */
export function installCodeDraftsAtStart(index: RegistryIndex, ctx: InstallCodeContext): ObligationDraft[] {
  const earliest = addDays(ukDateOf(ctx.now), -INSTALL_CODE_LOOKBACK_DAYS)
  const out: ObligationDraft[] = []
  for (const { deviceId, mpxn } of index.deviceLinksWithStatus('InstalledNotCommissioned')) {
    const periods = index.periods(mpxn)
    const after = periods[periods.length - 1]
    const before = periods[periods.length - 2]
    if (before === undefined || after === undefined || after.from < earliest) continue
    const from = index.partyByMpid(before.mpid)
    const to = index.partyByMpid(after.mpid)
    if (from === undefined || to === undefined || from.id === to.id || !ctx.tenants.includes(from.id)) continue
    out.push(installCodeDraft(deviceId, mpxn, after, from, to, ctx))
  }
  return out
}

function latest(index: RegistryIndex, mpxn: string): SupplyPeriod | undefined {
  const periods = index.periods(mpxn)
  return periods[periods.length - 1]
}

function installCodeDraft(deviceId: string, mpxn: string, period: SupplyPeriod, from: Party, to: Party, ctx: InstallCodeContext): ObligationDraft {
  const id = ctx.newId()
  const dueAt = ctx.calendar.deadline(ctx.now, INSTALL_CODE_WORKING_DAYS)
  const notice: NoticeJson = {
    type: 'install-code',
    mpxn,
    alertCode: null,
    alertName: 'Install code for a non-commissioned device',
    alertTime: null,
    deviceId,
    deviceStatus: 'InstalledNotCommissioned',
    fromParty: from.id,
    fromPartyName: from.name,
    toParty: to.id,
    toPartyName: to.name,
    obligationId: id,
    acknowledgeBy: new Date(dueAt).toISOString(),
    messageId: null,
    supplyStartDate: period.from,
    reason: 'install-code',
    level: 0,
    contactLevel: levelName(0),
  }
  return {
    id,
    type: 'install-code',
    fromParty: from.id,
    toParty: to.id,
    mpxn,
    dueAt,
    notice,
    text: renderNoticeText(notice),
    subject: `install-code:${deviceId}:${mpxn}:${to.id}:${period.from}`,
  }
}
