import { join } from 'node:path'
import { EMBEDDED_DEMO } from '../config/index.js'
import { startGateway } from '../gateway/index.js'
import { configFrom, packageRoot } from './common.js'

/** `serve`: runs until SIGTERM/SIGINT (graceful drain, exit 0); SIGHUP reloads the registry. */
export async function serve(opts: { config?: string }): Promise<number | void> {
  const config = configFrom(opts)
  const gw = await startGateway(config)
  const demo = config.configFile === EMBEDDED_DEMO
  const sample = join(packageRoot(), 'examples', 'demo', 'duis', 'critical-alert-acme-supplied.xml')
  // The banner is for a person: stderr, so stdout carries only JSON log lines for log shippers.
  const out = process.stderr
  out.write(`\ndcc-alert-gateway listening on ${gw.url}\n`)
  out.write(`  ingress  POST ${gw.url}${config.ingress.path}\n  health   ${gw.url}/healthz  ${gw.url}/readyz\n`)
  if (config.metrics.enabled) out.write(`  metrics  ${gw.url}/metrics\n`)
  out.write(`  config   ${config.configFile}\n  store    ${config.store.path}\n`)
  if (demo) {
    out.write(`\nEmbedded demo (tenant ACME); deliveries are written to ${config.delivery.outboxDir}\n`)
    out.write(`Try:\n  curl -s -H 'content-type: application/xml' --data-binary @${sample} ${gw.url}${config.ingress.path}\n`)
    out.write(`More samples: ${join(packageRoot(), 'examples', 'demo', 'duis')}/\n`)
    out.write(`Admin API:  curl -s -H 'authorization: Bearer ${config.admin.token}' ${gw.url}/admin/quarantine\n\n`)
  }

  const stop = (signal: string) => {
    process.stderr.write(`${signal}: draining…\n`)
    // gw.close() keeps to the grace period; this only catches a stop that hangs anyway (exit 1:
    // not a clean stop). A second SIGTERM/SIGINT kills the process at once (listeners are `once`).
    const { drainDelayMs, shutdownGraceMs } = config.server
    setTimeout(() => process.exit(1), drainDelayMs + shutdownGraceMs + 2000).unref()
    gw.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  process.on('SIGHUP', () => {
    gw.reloadRegistry().then(
      (r) => process.stderr.write(`registry reloaded: ${JSON.stringify(r.counts)}\n`),
      (err: Error) => process.stderr.write(`registry reload failed, still serving the previous index: ${err.message}\n`),
    )
  })
  await new Promise(() => {}) // serve until a signal
}
