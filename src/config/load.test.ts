import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, EMBEDDED_DEMO, loadConfig, parseDuration } from './index.js'
import { packageRoot } from './paths.js'

// The minimal configuration of README "Configuration", which must always be accepted.
const MINIMAL = `server: { host: 127.0.0.1, port: 8080 }
tenants: [ACME]                 # party ids, from parties.yaml, whose traffic this gateway handles
registry:
  registrations: registrations.csv
  devices: devices.csv
  parties: parties.yaml
policy: { nonCritical: drop }   # or quarantine
store: { path: ./data }         # SQLite files live here
admin: { token: change-me }
`

// The "expected one of" lists follow the schema, so a new setting does not break these tests.
const schema = JSON.parse(readFileSync(join(packageRoot(), 'schemas/config.schema.json'), 'utf8')) as {
  properties: Record<string, { properties?: Record<string, unknown> }>
}
const SECTIONS = Object.keys(schema.properties).join(', ')
const STORE_KEYS = Object.keys(schema.properties.store!.properties!).join(', ')

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** A temp folder with gateway.yaml (or `name`) and the three registry files. */
function world(text: string, name = 'gateway.yaml'): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dccgw-config-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'registrations.csv'), 'mpxn,supplier_mpid,effective_from\n')
  writeFileSync(join(dir, 'devices.csv'), 'device_id,device_type,mpxn\n')
  writeFileSync(join(dir, 'parties.yaml'), '[]\n')
  const file = join(dir, name)
  writeFileSync(file, text)
  return { dir, file }
}

function problems(fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    const e = err as ConfigError
    expect(e.code).toBe('DCCGW_ERR_CONFIG_INVALID')
    expect(e.exitCode).toBe(2)
    expect(e.message).toBe(e.problems.join('\n'))
    return [...e.problems]
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig: files', () => {
  it('accepts the minimal configuration and resolves paths against its folder', () => {
    const { dir, file } = world(MINIMAL)
    const c = loadConfig({ file, env: {}, cwd: '/' })
    expect(c.configFile).toBe(file)
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 8080, requestTimeoutMs: 30000 })
    expect(c.tenants).toEqual(['ACME'])
    expect(c.registry.registrations).toBe(join(dir, 'registrations.csv'))
    expect(c.registry.parties).toBe(join(dir, 'parties.yaml'))
    expect(c.store.path).toBe(join(dir, 'data'))
    expect(c.delivery.outboxDir).toBe(join(dir, 'data', 'outbox'))
    expect(c.policy.nonCritical).toBe('drop')
    expect(c.policy.safetyListedCodes).toContain('8F0F')
    expect(c.calendar.region).toBe('england-and-wales')
    expect(c.admin.token).toBe('change-me')
    expect(c.server.tls).toBeUndefined()
    // 64 deliveries in flight per target: at 16 the dispatcher fell behind a saturated ingress and the
    // waiting-deliveries bound answered 30-49k 503s a run (docs/performance.md, "Delivery slots")
    expect(c.delivery.concurrency).toBe(64)
  })

  it('reads JSON, and an empty file is all defaults', () => {
    const json = world(JSON.stringify({ tenants: ['ACME'], server: { port: 0 } }), 'gateway.json')
    expect(loadConfig({ file: json.file, env: {} }).server.port).toBe(0)
    const empty = world('', 'empty.yaml')
    const c = loadConfig({ file: empty.file, env: {} })
    expect(c.tenants).toEqual([])
    expect(c.registry.devices).toBe(join(empty.dir, 'devices.csv'))
  })

  it('resolves tls paths against the file and keeps absolute paths', () => {
    const { dir, file } = world('server: { tls: { cert: tls/c.pem, key: /etc/k.pem, ca: ca.pem, requireClientCert: true } }\n')
    const tls = loadConfig({ file, env: {} }).server.tls
    expect(tls).toEqual({ cert: join(dir, 'tls/c.pem'), key: '/etc/k.pem', ca: join(dir, 'ca.pem'), requireClientCert: true, allowedSubjects: [] })
  })

  it('finds the file from DCC_GATEWAY_CONFIG, relative to cwd', () => {
    const { dir } = world(MINIMAL)
    expect(loadConfig({ env: { DCC_GATEWAY_CONFIG: 'gateway.yaml' }, cwd: dir }).configFile).toBe(join(dir, 'gateway.yaml'))
  })

  it('returns a deep-frozen result', () => {
    const c = loadConfig({ file: world(MINIMAL).file, env: {} })
    expect(Object.isFrozen(c)).toBe(true)
    expect(Object.isFrozen(c.server)).toBe(true)
    expect(Object.isFrozen(c.policy.safetyListedCodes)).toBe(true)
    expect(() => { (c.server as { port: number }).port = 1 }).toThrow(TypeError)
  })
})

