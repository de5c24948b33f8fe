import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ErrorDef, Problem } from './errors.js'
import { problem } from './errors.js'

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...headers })
  res.end(data)
}

export function sendProblem(res: ServerResponse, p: Problem, headers: Record<string, string> = {}): void {
  const data = JSON.stringify(p)
  res.writeHead(p.status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(data), ...headers })
  res.end(data)
}

export function sendError(res: ServerResponse, err: ErrorDef, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): void {
  sendProblem(res, problem(err, detail, extra), headers)
}

export type BodyResult = { ok: true; body: Buffer } | { ok: false; tooLarge: true; received: number } | { ok: false; tooLarge: false; error: Error }

/**
 * Reads a request body up to `limit` bytes. Past the limit it stops buffering and reports
 * tooLarge (the caller answers 413 and closes the connection: nothing is stored).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const finish = (r: BodyResult) => {
      if (done) return
      done = true
      resolve(r)
    }
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > limit) {
        finish({ ok: false, tooLarge: true, received: size })
        req.pause()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => finish({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }))
    req.on('error', (error) => finish({ ok: false, tooLarge: false, error }))
    req.on('aborted', () => finish({ ok: false, tooLarge: false, error: new Error('client aborted') }))
  })
}

/** `application/xml` or `text/xml`, any parameters (charset), any case. */
export function isXmlContentType(value: string | undefined): boolean {
  if (value === undefined) return false
  if (value === 'application/xml' || value === 'text/xml') return true // what nearly every request sends: no string work
  const type = value.split(';', 1)[0]!.trim().toLowerCase()
  return type === 'application/xml' || type === 'text/xml'
}
