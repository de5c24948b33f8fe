// A real Prometheus server (Debian package `prometheus`) scrapes a running gateway every
// second with the project's alert rules loaded, and its HTTP API returns the gateway's series.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { requireBinary } from '../deploy-binaries.js'
import { ROOT, waitFor } from './harness.js'
import { startBusyGateway, type BusyGateway } from './ops-world.js'

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1')
  await once(s, 'listening')
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

interface PromResult { metric: Record<string, string>; value: [number, string] }

describe('a real Prometheus scraping the gateway', () => {
  let busy: BusyGateway
  let prom: ChildProcess | undefined
  let promUrl = ''
  let promLog = ''
  const dir = mkdtempSync(join(tmpdir(), 'dccgw-prom-'))

  async function api<T>(path: string): Promise<T> {
    const r = (await fetch(`${promUrl}${path}`).then((x) => x.json())) as { status: string; data: T }
    if (r.status !== 'success') throw new Error(`${path}: ${JSON.stringify(r)}`)
    return r.data
  }
  async function query(q: string): Promise<PromResult[]> {
    return (await api<{ result: PromResult[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`)).result
  }

  beforeAll(async () => {
    const bin = requireBinary('prometheus')
    busy = await startBusyGateway()
    const port = await freePort()
    promUrl = `http://127.0.0.1:${port}`
    writeFileSync(join(dir, 'prometheus.yml'), stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(ROOT, 'deploy/prometheus/rules/dccgw-alerts.yaml')],
      scrape_configs: [{ job_name: 'dcc-alert-gateway', static_configs: [{ targets: [new URL(busy.gw.url).host] }] }],
    }))
    prom = spawn(bin, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    prom.stdout!.on('data', (d: Buffer) => (promLog += d.toString()))
    prom.stderr!.on('data', (d: Buffer) => (promLog += d.toString()))
    let ready = false
    const poll = setInterval(() => {
      fetch(`${promUrl}/-/ready`).then((r) => (ready = r.ok), () => {})
    }, 100)
    try {
      await waitFor(`prometheus ready (log: ${promLog.slice(-500)})`, () => ready || prom!.exitCode !== null, 30_000)
    } finally {
      clearInterval(poll)
    }
    if (!ready) throw new Error(`prometheus exited ${prom.exitCode}:\n${promLog}`)
  })

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      prom.kill('SIGTERM')
      await once(prom, 'exit')
    }
    await busy?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const eventually = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> =>
    waitFor(what, fn, 30_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}; prometheus log:\n${promLog.slice(-2000)}`)
    })

  it('scrapes the target as up and stores the gateway decision counters', async () => {
    const up = await eventually('up == 1', async () => (await query('up{job="dcc-alert-gateway"}')).find((r) => r.value[1] === '1'))
    expect(up.metric.instance).toBe(new URL(busy.gw.url).host)
    const delivered = await eventually('decisions series', async () =>
      (await query('dccgw_decisions_total{decision="deliver", reason="responsible"}'))[0])
    expect(Number(delivered.value[1])).toBe(3)
    const p99 = await eventually('latency quantile', async () =>
      (await query('histogram_quantile(0.99, sum by (le) (dccgw_processing_seconds_bucket))'))[0])
    expect(Number(p99.value[1])).toBeGreaterThan(0)
  })

  it('loads every alert rule and evaluates it without error', async () => {
    const groups = await eventually('rules evaluated', async () => {
      const g = (await api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules')).groups
      const all = g.flatMap((x) => x.rules)
      return all.length > 0 && all.every((r) => r.health === 'ok') ? all : undefined
    })
    expect(groups.map((r) => r.name)).toContain('DccGatewayCriticalForwardOverdue')
    // a healthy gateway fires nothing (DccGatewayDown may be pending from the evaluation before
    // the first scrape; its `for: 2m` is what keeps that from paging)
    const alerts = (await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts')).alerts
    expect(alerts.filter((a) => a.state === 'firing')).toEqual([])
  })
})
