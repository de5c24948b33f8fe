// Docker (docs/operations.md, "Docker"): no daemon here, so the Dockerfile is linted with dockerfile-utils (the linter
// behind the VS Code Docker extension) and checked for the properties the issue asks for; the
// compose file is parsed as YAML and checked for its services and mounts.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { validate } from 'dockerfile-utils'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ROOT } from './integration/harness.js'

const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')

/** Instructions with their arguments, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/)
      return { op: op!.toUpperCase(), args: rest.join(' ') }
    })
}

describe('Dockerfile', () => {
  const all = instructions(DOCKERFILE)
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM')
  const final = all.slice(lastFrom)

  it('passes dockerfile-utils validation with no errors or warnings', () => {
    const problems = validate(DOCKERFILE).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)
    expect(problems).toEqual([])
  })

  it('the linter does flag a broken Dockerfile (guard against a linter that accepts anything)', () => {
    expect(validate('FROM node:24-bookworm-slim\nHEALTHCHECK --interval=abc CMD true\nEXPOSE port\n').length).toBeGreaterThan(0)
  })

  it('is multi-stage on a current Node LTS slim image, pinned by major version', () => {
    const froms = all.filter((i) => i.op === 'FROM').map((i) => i.args)
    expect(froms.length).toBeGreaterThanOrEqual(2)
    for (const f of froms) {
      const m = /^node:(\d+)-[a-z]+-slim\b/.exec(f)
      expect(m, f).not.toBeNull()
      const major = Number(m![1])
      expect(major % 2, `${f}: Node LTS lines are even`).toBe(0)
      expect(major, `${f}: Node 20 leaves LTS in April 2026`).toBeGreaterThanOrEqual(22)
    }
    expect(final[0]!.args).not.toMatch(/ AS /i) // the runtime stage is the unnamed last one
    expect(final.some((i) => i.op === 'COPY' && i.args.startsWith('--from=build'))).toBe(true)
    expect(final.some((i) => i.op === 'RUN' && /apt-get install/.test(i.args))).toBe(false) // no compilers at run time
  })

  it('runs as a non-root user, with a /data volume, a health check and exec-form entrypoint', () => {
    const user = final.filter((i) => i.op === 'USER').at(-1)?.args
    expect(user).toBeDefined()
    expect(['root', '0']).not.toContain(user)
    expect(final.find((i) => i.op === 'VOLUME')?.args).toMatch(/"\/data"|\/data/)
    const health = final.find((i) => i.op === 'HEALTHCHECK')?.args ?? ''
    expect(health).toMatch(/CMD/)
    expect(health).toContain('/healthz')
    expect(final.find((i) => i.op === 'ENTRYPOINT')?.args).toMatch(/^\[/)
    expect(final.find((i) => i.op === 'ENV')?.args).toContain('DCC_GATEWAY_STORE_PATH=/data')
    expect(final.find((i) => i.op === 'STOPSIGNAL')?.args ?? 'SIGTERM').toBe('SIGTERM')
  })
})

describe('deploy/compose.yaml', () => {
  const compose = parse(readFileSync(join(ROOT, 'deploy/compose.yaml'), 'utf8')) as Record<string, any>

  it('has the gateway (built from the Dockerfile), Prometheus and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'grafana', 'prometheus'])
    const gw = compose.services.gateway
    expect(gw.build).toMatchObject({ context: '..', dockerfile: 'Dockerfile' })
    expect(existsSync(join(ROOT, 'deploy', gw.build.context, gw.build.dockerfile))).toBe(true)
    expect(gw.volumes).toContain('gateway-data:/data')
    expect(gw.ports).toContain('8080:8080')
    // longer than the default server.shutdownGraceMs (10 s), so a stop is a drain, not a SIGKILL
    expect(Number.parseInt(gw.stop_grace_period, 10)).toBeGreaterThan(10)
    expect(compose.services.prometheus.image).toMatch(/^prom\/prometheus:v\d/)
    expect(compose.services.grafana.image).toMatch(/^grafana\/grafana:\d/)
  })

  it('mounts files that exist: the scrape config with the rules, and the Grafana provisioning', () => {
    for (const svc of ['prometheus', 'grafana']) {
      for (const v of compose.services[svc].volumes as string[]) {
        const src = v.split(':')[0]!
        if (src.startsWith('./')) expect(existsSync(join(ROOT, 'deploy', src)), `${svc}: ${src}`).toBe(true)
      }
    }
    const prom = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8'))
    expect(prom.scrape_configs[0]).toMatchObject({ job_name: 'dcc-alert-gateway', static_configs: [{ targets: ['gateway:8080'] }] })
    expect(prom.rule_files).toEqual(['/etc/prometheus/rules/*.yaml'])
    expect(compose.services.prometheus.volumes).toContain('./prometheus/rules:/etc/prometheus/rules:ro')
  })
})
