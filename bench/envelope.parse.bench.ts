// bench: DUIS envelope parsing, messages/s. Run: npx tsx bench/envelope.parse.bench.ts
// Same corpus, same process, interleaved runs; baselines @smartdcc/duis-parser and fast-xml-parser
// default settings. Writes bench/results/envelope.parse.{json,md}.
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseDuis } from '@smartdcc/duis-parser'
import { XMLParser } from 'fast-xml-parser'
import { DEFAULT_ENVELOPE_LIMITS, parseEnvelope } from '../src/envelope/index.js'
import { parseEnvelopeReference } from '../test/support/parse-reference.js'
import { duisCorpus } from './lib/duis-corpus.js'

const RUNS = Number(process.env.RUNS ?? 7)
const MIN_MS = Number(process.env.MIN_MS ?? 400)
const corpus = duisCorpus(Number(process.env.DOCS ?? 3000))
const bytes = corpus.reduce((n, b) => n + b.length, 0)
const strings = corpus.map((b) => b.toString('utf8'))
const fxpDefault = new XMLParser()

let sink = 0
const contenders: Record<string, (k: number) => void> = {
  parseEnvelope: (k) => { sink += parseEnvelope(corpus[k]!, DEFAULT_ENVELOPE_LIMITS).ok ? 1 : 0 },
  '@smartdcc/duis-parser': (k) => {
    // parseDuis takes the bytes too; it throws on documents it does not model (counted as work done).
    try { sink += parseDuis('simplified', corpus[k]!) ? 1 : 0 } catch { sink += 2 }
  },
  'fast-xml-parser default': (k) => { sink += fxpDefault.parse(strings[k]!) ? 1 : 0 },
  parseEnvelopeReference: (k) => { sink += parseEnvelopeReference(corpus[k]!, DEFAULT_ENVELOPE_LIMITS).ok ? 1 : 0 },
}
const names = Object.keys(contenders)

function measure(fn: (k: number) => void): number {
  let messages = 0
  const t0 = performance.now()
  let elapsed = 0
  while (elapsed < MIN_MS) {
    for (let k = 0; k < corpus.length; k++) fn(k)
    messages += corpus.length
    elapsed = performance.now() - t0
  }
  return (messages / elapsed) * 1000
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2 }

// Warm up every contender once (JIT), then interleave: run r rotates the order.
for (const n of names) measure(contenders[n]!)
const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
for (let r = 0; r < RUNS; r++) {
  for (let j = 0; j < names.length; j++) {
    const n = names[(r + j) % names.length]!
    samples[n]!.push(measure(contenders[n]!))
  }
}

const base = median(samples['@smartdcc/duis-parser']!)
const results = names.map((n) => ({ name: n, medianMessagesPerSecond: Math.round(median(samples[n]!)), runs: samples[n]!.map(Math.round), ratioVsDuisParser: +(median(samples[n]!) / base).toFixed(2) }))
const meta = { machine: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, node: process.version, date: new Date().toISOString(), documents: corpus.length, meanBytes: Math.round(bytes / corpus.length), runs: RUNS, minMsPerRun: MIN_MS }

const outDir = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(outDir, { recursive: true })
writeFileSync(outDir + 'envelope.parse.json', JSON.stringify({ ...meta, results }, null, 2) + '\n')
const md = [
  '# envelope.parse',
  '',
  `Machine: ${meta.machine} (${meta.cpus} CPUs), Node ${meta.node}, ${meta.date}.`,
  `Corpus: ${meta.documents} DUIS documents (test/fixtures/duis + builder-generated mix), mean ${meta.meanBytes} bytes.`,
  `${RUNS} interleaved runs of >= ${MIN_MS} ms each per contender; medians. Regenerate: \`npx tsx bench/envelope.parse.bench.ts\`.`,
  '',
  '| parser | messages/s (median) | x duis-parser | runs |',
  '|---|---:|---:|---|',
  ...results.map((r) => `| ${r.name} | ${r.medianMessagesPerSecond.toLocaleString('en-GB')} | ${r.ratioVsDuisParser} | ${r.runs.join(', ')} |`),
  '',
  'parseEnvelope extracts and validates the Envelope (IDs, dates, GBCS header); duis-parser and',
  'fast-xml-parser default only build an object tree (no namespace checks, no validation).',
  '',
].join('\n')
writeFileSync(outDir + 'envelope.parse.md', md)
console.log(md)
if (sink === -1) console.log(sink)
