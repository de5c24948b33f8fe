// Assembly: config -> registry, store, delivery, ingress. The CLI's `serve` and the integration
// tests both start the gateway through startGateway().
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { dirname, resolve } from 'node:path'
import { pino } from 'pino'
import type { Logger } from 'pino'
import pinoPretty from 'pino-pretty'
import type { Config } from './config/types.js'
import { parseDuration } from './config/index.js'
import { handleAdmin } from './admin/index.js'
import { Dispatcher, SenderDirectory } from './delivery/index.js'
import { IngressErrors, problem } from './ingress/errors.js'
import { createIngressServer } from './ingress/server.js'
import { SpoolLimit } from './ingress/limits-spool.js'
import { loadVerificationKeys, verifyEnvelopedSignature } from './envelope/index.js'
import type { Decision } from './policy/index.js'
import type { IngestOutcome } from './ingress/server.js'
import { GatewayMetrics, registrySourceTimes } from './metrics/index.js'
import { ObligationScheduler, createAckLinks, createCalendar, handleAckLink, loadAckSecret } from './obligations/index.js'
import type { WorkingDayCalendar } from './obligations/index.js'
import { policySettings } from './policy/index.js'
import { loadRegistry } from './registry/index.js'
import type { CompactRegistry } from './registry/index.js'
import { EvaluatePool, workerSetup } from './pool/index.js'
import type { PoolOutcome } from './pool/index.js'
import type { RegistryIndex } from './registry/types.js'
import { SqliteStore, getObligation, getQuarantine, getQuarantineBody, isStoreUnavailable, obligationCounts, quarantineCounts } from './store/index.js'
import type { GatewayStore } from './store/index.js'
import type { NatsStore } from './store/nats/index.js'
import { evaluate, toAcceptedRecord } from './pipeline.js'
import type { EvaluateContext } from './pipeline.js'

/** What the spool bounds and the obligation timer need besides GatewayStore (both kinds have it). */
type NatsStoreShape = Pick<SqliteStore, 'spoolBounds' | 'dueObligations' | 'applyObligationTransitions' | 'openObligations'>

export interface GatewayOptions {
  log?: Logger
  /** injected clock for obligations (tests); defaults to Date.now */
  now?: () => number
}

export interface Gateway {
  readonly url: string
  readonly config: Config
  readonly metrics: GatewayMetrics
  /** the SQLite store (store.kind sqlite); throws with store.kind nats */
  readonly store: SqliteStore
  /** the store behind the gateway, whichever kind */
  readonly gatewayStore: GatewayStore
  registry(): RegistryIndex
  reloadRegistry(): Promise<{ loadedAt: string; counts: RegistryIndex['counts']; ms: number }>
  /** the obligation timer (overdue, escalation, install-code); tick() runs one check now */
  readonly obligations: ObligationScheduler
  /** Stop accepting (readyz 503), finish in-flight requests, stop delivery, close the store. */
  close(graceMs?: number): Promise<void>
}

/**
 * pino JSON lines (contract §10), one object per line for pipes, files, containers and log
 * shippers; pino-pretty only when the destination is a terminal (a person is reading).
 * `dest` is for tests; by default stdout.
 */
export function createLogger(config: Config, dest?: NodeJS.WritableStream & { isTTY?: boolean }): Logger {
  const opts = { level: config.log.level, base: { service: 'dcc-alert-gateway' } }
  const tty = (dest ?? process.stdout).isTTY === true
  if (tty) return pino(opts, pinoPretty({ colorize: dest === undefined, sync: true, ...(dest !== undefined && { destination: dest }) }))
  return dest === undefined ? pino(opts) : pino(opts, dest)
}

/** A document whose signature fails is quarantined whatever policy decided (issue #9). */
function badSignature(d: Decision): Decision {
  return { decision: 'quarantine', reason: 'bad-signature', critical: d.critical, ...(d.mpxn !== undefined && { mpxn: d.mpxn }) }
}

