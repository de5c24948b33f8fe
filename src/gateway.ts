// Assembly: config -> registry, store, delivery, ingress. The CLI's `serve` and the integration
// tests both start the gateway through startGateway().
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { pino } from 'pino'
import type { Logger } from 'pino'
import type { Config } from './config/types.js'
import { parseDuration } from './config/index.js'
import { handleAdmin } from './admin/index.js'
import { Dispatcher, SenderDirectory } from './delivery/index.js'
import { IngressErrors, problem } from './ingress/errors.js'
import { createIngressServer } from './ingress/server.js'
import type { IngestOutcome } from './ingress/server.js'
import { GatewayMetrics } from './metrics/index.js'
import { createCalendar } from './obligations/index.js'
import type { WorkingDayCalendar } from './obligations/index.js'
import { policySettings } from './policy/index.js'
import { loadRegistry } from './registry/index.js'
import type { RegistryIndex } from './registry/types.js'
import { SqliteStore, getQuarantine, getQuarantineBody, isIoError, obligationCounts, quarantineCounts } from './store/index.js'
import { evaluate, toAcceptedRecord } from './pipeline.js'
import type { EvaluateContext } from './pipeline.js'

export interface GatewayOptions {
  log?: Logger
  /** injected clock for obligations (tests); defaults to Date.now */
  now?: () => number
}

export interface Gateway {
  readonly url: string
  readonly config: Config
  readonly metrics: GatewayMetrics
  readonly store: SqliteStore
  registry(): RegistryIndex
  reloadRegistry(): Promise<{ loadedAt: string; counts: RegistryIndex['counts']; ms: number }>
  /** Stop accepting (readyz 503), finish in-flight requests, stop delivery, close the store. */
  close(graceMs?: number): Promise<void>
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.log.level, base: { service: 'dcc-alert-gateway' } })
}

