import { createReadStream } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createGunzip } from 'node:zlib'
import { createInterface } from 'node:readline'
import { Pool } from 'undici'
import { extract } from 'tar-stream'
import { CliError, EXIT } from './common.js'

export interface ReplayOptions {
  url: string
  concurrency?: string
  contentType?: string
}

export interface ReplayCounts {
  sent: number
  byStatus: Record<string, number>
  byDecision: Record<string, number>
  duplicates: number
  errors: number
}

/**
 * `replay FILE|DIR --url URL`: posts DUIS documents (one per file in a folder, one file, NDJSON
 * with one JSON string or {"body": "..."} per line, or a tar / tar.gz of files) with bounded
 * concurrency, and prints the outcome counts. Documents are streamed, not all held in memory.
 */
export async function replay(source: string, opts: ReplayOptions): Promise<number> {
  let target: URL
  try {
    target = new URL(opts.url)
  } catch {
    throw new CliError(`--url ${opts.url}: expected an absolute URL such as http://127.0.0.1:8080/duis`, EXIT.USAGE)
  }
  const concurrency = Number(opts.concurrency ?? 16)
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new CliError(`--concurrency ${opts.concurrency}: expected a positive integer`, EXIT.USAGE)
  const counts = await postAll(documents(source), target, concurrency, opts.contentType ?? 'application/xml')
  process.stdout.write(JSON.stringify(counts, null, 2) + '\n')
  return counts.errors > 0 ? EXIT.FAILURE : EXIT.OK
}

export async function postAll(docs: AsyncIterable<Buffer>, target: URL, concurrency: number, contentType: string): Promise<ReplayCounts> {
  const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1 })
  const counts: ReplayCounts = { sent: 0, byStatus: {}, byDecision: {}, duplicates: 0, errors: 0 }
  const active = new Set<Promise<void>>()
  const path = target.pathname + target.search
  const one = async (body: Buffer) => {
    try {
      const res = await pool.request({ method: 'POST', path, body, headers: { 'content-type': contentType } })
      const text = await res.body.text()
      counts.byStatus[res.statusCode] = (counts.byStatus[res.statusCode] ?? 0) + 1
      if (res.statusCode === 200) {
        const j = JSON.parse(text) as { decision: string; duplicate?: boolean }
        counts.byDecision[j.decision] = (counts.byDecision[j.decision] ?? 0) + 1
        if (j.duplicate) counts.duplicates++
      }
    } catch {
      counts.errors++
    }
  }
  try {
    for await (const doc of docs) {
      counts.sent++
      const p = one(doc).finally(() => active.delete(p))
      active.add(p)
      if (active.size >= concurrency) await Promise.race(active)
    }
    await Promise.all(active)
  } finally {
    await pool.close()
  }
  return counts
}

async function* documents(source: string): AsyncGenerator<Buffer> {
  const s = await stat(source).catch(() => {
    throw new CliError(`${source}: no such file or folder`, EXIT.USAGE)
  })
  if (s.isDirectory()) {
    const names = (await readdir(source)).filter((n) => !n.startsWith('.')).sort()
    for (const n of names) {
      const p = join(source, n)
      if ((await stat(p)).isFile()) yield await readFile(p)
    }
  } else if (/\.(ndjson|jsonl)(\.gz)?$/.test(source)) {
    yield* ndjson(source)
  } else if (/\.(tar|tar\.gz|tgz)$/.test(source)) {
    yield* tarEntries(source)
  } else {
    yield await readFile(source)
  }
}

async function* ndjson(file: string): AsyncGenerator<Buffer> {
  let input: NodeJS.ReadableStream = createReadStream(file)
  if (file.endsWith('.gz')) input = input.pipe(createGunzip())
  let line = 0
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++
    if (text.trim() === '') continue
    let v: unknown
    try {
      v = JSON.parse(text)
    } catch {
      throw new CliError(`${file}:${line}: not JSON (expected a JSON string or {"body": "..."} per line)`, EXIT.USAGE)
    }
    const body = typeof v === 'string' ? v : (v as { body?: unknown })?.body
    if (typeof body !== 'string') throw new CliError(`${file}:${line}: expected a JSON string or an object with a string "body"`, EXIT.USAGE)
    yield Buffer.from(body)
  }
}

async function* tarEntries(file: string): AsyncGenerator<Buffer> {
  const ex = extract()
  let input: NodeJS.ReadableStream = createReadStream(file)
  if (/\.(tar\.gz|tgz)$/.test(file)) input = input.pipe(createGunzip())
  input.pipe(ex)
  for await (const entry of ex) {
    const chunks: Buffer[] = []
    for await (const c of entry) chunks.push(c as Buffer)
    if (entry.header.type === 'file') yield Buffer.concat(chunks)
  }
}