/** true when `p` settled within `ms`, false when the time ran out first (p keeps running). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))))
  try {
    return await Promise.race([p.then(() => true, () => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}

export async function startGateway(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
  const log = opts.log ?? createLogger(config)
  const now = opts.now ?? Date.now
  const metrics = new GatewayMetrics({ processMetrics: config.metrics.processMetrics })
  const calendar: WorkingDayCalendar = createCalendar(config.calendar)
  const policy = policySettings(config)
  const registryPaths = { registrations: config.registry.registrations, devices: config.registry.devices, parties: config.registry.parties }

  let registry = await loadAndMeasure()
  // store.kind: the embedded SQLite store, or NATS JetStream shared by every instance
  // (docs/cluster.md; the NATS client is loaded only in that mode).
  const nats: NatsStore | undefined = config.store.kind === 'nats' ? await (await import('./store/nats/index.js')).openNatsStore(config) : undefined
  const sqlite = nats === undefined
    ? new SqliteStore({
        path: config.store.path,
        commitIntervalMs: config.store.commitIntervalMs,
        commitBatch: config.store.commitBatch,
        synchronous: config.store.synchronous,
      })
    : undefined
  const store: GatewayStore & NatsStoreShape = (nats ?? sqlite)!
  /** the SQLite-only parts (admin queries, group-commit queue) */
  const sqliteOnly = (): SqliteStore => {
    if (sqlite === undefined) throw Object.assign(new Error('not available with store.kind nats (docs/cluster.md)'), { code: 'DCCGW_ERR_NOT_FOUND' })
    return sqlite
  }
  if (sqlite !== undefined) sqlite.queue.onCommit = (size) => metrics.commitBatch.observe(size)
  if (nats !== undefined) nats.onError = (err, what) => log.warn({ err }, what)
  let draining = false

  // Signed acknowledgement links in notices (issue 6); the base URL is known once listening.
  let publicUrl = config.obligations.publicUrl
  const ackLinks = createAckLinks(loadAckSecret(config.obligations.ackSecret, config.store.path), () => publicUrl, config.obligations.ackLinkTtlDays)
  const senders = new SenderDirectory(config, () => registry, { ackLink: (id, dueAt) => ackLinks.url(id, dueAt) })
  const dispatcher = new Dispatcher(store, (item) => senders.senderFor(item), config.delivery, metrics, log)
  if (nats !== undefined) nats.onSpoolReady = () => dispatcher.wake()
  const obligations = new ObligationScheduler({
    store, registry: () => registry, calendar, tenants: config.tenants, now, log, metrics: metrics.registry, wake: () => dispatcher.wake(),
  })
  const evalCtx = (): EvaluateContext => ({ limits: config.limits, registry, policy, calendar })
  const recordCtx = (index: RegistryIndex = registry) => ({ registry: index, deadline: (ms: number, wd: number) => calendar.deadline(ms, wd) })
  // pool.size 0: parse, look up and decide inline (measured faster on 2 cores: README, Performance).
  const pool = config.pool.size > 0
    ? new EvaluatePool({ ...config.pool, lookups: 'worker', setup: workerSetup(config), registry, policy, calendar })
    : undefined
  const evaluateInline = (body: Buffer): PoolOutcome => ({ kind: 'evaluated', ev: evaluate(body, evalCtx()), registry })

  async function loadAndMeasure(): Promise<CompactRegistry> {
    const started = performance.now()
    try {
      const sources = await registrySourceTimes(registryPaths) // before the load: never younger than the data
      const { index } = await loadRegistry(registryPaths, { maxRejectRatio: config.registry.maxRejectRatio })
      const seconds = (performance.now() - started) / 1000
      metrics.registryReloads.inc({ outcome: 'ok' })
      metrics.registryLoadSeconds.set(seconds)
      metrics.registryLoaded.set(index.loadedAt / 1000)
      metrics.setRegistrySources(sources)
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

  /** Backpressure (issue #4): 503 + Retry-After instead of an unbounded queue; nothing stored. */
  const overloaded = (detail: string): IngestOutcome => ({
    status: 503,
    problem: problem(IngressErrors.OVERLOADED, detail),
    headers: { 'retry-after': String(config.limits.retryAfterSeconds) },
  })
  /** Spool bounds (issue #9): a target has been down too long or too much is waiting for it. */
  const spoolLimit = new SpoolLimit(store, config.limits, metrics)
  const tooMuchSpooled = (detail: string): IngestOutcome => ({
    status: 503,
    problem: problem(IngressErrors.SPOOL_FULL, detail),
    headers: { 'retry-after': String(config.limits.retryAfterSeconds) },
  })
  const signatureKeys = config.security.verifySignatures
    ? loadVerificationKeys(config.security.dccCertificates.map((f) => resolve(dirname(config.configFile), f)))
    : undefined
  const storeBehind = (): string | undefined =>
    sqlite !== undefined && sqlite.queue.depth >= config.store.maxQueueDepth ? `${sqlite.queue.depth} decisions waiting for a commit (store.maxQueueDepth ${config.store.maxQueueDepth})` : undefined

  async function ingest(body: Buffer, contentType: string, receivedAt: number): Promise<IngestOutcome> {
    const started = process.hrtime.bigint()
    const behind = storeBehind()
    if (behind !== undefined) return overloaded(behind)
    const spoolFull = spoolLimit.overBound(Date.now())
    if (spoolFull !== undefined) return tooMuchSpooled(spoolFull)
    const outcome = pool ? await pool.evaluate(body) : evaluateInline(body)
    if (outcome.kind === 'overloaded') return overloaded(outcome.detail)
    const ev = outcome.ev
    const stillBehind = pool ? storeBehind() : undefined // the store may have fallen behind while the pool worked
    if (stillBehind !== undefined) return overloaded(stillBehind)
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
    // security.verifySignatures (issue #9): a missing or failing signature overrides the decision.
    const sig = signatureKeys === undefined ? undefined : verifyEnvelopedSignature(body, signatureKeys)
    if (sig !== undefined && !sig.ok) ev.decision = badSignature(ev.decision)
    // the index the decision was made on (a reload may have swapped `registry` meanwhile)
    const rec = toAcceptedRecord(ev, body, contentType, receivedAt, recordCtx(outcome.registry))
    if (sig !== undefined && !sig.ok) rec.detail = sig.detail
    let out
    try {
      out = await store.commitAccepted(rec)
    } catch (err) {
      if (isStoreUnavailable(err) || !store.open) return unavailable(err)
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
    const held = nats !== undefined ? await nats.quarantined(id) : undefined
    const row = held?.row ?? (sqlite !== undefined ? getQuarantine(sqlite.db, id) : undefined)
    const body = held?.body ?? (sqlite !== undefined ? getQuarantineBody(sqlite.db, id) : undefined)
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
    const prev = registry
    registry = next // atomic: each evaluation reads `registry` once, synchronously
    pool?.setRegistry(next) // each batch is decided wholly on one index (src/pool)
    // SECMP0121: tenant MPxNs that moved with a non-commissioned device open install-code duties.
    await obligations.onRegistrySwap(prev, next).catch((err: unknown) => log.error({ err }, 'install-code check failed'))
    return { loadedAt: new Date(next.loadedAt).toISOString(), counts: next.counts, ms: Math.round(performance.now() - started) }
  }

  const server: Server = createIngressServer(
    config,
    {
      notReadyReason: () =>
        draining ? { draining: true, detail: 'shutting down' } : !store.open ? { draining: false, detail: 'store closed' } : undefined,
      // an injected clock (tests) also stamps receipt, so deadlines follow it
      ingest: (body, contentType, receivedAt) => ingest(body, contentType, opts.now ? now() : receivedAt),
      ack: (req, res, url) =>
        handleAckLink(req, res, url, {
          links: ackLinks,
          obligation: (id) => getObligation(sqliteOnly().db, id),
          acknowledge: (id, actor) => store.acknowledgeObligation(id, actor, now()),
          now,
        }),
      metricsText: async () => {
        refreshGauges()
        if (pool) metrics.setPool(pool.sample())
        return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }
      },
      admin: (req, res, url) =>
        handleAdmin(req, res, url, {
          token: config.admin.token,
          db: () => sqliteOnly().db,
          reloadRegistry,
          releaseQuarantined: release,
          deleteQuarantined: (id, actor) => store.deleteQuarantined(id, actor),
          acknowledge: (id, actor) => store.acknowledgeObligation(id, actor, now()),
          now,
          calendar,
          audit: (actor, action, target, detail) => nats !== undefined ? nats.audit(actor, action, target, detail) : sqliteOnly().queue.run(() => sqliteOnly().audit(actor, action, target, detail)),
          purgeQuarantine: async (actor) => ({
            byAge: await store.purgeQuarantine(now() - config.store.quarantineRetentionDays * 86_400_000, actor),
            bySize: config.store.quarantineMaxBytes > 0 && sqlite !== undefined ? await sqlite.purgeQuarantineOverSize(config.store.quarantineMaxBytes, actor) : 0,
          }),
        }),
    },
    metrics,
    log,
  )

  function refreshGauges(): void {
    if (!store.open) return
    const t = now()
    metrics.setSpool(store.spoolDepth(), t)
    if (sqlite === undefined) return // store.kind nats: spool gauges only (docs/cluster.md)
    metrics.setQuarantine(quarantineCounts(sqlite.db))
    metrics.setObligations(obligationCounts(sqlite.db, t))
  }

  const dedupeWindowMs = parseDuration(config.dedupe.window)
  const housekeeping = setInterval(() => {
    const t = now()
    // Audit rows double as the dedupe memory: keep them for the longer of the two.
    const auditMs = Math.max(dedupeWindowMs, config.store.auditRetentionDays * 86_400_000)
    store.purgeMessages(t - auditMs).catch((err: unknown) => log.error({ err }, 'audit purge failed'))
    const quarantineCutoff = t - config.store.quarantineRetentionDays * 86_400_000
    store.purgeQuarantine(quarantineCutoff, 'retention').catch((err: unknown) => log.error({ err }, 'quarantine purge failed'))
    if (config.store.quarantineMaxBytes > 0 && sqlite !== undefined) {
      sqlite.purgeQuarantineOverSize(config.store.quarantineMaxBytes, 'retention').catch((err: unknown) => log.error({ err }, 'quarantine size purge failed'))
    }
    sqlite?.purgeOriginals(quarantineCutoff).catch((err: unknown) => log.error({ err }, 'originals purge failed'))
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
  if (publicUrl === '') publicUrl = url
  obligations.start(config.obligations.checkIntervalMs)
  log.info({ url, tenants: config.tenants }, 'gateway listening')

  let closing: Promise<void> | undefined
  return {
    url,
    config,
    metrics,
    get store() {
      return sqliteOnly()
    },
    gatewayStore: store,
    registry: () => registry,
    reloadRegistry,
    obligations,
    close(graceMs = config.server.shutdownGraceMs) {
      closing ??= (async () => {
        draining = true
        clearInterval(housekeeping)
        if (config.server.drainDelayMs > 0) await new Promise((r) => setTimeout(r, config.server.drainDelayMs))
        // The whole stop fits in graceMs: in-flight requests get most of it, then connections are
        // cut (an unanswered request was never accepted: the sender retries), then delivery gets
        // what is left; the store's last group commit is flushed whatever happened.
        const deadline = Date.now() + graceMs
        const reserve = Math.min(1000, Math.floor(graceMs / 4))
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        // keep-alive connections go idle as their last response is sent: close them as they do
        const sweep = setInterval(() => server.closeIdleConnections(), 25)
        const timer = setTimeout(() => server.closeAllConnections(), Math.max(0, graceMs - reserve))
        await closed
        clearInterval(sweep)
        clearTimeout(timer)
        const stopped = await within(dispatcher.stop().then(() => senders.close()), deadline - Date.now() - reserve)
        if (!stopped) log.warn('deliveries still in flight at the end of the grace period; they stay spooled and are retried')
        await pool?.close()
        await obligations.stop()
        await store.close()
        log.info('gateway stopped')
      })()
      return closing
    },
  }
}