export async function startGateway(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
  const log = opts.log ?? createLogger(config)
  const now = opts.now ?? Date.now
  const metrics = new GatewayMetrics({ processMetrics: config.metrics.processMetrics })
  const calendar: WorkingDayCalendar = createCalendar(config.calendar)
  const policy = policySettings(config)
  const registryPaths = { registrations: config.registry.registrations, devices: config.registry.devices, parties: config.registry.parties }

  let registry = await loadAndMeasure()
  const store = new SqliteStore({
    path: config.store.path,
    commitIntervalMs: config.store.commitIntervalMs,
    commitBatch: config.store.commitBatch,
    synchronous: config.store.synchronous,
  })
  store.queue.onCommit = (size) => metrics.commitBatch.observe(size)
  let draining = false

  const senders = new SenderDirectory(config, () => registry)
  const dispatcher = new Dispatcher(store, (item) => senders.senderFor(item), config.delivery, metrics, log)
  const evalCtx = (): EvaluateContext => ({ limits: config.limits, registry, policy, calendar })
  const recordCtx = () => ({ registry, deadline: (ms: number, wd: number) => calendar.deadline(ms, wd) })

  async function loadAndMeasure(): Promise<RegistryIndex> {
    const started = performance.now()
    try {
      const { index } = await loadRegistry(registryPaths, { maxRejectRatio: config.registry.maxRejectRatio })
      const seconds = (performance.now() - started) / 1000
      metrics.registryReloads.inc({ outcome: 'ok' })
      metrics.registryLoadSeconds.set(seconds)
      metrics.registryLoaded.set(index.loadedAt / 1000)
      const c = index.counts
      for (const [kind, n] of Object.entries({ registrations: c.registrations, mpxns: c.mpxns, devices: c.devices, parties: c.parties, user_ids: c.userIds })) {
        metrics.registryEntries.set({ kind }, n)
      }
      log.info({ counts: c, seconds }, 'registry loaded')
      return index
    } catch (err) {
      metrics.registryReloads.inc({ outcome: 'failed' })
      throw err
    }
  }

  const unavailable = (err: unknown): IngestOutcome => {
    log.error({ err }, 'store write failed; answering 503')
    return {
      status: 503,
      problem: problem(IngressErrors.STORE_UNAVAILABLE, 'the decision could not be made durable; nothing was kept, retry later'),
      headers: { 'retry-after': String(config.limits.retryAfterSeconds) },
    }
  }

  async function ingest(body: Buffer, contentType: string, receivedAt: number): Promise<IngestOutcome> {
    const started = process.hrtime.bigint()
    const ev = evaluate(body, evalCtx())
    if (!ev.ok) {
      metrics.received.inc({ kind: 'invalid' })
      let quarantineId: string
      try {
        quarantineId = await store.commitMalformed({ receivedAt, contentType, body, ...ev.rejection })
      } catch (err) {
        return unavailable(err)
      }
      metrics.decisions.inc({ decision: 'quarantine', reason: 'malformed' })
      log.info({ quarantineId, decision: 'quarantine', reason: 'malformed', code: ev.rejection.code }, 'malformed document quarantined')
      return { status: 422, problem: problem(IngressErrors.MALFORMED, ev.rejection.detail, { quarantineId, reason: ev.rejection.code }) }
    }
    metrics.received.inc({ kind: ev.env.kind })
    const rec = toAcceptedRecord(ev, body, contentType, receivedAt, recordCtx())
    let out
    try {
      out = await store.commitAccepted(rec)
    } catch (err) {
      if (isIoError(err) || !store.open) return unavailable(err)
      throw err
    }
    metrics.processing.observe(Number(process.hrtime.bigint() - started) / 1e9)
    if (!out.duplicate) {
      metrics.decisions.inc({ decision: out.decision, reason: out.reason })
      if (out.decision === 'deliver' || out.decision === 'forward') dispatcher.wake()
    }
    const line = {
      messageId: out.messageId, decision: out.decision, reason: out.reason,
      ...(out.duplicate && { duplicate: true }),
      ...(config.log.includeMpxn && ev.decision.mpxn !== undefined && { mpxn: ev.decision.mpxn }),
    }
    if (config.log.decisions) log.info(line, 'decision')
    else log.debug(line, 'decision')
    return {
      status: 200,
      body: { messageId: out.messageId, decision: out.decision, reason: out.reason, ...(out.duplicate && { duplicate: true as const }) },
    }
  }

  async function release(id: string, actor: string) {
    const row = getQuarantine(store.db, id)
    const body = getQuarantineBody(store.db, id)
    if (row === undefined || body === undefined) throw Object.assign(new Error(`no quarantined message ${id}`), { code: 'DCCGW_ERR_NOT_FOUND' })
    const ev = evaluate(body, evalCtx())
    if (!ev.ok) throw new Error(`still not a usable DUIS document: ${ev.rejection.detail}`)
    if (ev.decision.decision === 'quarantine') {
      // The operator vouches for it: deliver to the addressed party as it is.
      const to = ev.facts.recipient?.delegateTo ?? ev.facts.recipient?.partyId
      if (to === undefined) throw new Error(`cannot release: ${ev.decision.reason} and no party to deliver to`)
      ev.decision = { decision: 'deliver', reason: 'operator-released', deliverTo: to, critical: ev.decision.critical, ...(ev.decision.mpxn !== undefined && { mpxn: ev.decision.mpxn }) }
    }
    const rec = toAcceptedRecord(ev, body, row.contentType ?? 'application/xml', now(), recordCtx())
    const out = await store.releaseQuarantined(id, rec, actor)
    metrics.decisions.inc({ decision: out.decision, reason: out.reason })
    dispatcher.wake()
    log.info({ quarantineId: id, messageId: out.messageId, decision: out.decision, reason: out.reason, actor }, 'quarantine released')
    return out
  }

  async function reloadRegistry() {
    const started = performance.now()
    const next = await loadAndMeasure()
    registry = next // atomic: each evaluation reads `registry` once, synchronously
    return { loadedAt: new Date(next.loadedAt).toISOString(), counts: next.counts, ms: Math.round(performance.now() - started) }
  }

  const server: Server = createIngressServer(
    config,
    {
      notReadyReason: () =>
        draining ? { draining: true, detail: 'shutting down' } : !store.open ? { draining: false, detail: 'store closed' } : undefined,
      ingest,
      metricsText: async () => {
        refreshGauges()
        return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }
      },
      admin: (req, res, url) =>
        handleAdmin(req, res, url, {
          token: config.admin.token,
          db: () => store.db,
          reloadRegistry,
          releaseQuarantined: release,
          deleteQuarantined: (id, actor) => store.deleteQuarantined(id, actor),
          acknowledge: (id, actor) => store.acknowledgeObligation(id, actor, now()),
          now,
        }),
    },
    metrics,
    log,
  )

  function refreshGauges(): void {
    if (!store.open) return
    const t = now()
    metrics.spoolDepth.reset()
    metrics.spoolOldestAge.reset()
    for (const target of ['adapter', 'notice']) metrics.spoolDepth.set({ target }, 0)
    for (const r of store.spoolDepth()) {
      metrics.spoolDepth.set({ target: r.target }, r.n)
      metrics.spoolOldestAge.set({ target: r.target }, Math.max(0, (t - r.oldest) / 1000))
    }
    metrics.quarantine.reset()
    for (const r of quarantineCounts(store.db)) metrics.quarantine.set({ reason: r.reason }, r.n)
    metrics.obligations.reset()
    for (const r of obligationCounts(store.db, t)) metrics.obligations.set({ type: r.type, status: r.status }, r.n)
  }

  const dedupeWindowMs = parseDuration(config.dedupe.window)
  const housekeeping = setInterval(() => {
    const t = now()
    store.purgeMessages(t - dedupeWindowMs).catch((err: unknown) => log.error({ err }, 'dedupe purge failed'))
    store.purgeQuarantine(t - config.store.quarantineRetentionDays * 86_400_000, 'retention').catch((err: unknown) => log.error({ err }, 'quarantine purge failed'))
  }, 3_600_000)
  housekeeping.unref()

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.server.port, config.server.host, () => resolve())
  })
  dispatcher.start()
  const addr = server.address() as AddressInfo
  const scheme = config.server.tls ? 'https' : 'http'
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  const url = `${scheme}://${host}:${addr.port}`
  log.info({ url, tenants: config.tenants }, 'gateway listening')

  let closing: Promise<void> | undefined
  return {
    url,
    config,
    metrics,
    store,
    registry: () => registry,
    reloadRegistry,
    close(graceMs = config.server.shutdownGraceMs) {
      closing ??= (async () => {
        draining = true
        clearInterval(housekeeping)
        if (config.server.drainDelayMs > 0) await new Promise((r) => setTimeout(r, config.server.drainDelayMs))
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        const timer = setTimeout(() => server.closeAllConnections(), graceMs)
        await closed
        clearTimeout(timer)
        await dispatcher.stop()
        await senders.close()
        store.close()
        log.info('gateway stopped')
      })()
      return closing
    },
  }
}