describe('loadConfig: the embedded demo', () => {
  it('is used without a file or DCC_GATEWAY_CONFIG; store under cwd, registry in the package', () => {
    const demo = join(packageRoot(), 'examples', 'demo')
    const c = loadConfig({ env: {}, cwd: '/home/someone/work' })
    expect(c.configFile).toBe(EMBEDDED_DEMO)
    expect(c.registry.registrations).toBe(join(demo, 'registrations.csv'))
    expect(c.registry.parties).toBe(join(demo, 'parties.yaml'))
    expect(c.store.path).toBe('/home/someone/work/data')
    expect(c.delivery.outboxDir).toBe('/home/someone/work/data/outbox')
  })
})

describe('loadConfig: errors name the file, the field and what was expected', () => {
  it('enum, type, unknown field, range, pattern: one line each, file name first', () => {
    const { file } = world(`${MINIMAL.replace('nonCritical: drop', 'nonCritical: delete').replace('port: 8080', 'port: 80a')}
limits: { maxBodyBytes: 10 }
dedupe: { window: 7 days }
`.replace('store: { path: ./data }', 'store: { pth: ./data }'))
    const lines = problems(() => loadConfig({ file, env: {} }))
    const f = file
    expect(lines).toEqual(expect.arrayContaining([
      `${f}: /policy/nonCritical must be one of "drop", "quarantine" (got "delete")`,
      `${f}: /server/port must be integer (got "80a")`,
      `${f}: unknown field /store/pth (expected one of ${STORE_KEYS})`,
      `${f}: /limits/maxBodyBytes must be >= 1024 (got 10)`,
      `${f}: /dedupe/window must match ^[0-9]+[smhd]$ (got "7 days")`,
    ]))
    expect(lines).toHaveLength(5)
  })

  it('names the file relative to cwd when it is below it', () => {
    const { dir } = world('policy: { nonCritical: delete }\n')
    expect(problems(() => loadConfig({ file: 'gateway.yaml', env: {}, cwd: dir }))).toEqual([
      'gateway.yaml: /policy/nonCritical must be one of "drop", "quarantine" (got "delete")',
    ])
  })

  it('an unknown top-level section and a missing tls key', () => {
    const { file } = world('sever: {}\nserver: { tls: { cert: c.pem } }\n')
    expect(problems(() => loadConfig({ file, env: {} }))).toEqual([
      `${file}: unknown field /sever (expected one of ${SECTIONS})`,
      `${file}: /server/tls/key is required`,
    ])
  })

  it('YAML syntax errors name file:line:col', () => {
    const { file } = world('server:\n  port: 8080\n  port: 9090\ntenants: [ACME\n')
    const lines = problems(() => loadConfig({ file, env: {} }))
    expect(lines[0]).toMatch(new RegExp(`^${file}:3:3: Map keys must be unique`))
    expect(lines.length).toBeGreaterThanOrEqual(2)
    expect(lines.every((l) => /^.+:\d+:\d+: /.test(l))).toBe(true)
  })

  it('a missing file, or a top level that is not a mapping', () => {
    expect(problems(() => loadConfig({ file: '/nonexistent/gateway.yaml', env: {} }))).toEqual(['/nonexistent/gateway.yaml: no such file'])
    expect(problems(() => loadConfig({ env: { DCC_GATEWAY_CONFIG: '/nonexistent/g.yaml' } }))).toEqual(['DCC_GATEWAY_CONFIG=/nonexistent/g.yaml: no such file'])
    const { file } = world('- ACME\n')
    expect(problems(() => loadConfig({ file, env: {} }))[0]).toMatch(/the top level must be a mapping/)
  })

  it('cross checks: mTLS without a CA, bad or contradictory calendar days', () => {
    const { file } = world('calendar: { extraNonWorkingDays: [2026-02-30, 2026-09-18], extraWorkingDays: [2026-09-18] }\n')
    expect(problems(() => loadConfig({ file, env: {} }))).toEqual([
      `${file}: /calendar/extraNonWorkingDays/0 is not a calendar date (got "2026-02-30")`,
      `${file}: /calendar/extraWorkingDays/0 2026-09-18 is also in /calendar/extraNonWorkingDays`,
    ])
    // A safety-listed code can never be made droppable as consumption data (README, "Configuration")
    const codes = world('policy: { consumptionDataCodes: [8F0A, 8f0f] }\n')
    expect(problems(() => loadConfig({ file: codes.file, env: {} }))).toEqual([
      `${codes.file}: /policy/consumptionDataCodes/1 "8f0f" is also in /policy/safetyListedCodes: a safety-listed alert is never consumption data (remove it from one list)`,
    ])
    const custom = world('policy: { safetyListedCodes: [81BF], consumptionDataCodes: [8F0F] }\n')
    expect(loadConfig({ file: custom.file, env: {} }).policy.consumptionDataCodes).toEqual(['8F0F'])
    const tls = world('server: { tls: { cert: c.pem, key: k.pem, requireClientCert: true } }\n')
    expect(problems(() => loadConfig({ file: tls.file, env: {} }))).toEqual([
      `${tls.file}: /server/tls/ca is required when /server/tls/requireClientCert is true`,
    ])
  })
})

