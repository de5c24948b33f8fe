// The one error type: every code of the documented error table (README "Errors", or the docs/
// page it moves to) is in the catalogue with its documented status, is answered somewhere in
// src, and comes out of the one mapping (answerFailure) as problem+json with that status. A
// plain Error is a bug: 500, logged without what the error carried.
import { readdirSync, readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join, relative } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { GatewayError, IngressErrors, isGatewayError } from './errors.js'
import { answerFailure } from './failure.js'

const ROOT = join(import.meta.dirname, '..', '..')

function files(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith(ext)).map((p) => join(dir, p))
}

/** `| \`DCCGW_ERR_X\` | 404 |` rows of README.md and docs/*.md */
const documented = new Map(
  [join(ROOT, 'README.md'), ...files(join(ROOT, 'docs'), '.md')]
    .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\| `(DCCGW_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)])
    .map((m) => [m[1]!, Number(m[2])] as const),
)

/** the product code (no tests), without the catalogue itself */
const sources = files(join(ROOT, 'src'), '.ts')
  .filter((f) => !f.endsWith('.test.ts') && relative(ROOT, f) !== join('src', 'http', 'errors.ts'))
  .map((f) => readFileSync(f, 'utf8'))

interface Answer { status?: number; headers?: Record<string, unknown>; body?: string; destroyed?: boolean }

function fakeExchange(url = '/x'): { req: IncomingMessage; res: ServerResponse; answer: Answer } {
  const answer: Answer = {}
  const res = {
    headersSent: false,
    writeHead(status: number, headers: Record<string, unknown>) { answer.status = status; answer.headers = headers; this.headersSent = true; return this },
    end(body: string) { answer.body = body },
    destroy() { answer.destroyed = true },
  }
  return { req: { method: 'POST', url } as IncomingMessage, res: res as unknown as ServerResponse, answer }
}

function capture() {
  const lines: Record<string, unknown>[] = []
  const log = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done() } }))
  return { log, lines }
}

describe('the error table', () => {
  it('is found and lists every catalogue code, nothing more', () => {
    expect(documented.size).toBeGreaterThan(15)
    expect(new Set(documented.keys())).toEqual(new Set(Object.values(IngressErrors).map((e) => e.code)))
  })

  it.each([...documented])('%s: in the catalogue with status %i, answered in src, mapped to that status', (code, status) => {
    const [key, def] = Object.entries(IngressErrors).find(([, e]) => e.code === code)!
    expect(def.status).toBe(status)
    expect(sources.some((s) => new RegExp(`\\bIngressErrors\\.${key}\\b`).test(s)), `IngressErrors.${key} is used nowhere in src`).toBe(true)

    const { log, lines } = capture()
    const { req, res, answer } = fakeExchange()
    answerFailure(req, res, new GatewayError(def, 'what was refused'), log)
    expect(answer.status).toBe(status)
    expect(answer.headers!['content-type']).toBe('application/problem+json')
    expect(JSON.parse(answer.body!)).toEqual({ type: `urn:dcc-alert-gateway:error:${code}`, title: def.title, status, detail: 'what was refused', code })
    expect(lines).toEqual([]) // a refusal the gateway meant is not an error in its log
  })
})

describe('GatewayError', () => {
  it('carries code, status and title of its catalogue entry', () => {
    const e = new GatewayError(IngressErrors.CONFLICT, 'still undecidable', { cause: new Error('x') })
    expect(e).toBeInstanceOf(Error)
    expect(e).toMatchObject({ name: 'GatewayError', code: 'DCCGW_ERR_CONFLICT', status: 409, title: 'Conflict', message: 'still undecidable' })
    expect(isGatewayError(e)).toBe(true)
    expect(isGatewayError(e, IngressErrors.CONFLICT)).toBe(true)
    expect(isGatewayError(e, IngressErrors.NOT_FOUND)).toBe(false)
    expect(isGatewayError(Object.assign(new Error('x'), { code: 'DCCGW_ERR_CONFLICT', status: 409 }))).toBe(false)
  })
})

describe('a plain Error', () => {
  it('is 500 DCCGW_ERR_INTERNAL (never 409), logged with its message and stack but not what it carried, nor the query', () => {
    const { log, lines } = capture()
    const { req, res, answer } = fakeExchange('/obligations/ack?token=secret-token')
    answerFailure(req, res, Object.assign(new Error('boom'), { body: '<DUIS>payload</DUIS>', code: 'DCCGW_ERR_CONFLICT' }), log)
    expect(answer.status).toBe(500)
    expect(JSON.parse(answer.body!)).toMatchObject({ code: 'DCCGW_ERR_INTERNAL', status: 500 })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 50, msg: 'request failed', method: 'POST', path: '/obligations/ack', err: { type: 'Error', message: 'boom' } })
    const text = JSON.stringify(lines[0])
    expect(text).not.toContain('payload')
    expect(text).not.toContain('secret-token')
  })

  it('after the answer has started: the connection is cut', () => {
    const { log } = capture()
    const { req, res, answer } = fakeExchange()
    ;(res as { headersSent: boolean }).headersSent = true
    answerFailure(req, res, new Error('late'), log)
    expect(answer).toEqual({ destroyed: true })
  })
})
