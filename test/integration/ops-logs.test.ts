// Logs (docs/operations.md, "Logs and signals"): pino JSON lines when stdout is not a terminal, pretty only on a
// TTY; decision lines carry messageId, decision and reason; no payload, and no MPxN unless
// log.includeMpxn.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { Writable } from 'node:stream'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLogger, loadConfig } from '../../dist/index.js'
import { cleanupAfter, makeWorld, post, ROOT, waitFor } from './harness.js'
import { alertDoc, OWN_DEVICE } from './ops-world.js'

const MPAN = '1200012345679' // OWN_DEVICE's
const cleanup = cleanupAfter()

async function runGateway(env: Record<string, string>) {
  const world = makeWorld()
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'serve', '--config', world.configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DCC_GATEWAY_LOG_LEVEL: 'info', DCC_GATEWAY_LOG_DECISIONS: 'true', ...env },
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  cleanup.push(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL')
      await once(child, 'exit')
    }
  })
  const url = (await waitFor('listening', () => /listening on (http\S+)/.exec(out)?.[1], 20_000))
  return {
    url,
    output: () => out,
    async stop() {
      child.kill('SIGTERM')
      await once(child, 'exit')
      return out
    },
  }
}

function jsonLines(out: string): Record<string, unknown>[] {
  return out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('gateway logs', () => {
  it('writes JSON lines to a pipe; decision lines carry messageId, decision, reason; no payload, no MPxN', async () => {
    const gw = await runGateway({})
    const doc = alertDoc(OWN_DEVICE)
    const payload = /GBCSPayload>([^<]+)</.exec(doc)![1]!
    const r = await post(`${gw.url}/duis`, doc)
    expect(r.status).toBe(200)
    await post(`${gw.url}/duis`, '<not-duis/>')
    const out = await gw.stop()
    const lines = jsonLines(out)
    expect(lines.length).toBeGreaterThan(3)
    for (const l of lines) expect(l).toMatchObject({ level: expect.any(Number), time: expect.any(Number), service: 'dcc-alert-gateway' })
    const decision = lines.find((l) => l.msg === 'decision' && l.messageId === r.json.messageId)
    expect(decision).toMatchObject({ messageId: r.json.messageId, decision: 'deliver', reason: 'responsible' })
    expect(decision).not.toHaveProperty('mpxn')
    expect(lines.find((l) => l.decision === 'quarantine')).toMatchObject({ reason: 'malformed' })
    expect(out).not.toContain(MPAN)
    expect(out).not.toContain('GBCSPayload')
    expect(payload.length).toBeGreaterThan(20)
    expect(out).not.toContain(payload.slice(0, 20))
    expect(lines.map((l) => l.msg)).toContain('gateway stopped')
  })

  it('adds the MPxN to decision lines only with log.includeMpxn', async () => {
    const gw = await runGateway({ DCC_GATEWAY_LOG_INCLUDEMPXN: 'true' })
    const r = await post(`${gw.url}/duis`, alertDoc(OWN_DEVICE))
    const lines = jsonLines(await gw.stop())
    expect(lines.find((l) => l.messageId === r.json.messageId && l.msg === 'decision')).toMatchObject({ mpxn: MPAN })
  })

  it('pretty-prints only when the destination is a terminal', async () => {
    const world = makeWorld()
    const config = loadConfig({ file: world.configFile, env: {} })
    const capture = (isTTY: boolean) => {
      const chunks: string[] = []
      const stream = Object.assign(new Writable({ write(c: Buffer, _e, cb) { chunks.push(c.toString()); cb() } }), { isTTY })
      return { stream, text: () => chunks.join('') }
    }
    const pipe = capture(false)
    createLogger(config, pipe.stream).info({ messageId: 'm-1', decision: 'drop', reason: 'stale-cos-noncritical' }, 'decision')
    expect(JSON.parse(pipe.text().trim())).toMatchObject({ msg: 'decision', messageId: 'm-1', decision: 'drop' })

    const tty = capture(true)
    createLogger(config, tty.stream).info({ messageId: 'm-2', decision: 'drop' }, 'decision')
    const text = await waitFor('the pretty line', () => tty.text().includes('m-2') && tty.text())
    expect(text).toMatch(/INFO.*decision/)
    expect(text).toContain('messageId: "m-2"')
    expect(() => JSON.parse(text.trim())).toThrow()
  })
})
