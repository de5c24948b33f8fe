// Assembly: config -> registry, store, delivery, ingress. The CLI's `serve` and the integration
// tests both start the gateway through startGateway().
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { dirname, resolve } from 'node:path'
import type { Logger } from 'pino'
import type { Config } from '../config/types.js'
import { adminCredentials, handleAdmin } from '../admin/index.js'
import { createConsole } from '../console/index.js'
import type { ReloadOutcome } from '../console/index.js'
import { Dispatcher, SenderDirectory } from '../delivery/index.js'
import { createIngressServer } from '../ingress/server.js'
import { SpoolLimit } from '../ingress/limits-spool.js'
import { loadVerificationKeys } from '../envelope/index.js'
import { GatewayMetrics } from '../metrics/index.js'
import { ObligationScheduler, createAckLinks, createCalendar, handleAckLink, loadAckSecret } from '../obligations/index.js'
import type { WorkingDayCalendar } from '../obligations/index.js'
import { policySettings } from '../policy/index.js'
import { EvaluatePool, workerSetup } from '../pool/index.js'
import type { PoolOutcome } from '../pool/index.js'
import type { RegistryIndex } from '../registry/types.js'
import { isStoreError, openStore } from '../store/index.js'
import type { GatewayStore } from '../store/index.js'
import { evaluate } from '../pipeline.js'
import { createIngest } from './ingest.js'
import { createRelease } from './release.js'
import { startHousekeeping } from './housekeeping.js'
import { within } from './within.js'
import { loadAndMeasure, RegistryUpdates } from './registry-load.js'
import { redirectAnswer, reportUnreachable, withCriticalRejects } from './obligation-hooks.js'
export { createLogger } from './logger.js'
import { createLogger } from './logger.js'
import type { EvaluateContext } from '../pipeline.js'

/** a late alert's obligation check runs within this many ms; a burst of late alerts shares one check (each check brings the projection up to date and commits the transitions with an fsync) */
const LATE_ALERT_CHECK_MS = 1000

export interface GatewayOptions {
  log?: Logger
  /** injected clock for obligations (tests); defaults to Date.now */
  now?: () => number
}

export interface Gateway {
  readonly url: string
  readonly config: Config
  readonly metrics: GatewayMetrics
  /** the store behind the gateway, whichever kind (the port in src/store/gateway-store.ts) */
  readonly store: GatewayStore
  /** the same store (the name this property had before `store` covered both kinds) */
  readonly gatewayStore: GatewayStore
  registry(): RegistryIndex
  reloadRegistry(): Promise<{ loadedAt: string; counts: RegistryIndex['counts']; ms: number }>
  /** the obligation timer (overdue, escalation, install-code); tick() runs one check now */
  readonly obligations: ObligationScheduler
  /** Stop accepting (readyz 503), finish in-flight requests, stop delivery, close the store. */
  close(graceMs?: number): Promise<void>
}