// The DCC's own User IDs are configuration (README, `dcc.userIds`; default: the DCC Boxed ID).
describe('loadConfig: dcc.userIds', () => {
  it('defaults to the DCC Boxed ID, takes a list of EUI-64s and rejects anything else', () => {
    expect(loadConfig({ file: world('{}\n').file, env: {} }).dcc.userIds).toEqual(['90-B3-D5-1F-30-00-00-02'])
    const two = world('dcc: { userIds: [90-B3-D5-1F-30-00-00-02, 90-b3-d5-1f-30-00-00-09] }\n')
    expect(loadConfig({ file: two.file, env: {} }).dcc.userIds).toEqual(['90-B3-D5-1F-30-00-00-02', '90-b3-d5-1f-30-00-00-09'])
    const bad = world('dcc: { userIds: [DCC] }\n')
    expect(problems(() => loadConfig({ file: bad.file, env: {} }))[0]).toMatch(/\/dcc\/userIds\/0 must match/)
    expect(problems(() => loadConfig({ file: world('dcc: { userIds: [] }\n').file, env: {} }))[0]).toMatch(/\/dcc\/userIds/)
  })
})

describe('loadConfig: DCC_GATEWAY_<SECTION>_<KEY> overrides', () => {
  const { dir, file } = world(MINIMAL)

  it('override the file, coerced by schema type', () => {
    const c = loadConfig({
      file,
      cwd: '/srv',
      env: {
        DCC_GATEWAY_SERVER_PORT: '9000',
        DCC_GATEWAY_POLICY_NONCRITICAL: 'quarantine',
        DCC_GATEWAY_ADMIN_TOKEN: 'x',
        DCC_GATEWAY_STORE_PATH: '/data',
        DCC_GATEWAY_TENANTS: 'ACME, BRITE,',
        DCC_GATEWAY_LIMITS_MAXBODYBYTES: '2048',
        DCC_GATEWAY_LIMITS_MAX_IN_FLIGHT: '10',
        DCC_GATEWAY_REGISTRY_MAXREJECTRATIO: '0.5',
        DCC_GATEWAY_METRICS_ENABLED: 'false',
        DCC_GATEWAY_LOG_INCLUDE_MPXN: 'TRUE',
        DCC_GATEWAY_CALENDAR_EXTRA_NON_WORKING_DAYS: '2026-09-18',
        DCC_GATEWAY_REGISTRY_PARTIES: 'etc/parties.yaml',
        PATH: '/usr/bin',
      },
    })
    expect(c.server.port).toBe(9000)
    expect(c.policy.nonCritical).toBe('quarantine')
    expect(c.admin.token).toBe('x')
    expect(c.store.path).toBe('/data')
    expect(c.delivery.outboxDir).toBe('/data/outbox')
    expect(c.tenants).toEqual(['ACME', 'BRITE'])
    expect(c.limits.maxBodyBytes).toBe(2048)
    expect(c.limits.maxInFlight).toBe(10)
    expect(c.registry.maxRejectRatio).toBe(0.5)
    expect(c.metrics.enabled).toBe(false)
    expect(c.log.includeMpxn).toBe(true)
    expect(c.calendar.extraNonWorkingDays).toEqual(['2026-09-18'])
    expect(c.registry.parties).toBe('/srv/etc/parties.yaml') // from the environment: relative to cwd
    expect(c.registry.devices).toBe(join(dir, 'devices.csv'))
  })

  it('nested settings, and an empty token', () => {
    const c = loadConfig({ file, env: { DCC_GATEWAY_SERVER_TLS_CERT: '/c.pem', DCC_GATEWAY_SERVER_TLS_KEY: '/k.pem', DCC_GATEWAY_ADMIN_TOKEN: '' } })
    expect(c.server.tls?.cert).toBe('/c.pem')
    expect(c.admin.token).toBe('')
  })

  it('values that do not fit are reported against the variable', () => {
    expect(problems(() => loadConfig({ file, env: { DCC_GATEWAY_SERVER_PORT: '80a', DCC_GATEWAY_POLICY_NONCRITICAL: 'delete', DCC_GATEWAY_METRICS_ENABLED: 'yes' } }))).toEqual([
      'DCC_GATEWAY_SERVER_PORT: /server/port must be integer (got "80a")',
      'DCC_GATEWAY_POLICY_NONCRITICAL: /policy/nonCritical must be one of "drop", "quarantine" (got "delete")',
      'DCC_GATEWAY_METRICS_ENABLED: /metrics/enabled must be boolean (got "yes")',
    ])
  })

  it('unknown sections and keys are errors naming the variable', () => {
    expect(problems(() => loadConfig({ file, env: { DCC_GATEWAY_STORE_PTH: 'x', DCC_GATEWAY_SERVR_PORT: '1' } }))).toEqual([
      `DCC_GATEWAY_SERVR_PORT: unknown setting (expected DCC_GATEWAY_<SECTION>_<KEY>, SECTION one of ${SECTIONS})`,
      `DCC_GATEWAY_STORE_PTH: unknown setting in section store (expected one of ${STORE_KEYS})`,
    ])
  })

  it('programmatic overrides come last', () => {
    const c = loadConfig({ file, env: { DCC_GATEWAY_SERVER_PORT: '9000' }, overrides: { server: { port: 0 }, tenants: ['X'] } })
    expect(c.server.port).toBe(0)
    expect(c.tenants).toEqual(['X'])
    expect(problems(() => loadConfig({ file, env: {}, overrides: { store: { pth: 1 } } }))[0]).toMatch(/^overrides: unknown field \/store\/pth/)
  })
})

describe('parseDuration', () => {
  it('s, m, h, d', () => {
    expect(parseDuration('7d')).toBe(604_800_000)
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('2h')).toBe(7_200_000)
    expect(() => parseDuration('7 days')).toThrow(ConfigError)
  })
})
