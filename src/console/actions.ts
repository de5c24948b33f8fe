import { ask } from './layout.js'
import { BULK_MAX } from './page-quarantine.js'
import type { ConsoleDeps } from './types.js'

// The console's state-changing actions. Each returns the message for the next page and where to
// go (post/redirect/get). The store audits release, delete and acknowledge itself under `actor`;
// what it does not audit (registry reload, the reason for a delete, a bulk release) is audited here.

export interface ActionResult {
  ok: boolean
  text: string
  location: string
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

export async function release(d: ConsoleDeps, id: string, actor: string): Promise<ActionResult> {
  try {
    const out = await d.releaseQuarantined(id, actor)
    return { ok: true, text: `Released: re-evaluated as ${out.decision} (${out.reason}), message ${out.messageId}.`, location: '/console/quarantine' }
  } catch (err) {
    return { ok: false, text: `Not released: ${message(err)}`, location: `/console/quarantine/${id}` }
  }
}

export async function remove(d: ConsoleDeps, id: string, reason: string, actor: string): Promise<ActionResult> {
  if (reason.length < 3) return { ok: false, text: 'Give a reason for deleting (at least 3 characters).', location: `/console/quarantine/${id}` }
  // the store keeps the reason in its quarantine.delete audit row (and closes a critical duty with it)
  const gone = await d.store.deleteQuarantined(id, actor, reason.slice(0, 300))
  if (!gone) return { ok: false, text: `No quarantined message ${id}.`, location: '/console/quarantine' }
  return { ok: true, text: `Deleted ${id}.`, location: '/console/quarantine' }
}

/**
 * Release every message of one reason, after the operator confirmed `confirmed` messages: when
 * the count has changed since the page was shown, nothing is released and the new count is asked
 * for again. At most BULK_MAX per confirmation; each is re-evaluated on the registry in force.
 */
export async function releaseAll(d: ConsoleDeps, reason: string, confirmed: number, actor: string): Promise<ActionResult> {
  const back = `/console/quarantine?reason=${encodeURIComponent(reason)}`
  const count = await ask(() => d.store.countQuarantineByReason(reason))
  if (!count.ok) return { ok: false, text: `Releasing a whole reason needs the SQLite store: ${count.why}.`, location: back }
  const n = count.value
  if (n !== confirmed) return { ok: false, text: `The count changed: ${n} messages are now quarantined as ${reason}, not ${confirmed}. Check and confirm again.`, location: back }
  const tally = new Map<string, number>()
  let failed = 0
  let firstError = ''
  for (const id of await d.store.quarantineIdsByReason(reason, Math.min(n, BULK_MAX))) {
    try {
      const out = await d.releaseQuarantined(id, actor)
      const key = `${out.decision} (${out.reason})`
      tally.set(key, (tally.get(key) ?? 0) + 1)
    } catch (err) {
      failed++
      firstError ||= message(err)
    }
  }
  const outcome = [...tally].map(([k, v]) => `${v} ${k}`).join(', ') || 'none released'
  await d.store.writeAudit(actor, 'quarantine.release-all', null, `${reason}: ${outcome}${failed ? `; ${failed} failed` : ''}`.slice(0, 500))
  return {
    ok: failed === 0,
    text: `Released ${reason}: ${outcome}.${failed ? ` ${failed} could not be released (first: ${firstError}).` : ''}${n > BULK_MAX ? ` ${n - BULK_MAX} remain: confirm again.` : ''}`,
    location: back,
  }
}

export async function acknowledge(d: ConsoleDeps, id: string, actor: string): Promise<ActionResult> {
  const r = await d.store.acknowledgeObligation(id, actor, d.now())
  if (r === 'not-found') return { ok: false, text: `No obligation ${id}.`, location: '/console/obligations' }
  return { ok: true, text: r === 'already' ? 'It was already acknowledged.' : 'Acknowledged.', location: `/console/obligations/${id}` }
}

export async function reload(d: ConsoleDeps, actor: string): Promise<ActionResult> {
  try {
    await d.reloadRegistry()
    await d.store.writeAudit(actor, 'registry.reload', null, 'ok')
    const c = d.registry().counts
    return { ok: true, text: `Registry reloaded: ${c.registrations} registrations, ${c.devices} devices, ${c.parties} parties.`, location: '/console/registry' }
  } catch (err) {
    await d.store.writeAudit(actor, 'registry.reload', null, `failed: ${message(err)}`.slice(0, 500))
    return { ok: false, text: `Reload failed, still serving the previous index: ${message(err)}`, location: '/console/registry' }
  }
}
