import { writeSync } from 'node:fs'
import { startGateway } from '../gateway/index.js'
import type { Config } from '../config/index.js'
import { staleCosReport } from '../admin/index.js'
import type { StaleCosReportRow } from '../admin/index.js'
import { contactsAt, createCalendar, levelName } from '../obligations/index.js'
import { loadParties } from '../registry/index.js'
import type { Party } from '../registry/index.js'
import { ReasonRequiredError, isNotAvailable, openStore } from '../store/index.js'
import type { GatewayStore } from '../store/index.js'
import { CliError, configFrom, EXIT, table } from './common.js'

// Operator commands on the same store the admin API uses, whichever kind (SQLite: WAL allows a
// second process; NATS: a connection that reads and acts but takes no deliveries).

/** Opens the configured store for one command and closes it after, whatever happened. */
async function withStore<T>(config: Config, body: (store: GatewayStore) => Promise<T>): Promise<T> {
  const store = await openStore(config, { lease: false, commitIntervalMs: 0 })
  try {
    return await body(store)
  } finally {
    await store.close()
  }
}

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString())

export async function quarantineList(opts: { config?: string; reason?: string; limit?: string; json?: boolean }): Promise<void> {
  await withStore(configFrom(opts), async (store) => {
    const page = await store.listQuarantine({ limit: Number(opts.limit ?? 100), ...(opts.reason !== undefined && { reason: opts.reason }) })
    if (opts.json) return void process.stdout.write(JSON.stringify(page, null, 2) + '\n')
    const rows = page.items.map((q) => ({ ...q, received: iso(q.receivedAt) }))
    process.stdout.write(table(rows, ['id', 'received', 'reason', 'kind', 'party', 'size', 'messageId']))
    process.stdout.write(`${page.items.length} shown${page.nextCursor ? ' (more: use the admin API cursor)' : ''}\n`)
  })
}

export async function quarantineShow(id: string, opts: { config?: string; raw?: boolean }): Promise<void> {
  await withStore(configFrom(opts), async (store) => {
    const row = await store.getQuarantine(id)
    if (row === undefined) throw new CliError(`no quarantined message ${id}`)
    if (opts.raw) return void writeSync(1, (await store.getQuarantineBody(id))!)
    process.stdout.write(JSON.stringify({ ...row, receivedAtIso: iso(row.receivedAt) }, null, 2) + '\n')
  })
}

export async function quarantineDelete(id: string, opts: { config?: string; reason?: string }): Promise<number> {
  return withStore(configFrom(opts), async (store) => {
    const gone = await store.deleteQuarantined(id, 'cli', opts.reason).catch((err: unknown) => {
      throw err instanceof ReasonRequiredError ? new CliError(`${err.message} (--reason)`, EXIT.USAGE) : err
    })
    if (!gone) throw new CliError(`no quarantined message ${id}`)
    process.stdout.write(`deleted ${id}\n`)
    return EXIT.OK
  })
}

export async function quarantinePurge(opts: { config?: string; olderThanDays?: string }): Promise<void> {
  const config = configFrom(opts)
  const days = Number(opts.olderThanDays ?? config.store.quarantineRetentionDays)
  if (!Number.isFinite(days) || days < 0) throw new CliError(`--older-than-days ${opts.olderThanDays}: expected a number of days`, EXIT.USAGE)
  await withStore(config, async (store) => {
    const n = await store.purgeQuarantine(Date.now() - days * 86_400_000, 'cli')
    process.stdout.write(`purged ${n} quarantined message(s) older than ${days} day(s)\n`)
  })
}

/**
 * `quarantine release ID`: re-evaluates against the current registry files and delivers. It runs
 * the release through a gateway instance on a free local port so the decision logic is the one
 * the server uses; the running gateway's dispatcher picks the spooled delivery up.
 */
export async function quarantineRelease(id: string, opts: { config?: string }): Promise<void> {
  const config = configFrom(opts)
  const gw = await startGateway({ ...config, server: { ...config.server, port: 0, host: '127.0.0.1' } } as Config, {
    log: (await import('pino')).pino({ level: 'warn' }),
  })
  try {
    const res = await fetch(`${gw.url}/admin/quarantine/${encodeURIComponent(id)}/release`, {
      method: 'POST',
      headers: { authorization: `Bearer ${config.admin.token}` },
    })
    const body = (await res.json()) as Record<string, unknown>
    if (!res.ok) throw new CliError(`release failed: ${String(body.detail ?? res.status)}`)
    process.stdout.write(`released ${id}: ${String(body.decision)} (${String(body.reason)})\n`)
  } finally {
    await gw.close(1000)
  }
}

