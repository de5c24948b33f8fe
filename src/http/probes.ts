import { sendJson } from './http-util.js'
import type { HttpPlugin } from './router.js'

export interface ProbeDeps {
  /** readiness: registry loaded, store open, not draining; returns why not */
  notReadyReason(): { draining: boolean; detail: string } | undefined
  retryAfterSeconds: number
  /** the Prometheus exposition; absent when metrics.enabled is false */
  metricsText?(): Promise<{ contentType: string; body: string }>
}

/** GET /healthz (the process answers), GET /readyz (it takes messages), GET /metrics. */
export const registerProbes: HttpPlugin<ProbeDeps> = (router, d) => {
  const retryAfter = { 'retry-after': String(d.retryAfterSeconds) }
  router.on(['GET'], '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }))
  router.on(['GET'], '/readyz', (_req, res) => {
    const nr = d.notReadyReason()
    return nr === undefined
      ? sendJson(res, 200, { status: 'ready' })
      : sendJson(res, 503, { status: nr.draining ? 'draining' : 'not-ready', detail: nr.detail }, retryAfter)
  })
  const metricsText = d.metricsText
  if (metricsText !== undefined) {
    router.on(['GET'], '/metrics', async (_req, res) => {
      const m = await metricsText()
      res.writeHead(200, { 'content-type': m.contentType })
      res.end(m.body)
    })
  }
}
