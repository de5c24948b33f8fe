// The composition root: config -> the gateway's parts and how they connect. Each part is built in
// its own folder (or, for the gateway's own wiring, its own file here); this file only lists them,
// connects them, starts them in order and stops them in reverse. The CLI's `serve` and the
// integration tests both start the gateway through startGateway().
import { dirname, resolve } from 'node:path'
import type { Logger } from 'pino'
import { systemClock } from '../clock/index.js'
import type { Clock } from '../clock/index.js'
import type { Config } from '../config/index.js'
import { adminCredentials, registerAdmin } from '../admin/index.js'
import { createConsole, registerAckPage, registerConsole } from '../console/index.js'
import { Dispatcher, SenderDirectory } from '../delivery/index.js'
import { loadVerificationKeys } from '../envelope/index.js'
import { createListener, createRouter, listen, registerProbes, stopListening } from '../http/index.js'
import { registerIngress, SpoolLimit } from '../ingress/index.js'
import { GatewayMetrics } from '../metrics/index.js'
import { ObligationScheduler, createAckLinks, createCalendar, loadAckSecret } from '../obligations/index.js'
import { policySettings } from '../policy/index.js'
import type { RegistryIndex } from '../registry/index.js'
import { openStore } from '../store/index.js'
import type { GatewayStore } from '../store/index.js'
import { createEvaluation } from './evaluation.js'
import { metricsExposition } from './gauges.js'
import { purgeQuarantineNow, startHousekeeping } from './housekeeping.js'
import { createIngest } from './ingest.js'
import { ackLinkDeps, reportUnreachable, withCriticalRejects } from './obligation-hooks.js'
import { RegistryInForce } from './registry-in-force.js'
import type { Reloaded } from './registry-in-force.js'
import { createRelease } from './release.js'
import { within } from './within.js'
export { createLogger } from './logger.js'
import { createLogger } from './logger.js'

/** a late alert's obligation check runs within this many ms; a burst of late alerts shares one check (each check brings the projection up to date and commits the transitions with an fsync) */
const LATE_ALERT_CHECK_MS = 1000

export interface GatewayOptions {
  log?: Logger
  /** the one clock for everything time-dependent (src/clock); tests inject one and move it. Default: the system clock */
  clock?: Clock
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
  reloadRegistry(): Promise<Reloaded>
  /** the obligation timer (overdue, escalation, install-code); tick() runs one check now */
  readonly obligations: ObligationScheduler
  /** Stop accepting (readyz 503), finish in-flight requests, stop delivery, close the store. */
  close(graceMs?: number): Promise<void>
}