/**
 * `obligations list [--overdue|--all]`: one line per obligation with its state, the contact level
 * it has reached and who that is (from parties.yaml), and whether it is past its deadline now.
 */
export async function obligationsList(opts: { config?: string; overdue?: boolean; all?: boolean; json?: boolean }): Promise<void> {
  const config = configFrom(opts)
  await withStore(config, async (store) => {
    const now = Date.now()
    const items = await store.listObligations(opts.overdue ? 'overdue' : opts.all ? 'all' : 'open', now)
    // `obligations list` (docs/operations.md, "Command line") includes open stale-CoS cases (the losing supplier still receives traffic);
    // a store that cannot report them (store.kind nats) says so instead
    let stale: StaleCosReportRow[] = []
    let staleNote = ''
    if (!opts.overdue) {
      try {
        stale = (await staleCosReport(store, { status: 'open' }, now, createCalendar(config.calendar))).rows
      } catch (err) {
        if (!isNotAvailable(err)) throw err
        staleNote = `stale-CoS cases not listed: ${err.message}\n`
      }
    }
    const staleItems = stale.map((r) => ({
      id: `stale-cos:${r.party}:${r.mpxn}`, type: 'stale-cos', status: r.status, fromParty: r.party, toParty: r.acquirer, mpxn: r.mpxn,
      supplyStartDate: r.supplyStartDate, workingDaysSinceSsd: r.workingDaysSinceSsd, messages: r.messages, lastSeen: r.lastSeenIso,
    }))
    if (opts.json) return void process.stdout.write(JSON.stringify([...items, ...staleItems], null, 2) + '\n')
    const parties = new Map<string, Party>()
    try {
      for (const p of await loadParties(config.registry.parties)) parties.set(p.id, p)
    } catch {
      // parties.yaml unreadable: the table still shows levels, without names
    }
    const rows = items.map((o) => {
      const pending = o.status !== 'acknowledged'
      return {
        ...o,
        status: pending && o.dueAt < now && o.status !== 'overdue' ? `${o.status} (overdue)` : o.status,
        level: levelName(o.level),
        contact: contactsAt(parties.get(o.toParty), o.level).map((c) => c.email ?? c.name).join(' ') || '-',
        mpxn: o.mpxn ?? '',
        alert: o.alertCode ?? '',
        due: iso(o.dueAt),
        acked: o.ackedAt === null ? '' : `${iso(o.ackedAt)} ${o.ackedBy ?? ''}`.trim(),
      }
    })
    process.stdout.write(table(rows, ['id', 'type', 'status', 'level', 'contact', 'toParty', 'fromParty', 'mpxn', 'alert', 'due', 'acked']))
    process.stdout.write(`${items.length} obligation(s)\n`)
    if (staleItems.length > 0) {
      process.stdout.write('\nOpen stale-CoS cases (SR 6.23 not run: the losing supplier still receives traffic)\n')
      process.stdout.write(table(staleItems.map((s) => ({ ...s, toParty: s.toParty ?? '' })), ['fromParty', 'mpxn', 'supplyStartDate', 'workingDaysSinceSsd', 'messages', 'lastSeen', 'toParty']))
    }
    process.stdout.write(staleNote || `${staleItems.length} open stale-CoS case(s)\n`)
  })
}

export async function reportStaleCos(opts: { config?: string; since?: string; format?: string; minWorkingDays?: string }): Promise<void> {
  const since = opts.since === undefined ? undefined : Date.parse(opts.since)
  if (since !== undefined && Number.isNaN(since)) throw new CliError(`--since ${opts.since}: expected a date YYYY-MM-DD`, EXIT.USAGE)
  const min = opts.minWorkingDays
  if (min !== undefined && !/^\d{1,4}$/.test(min)) throw new CliError(`--min-working-days ${min}: expected a whole number`, EXIT.USAGE)
  const format = opts.format ?? 'md'
  if (format !== 'csv' && format !== 'md') throw new CliError(`--format ${format}: expected csv or md`, EXIT.USAGE)
  const config = configFrom(opts)
  await withStore(config, async (store) => {
    const report = await staleCosReport(store, {
      ...(since !== undefined && { since }), ...(min !== undefined && { minWorkingDays: Number(min) }),
    }, Date.now(), createCalendar(config.calendar))
    process.stdout.write(format === 'csv' ? report.csv() : report.markdown())
  })
}