export async function startGateway(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
  const log = opts.log ?? createLogger(config)
  const now = opts.now ?? Date.now
  const metrics = new GatewayMetrics({ processMetrics: config.metrics.processMetrics })
  const calendar: WorkingDayCalendar = createCalendar(config.calendar)
  const policy = policySettings(config)

  const firstLoad = performance.now()
  let registry = await loadAndMeasure(config, metrics, log)
  const firstLoadMs = Math.round(performance.now() - firstLoad)
  // store.kind: the embedded SQLite store, or NATS JetStream shared by every instance (openStore)
  const store: GatewayStore = await openStore(config)
  let draining = false

  // Signed acknowledgement links in notices (issue 6); the base URL is known once listening.
  let publicUrl = config.obligations.publicUrl
  const ackLinks = createAckLinks(loadAckSecret(config.obligations.ackSecret, config.store.path), () => publicUrl, config.obligations.ackLinkTtlDays)
  const senders = new SenderDirectory(config, () => registry, { ackLink: (id, dueAt) => ackLinks.url(id, dueAt) })
  const dispatcher = new Dispatcher(withCriticalRejects(store, () => evalCtx(), calendar, config.tenants, log), (item) => senders.senderFor(item), config.delivery, metrics, log)
  store.setHooks({
    onCommit: (size) => metrics.commitBatch.observe(size),
    onError: (err, what) => log.warn({ err }, what),
    onSpoolReady: () => dispatcher.wake(),
  })
  const obligations = new ObligationScheduler({
    store, registry: () => registry, calendar, tenants: config.tenants, now, log, metrics, wake: () => dispatcher.wake(),
    fallback: config.obligations.fallbackContact.email !== '' || config.obligations.fallbackContact.endpoint !== '',
  })
  const evalCtx = (): EvaluateContext => ({ limits: config.limits, registry, policy, calendar })
  const recordCtx = (index: RegistryIndex = registry) => ({ registry: index, deadline: (ms: number, wd: number) => calendar.deadline(ms, wd), tenants: config.tenants })
  // pool.size 0: parse, look up and decide inline (measured faster on 2 cores: README, Performance).
  const pool = config.pool.size > 0
    ? new EvaluatePool({ ...config.pool, lookups: 'worker', setup: workerSetup(config), registry, policy, calendar })
    : undefined
  const evaluateInline = (body: Buffer): PoolOutcome => ({ kind: 'evaluated', ev: evaluate(body, evalCtx()), registry })

  const signatureKeys = config.security.verifySignatures
    ? loadVerificationKeys(config.security.dccCertificates.map((f) => resolve(dirname(config.configFile), f)))
    : undefined
  const spoolLimit = new SpoolLimit(store, config.limits, metrics)
  const ingest = createIngest({
    config, metrics, log, store, spoolLimit, signatureKeys,
    commitBacklog: () => store.backlog,
    evaluate: (body) => (pool ? pool.evaluate(body) : evaluateInline(body)),
    recordCtx,
    wake: () => dispatcher.wake(),
    // issue 15: an alert already past its deadline on arrival escalates within a second (one check per second)
    overdueOnArrival: () => obligations.soon(LATE_ALERT_CHECK_MS),
  })

  const release = createRelease({
    store, evalCtx, recordCtx: () => recordCtx(), metrics, log, now, wake: () => dispatcher.wake(),
  })

  const swapRegistry = (next: typeof registry) => {
    registry = next // atomic: each evaluation reads `registry` once, synchronously
    pool?.setRegistry(next) // each batch is decided wholly on one index (src/pool)
  }
  // SECMP0121: tenant MPxNs that moved with a non-commissioned device open install-code duties.
  const installCodeCheck = (prev: RegistryIndex, next: RegistryIndex) => obligations.onRegistrySwap(prev, next).catch((err: unknown) => log.error({ err }, 'install-code check failed'))
  // delta updates and their compaction (issue #17); kept deltas re-applied after every load
  const updates = new RegistryUpdates(config, metrics, log, () => registry, swapRegistry, installCodeCheck)
  swapRegistry(await updates.catchUp(registry))

  // the last load's outcome, whoever asked (start, SIGHUP, admin API, console): the console shows it
  let lastReload: ReloadOutcome = { at: registry.loadedAt, ok: true, detail: 'loaded at start', ms: firstLoadMs }
  async function reloadRegistry() {
    const started = performance.now()
    const loaded = await loadAndMeasure(config, metrics, log).catch((err: unknown) => {
      lastReload = { at: now(), ok: false, detail: (err as Error).message, ms: Math.round(performance.now() - started) }
      throw err
    })
    const next = await updates.exclusive(async () => {
      const caught = await updates.catchUp(loaded)
      const prev = registry
      swapRegistry(caught)
      await installCodeCheck(prev, caught)
      return caught
    })
    lastReload = { at: now(), ok: true, detail: 'ok', ms: Math.round(performance.now() - started) }
    reportUnreachable(senders.unreachableParties(), metrics, log, 'reload')
    return { loadedAt: new Date(next.loadedAt).toISOString(), counts: next.counts, ms: Math.round(performance.now() - started) }
  }

  const credentials = adminCredentials(config.admin) // hashed once

  const operatorConsole = createConsole({
    credentials, tls: config.server.tls !== undefined, sessionMinutes: config.admin.sessionMinutes, store,
    registry: () => registry, registryFiles: { registrations: config.registry.registrations, devices: config.registry.devices, parties: config.registry.parties }, lastReload: () => lastReload,
    reloadRegistry, releaseQuarantined: release, calendar, now,
  })

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
          obligation: (id) => store.getObligation(id),
          acknowledge: (id, actor) => store.acknowledgeObligation(id, actor, now()),
          redirect: redirectAnswer({ store, registry: () => registry, calendar, obligation: (id) => store.getObligation(id), now, wake: () => dispatcher.wake() }),
          parties: () => registry.parties().map((p) => ({ id: p.id, name: p.name })),
          now,
        }),
      metricsText: async () => {
        await refreshGauges()
        if (pool) metrics.setPool(pool.sample())
        return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }
      },
      console: (req, res, url) => operatorConsole.handle(req, res, url),
      admin: (req, res, url) =>
        handleAdmin(req, res, url, {
          credentials,
          store,
          reloadRegistry,
          applyRegistryDelta: (name, body) => updates.apply(name, body),
          releaseQuarantined: release,
          now,
          calendar,
          purgeQuarantine: async (actor) => ({
            byAge: await store.purgeQuarantine(now() - config.store.quarantineRetentionDays * 86_400_000, actor),
            bySize: config.store.quarantineMaxBytes > 0 ? await store.purgeQuarantineOverSize(config.store.quarantineMaxBytes, actor) : 0,
          }),
        }),
    },
    metrics,
    log,
  )

  async function refreshGauges(): Promise<void> {
    if (!store.open) return
    const t = now()
    metrics.setSpool(store.spoolDepth(), t)
    const journal = store.journalStats()
    if (journal !== undefined) metrics.setJournal(journal)
    // a store that cannot count (store.kind nats: quarantine per reason) leaves that gauge out (docs/cluster.md)
    const skip = (what: string) => (err: unknown) => void (isStoreError(err) || log.warn({ err }, `${what} gauge not refreshed`))
    await Promise.all([
      store.quarantineCounts().then((c) => metrics.setQuarantine(c), skip('quarantine')),
      store.obligationCounts(t).then((c) => metrics.setObligations(c), skip('obligations')),
    ])
  }

  const housekeeping = startHousekeeping(config, store, now, log)

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
  updates.start()
  // issue 15: parties no notice can reach are named at start; install-code duties from files
  // that changed while the gateway was down open now
  reportUnreachable(senders.unreachableParties(), metrics, log, 'start')
  if (senders.fallbackUnreachable()) log.warn('obligations.fallbackContact has only an e-mail address and smtp.host is not set: escalations to it reach nobody')
  await obligations.onStart(registry).catch((err: unknown) => log.error({ err }, 'install-code check at start failed'))
  log.info({ url, tenants: config.tenants }, 'gateway listening')

  let closing: Promise<void> | undefined
  return {
    url,
    config,
    metrics,
    store,
    gatewayStore: store,
    registry: () => registry,
    reloadRegistry,
    obligations,
    close(graceMs = config.server.shutdownGraceMs) {
      closing ??= (async () => {
        draining = true
        clearInterval(housekeeping)
        updates.stop()
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