export async function startGateway(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
  const log = opts.log ?? createLogger(config)
  const clock = opts.clock ?? systemClock
  const now = () => clock.now()
  const metrics = new GatewayMetrics({ processMetrics: config.metrics.processMetrics })
  const calendar = createCalendar(config.calendar)

  // the parts
  // Both at once: the registry loads in a worker thread while the store recovers on this one (a
  // restart's time to ready is the longer of the two, not their sum). store.kind: embedded SQLite,
  // or NATS JetStream shared by every instance.
  const [loaded, opened] = await Promise.allSettled([RegistryInForce.load(config, metrics, log, clock), openStore(config, { clock })])
  if (loaded.status === 'rejected') {
    if (opened.status === 'fulfilled') await opened.value.close()
    throw loaded.reason
  }
  if (opened.status === 'rejected') throw opened.reason
  const registry = loaded.value
  const store = opened.value
  const evaluation = createEvaluation(config, registry.current, policySettings(config), calendar)
  let publicUrl = config.obligations.publicUrl // signed acknowledgement links; the base URL is known once listening
  const ackLinks = createAckLinks(loadAckSecret(config.obligations.ackSecret, config.store.path), () => publicUrl, config.obligations.ackLinkTtlDays)
  const senders = new SenderDirectory(config, registry.current, { ackLink: (id, dueAt) => ackLinks.url(id, dueAt) })
  const spool = withCriticalRejects(store, evaluation.evalCtx, calendar, config.tenants, log)
  const dispatcher = new Dispatcher(spool, (item) => senders.senderFor(item), config.delivery, metrics, log, clock)
  const wake = () => dispatcher.wake()
  const obligations = new ObligationScheduler({
    store, registry: registry.current, calendar, tenants: config.tenants, clock, log, metrics, wake,
    fallback: config.obligations.fallbackContact.email !== '' || config.obligations.fallbackContact.endpoint !== '',
  })
  const ingest = createIngest({
    config, metrics, log, store, wake,
    spoolLimit: new SpoolLimit(store, config.limits, metrics, clock, { notAccepting: () => dispatcher.notAccepting(), log }),
    signatureKeys: config.security.verifySignatures ? loadVerificationKeys(config.security.dccCertificates.map((f) => resolve(dirname(config.configFile), f))) : undefined,
    commitBacklog: () => store.backlog,
    evaluate: evaluation.evaluate,
    recordCtx: evaluation.recordCtx,
    // an alert already past its deadline on arrival escalates within a second (one check per second)
    overdueOnArrival: () => obligations.soon(LATE_ALERT_CHECK_MS),
  })
  const release = createRelease({ store, evalCtx: evaluation.evalCtx, recordCtx: () => evaluation.recordCtx(), metrics, log, now, wake })

  // how they connect
  store.setHooks({ onCommit: (size) => metrics.commitBatch.observe(size), onError: (err, what) => log.warn({ err }, what), onSpoolReady: wake })
  registry.onSwap(evaluation.setRegistry)
  // SECMP0121: tenant MPxNs that moved with a non-commissioned device open install-code duties
  await registry.catchUp((prev, next) => obligations.onRegistrySwap(prev, next).catch((err: unknown) => log.error({ err }, 'install-code check failed')))
  const reloadRegistry = async () => {
    const loaded = await registry.reload()
    reportUnreachable(senders.unreachableParties(), metrics, log, 'reload')
    return loaded
  }

  // the HTTP surface: each part registers its routes
  let draining = false
  const notReadyReason = () => (draining ? { draining: true, detail: 'shutting down' } : !store.open ? { draining: false, detail: 'store closed' } : undefined)
  const credentials = adminCredentials(config.admin) // hashed once
  const router = createRouter()
  registerIngress(router, {
    config, metrics, notReadyReason,
    // an injected clock (tests) also stamps receipt, so deadlines follow it
    ingest: (body, contentType, receivedAt) => ingest(body, contentType, opts.clock ? now() : receivedAt),
  })
  registerProbes(router, {
    notReadyReason,
    retryAfterSeconds: config.limits.retryAfterSeconds,
    ...(config.metrics.enabled && { metricsText: metricsExposition({ metrics, store, now, log, poolSample: evaluation.sample }) }),
  })
  registerAdmin(router, {
    credentials, store, reloadRegistry, now, calendar,
    applyRegistryDelta: (name, body) => registry.applyDelta(name, body),
    releaseQuarantined: release,
    purgeQuarantine: purgeQuarantineNow(config, store, now),
  })
  registerConsole(router, createConsole({
    credentials, tls: config.server.tls !== undefined, sessionMinutes: config.admin.sessionMinutes, store,
    registry: registry.current, registryFiles: { registrations: config.registry.registrations, devices: config.registry.devices, parties: config.registry.parties },
    lastReload: registry.lastReload, reloadRegistry, releaseQuarantined: release, calendar, now,
  }))
  registerAckPage(router, ackLinkDeps({ links: ackLinks, store, registry: registry.current, calendar, now, wake }))
  const listener = createListener(config.server, router, log)

  // start, in order
  const housekeeping = startHousekeeping(config, store, clock, log)
  const url = await listen(listener, config.server)
  if (publicUrl === '') publicUrl = url
  dispatcher.start()
  obligations.start(config.obligations.checkIntervalMs)
  registry.startPolling()
  // parties no notice can reach are named at start; install-code duties from files that changed
  // while the gateway was down open now
  reportUnreachable(senders.unreachableParties(), metrics, log, 'start')
  if (senders.fallbackUnreachable()) log.warn('obligations.fallbackContact has only an e-mail address and smtp.host is not set: escalations to it reach nobody')
  await obligations.onStart(registry.current()).catch((err: unknown) => log.error({ err }, 'install-code check at start failed'))
  log.info({ url, tenants: config.tenants }, 'gateway listening')

  // stop, in reverse
  let closing: Promise<void> | undefined
  async function stop(graceMs: number): Promise<void> {
    draining = true
    housekeeping.cancel()
    registry.stop()
    if (config.server.drainDelayMs > 0) await new Promise((r) => setTimeout(r, config.server.drainDelayMs))
    // The whole stop fits in graceMs: in-flight requests get most of it, then connections are
    // cut (an unanswered request was never accepted: the sender retries), then delivery gets
    // what is left; the store's last group commit is flushed whatever happened.
    const deadline = Date.now() + graceMs
    const reserve = Math.min(1000, Math.floor(graceMs / 4))
    await stopListening(listener, graceMs - reserve)
    const stopped = await within(dispatcher.stop().then(() => senders.close()), deadline - Date.now() - reserve)
    if (!stopped) log.warn('deliveries still in flight at the end of the grace period; they stay spooled and are retried')
    await evaluation.close()
    await obligations.stop()
    await store.close()
    log.info('gateway stopped')
  }

  return {
    url, config, metrics, store, obligations,
    gatewayStore: store,
    registry: registry.current,
    reloadRegistry,
    close: (graceMs = config.server.shutdownGraceMs) => (closing ??= stop(graceMs)),
  }
}
