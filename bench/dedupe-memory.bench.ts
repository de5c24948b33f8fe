// bench: the journaled store's dedupe memory (src/store/dedupe-memory.ts, docs/journal.md "Dedupe"):
// time per accepted message (get + set + forgetOld, as the hot path calls them) for each 100k
// messages as it fills, and bytes of memory per message once it holds --messages IDs.
//   node --expose-gc --import tsx bench/dedupe-memory.bench.ts [--messages 2000000]
// Writes bench/results/dedupe-memory.{json,md}. Needs `npm run build`.
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DedupeMemory } from '../dist/store/dedupe-memory.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const i = process.argv.indexOf('--messages')
const MESSAGES = i < 0 ? 2_000_000 : Number(process.argv[i + 1])
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')

const id = (n: number) => `90-B3-D5-1F-30-01-00-${(n % 256).toString(16).padStart(2, '0')}:90-B3-D5-1F-30-10-00-00:${1e9 + n}@2026-12-05T05:00:00.000Z`
gc()
const before = process.memoryUsage()
const m = new DedupeMemory(1e12)
const perBlock: number[] = []
for (let n = 0; n < MESSAGES;) {
  const t = performance.now()
  const end = Math.min(MESSAGES, n + 100_000)
  for (; n < end; n++) {
    const key = id(n)
    m.get(key)
    m.set(key, { decision: 'deliver', reason: 'responsible', quarantineId: null, obligationId: null, receivedAt: n })
    m.forgetOld()
  }
  perBlock.push(((performance.now() - t) * 1000) / 100_000)
}
gc()
const after = process.memoryUsage()
// m is read after the measurement: unread from here on, the collection above may free it (a run measured 0 bytes so)
const bytesPerMessage = {
  rss: (after.rss - before.rss) / MESSAGES, heap: (after.heapUsed - before.heapUsed) / MESSAGES, arrayBuffers: (after.arrayBuffers - before.arrayBuffers) / MESSAGES,
  tables: m.hashedBytes / m.size,
}
const machine = `${os.cpus()[0]?.model.trim()} (${os.cpus().length} CPUs), Node ${process.version}`
const out = join(ROOT, 'bench/results')
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'dedupe-memory.json'), JSON.stringify({ machine, date: new Date().toISOString(), messages: MESSAGES, load: os.loadavg(), perBlock, bytesPerMessage }, null, 1) + '\n')
const md = [
  '# dedupe-memory', '',
  `Machine: ${machine}, ${new Date().toISOString()}, 1-minute load average ${os.loadavg()[0]!.toFixed(1)}. ${MESSAGES.toLocaleString('en-GB')} message IDs of the DUIS shape, one process.`,
  'Regenerate: `npm run build && node --expose-gc --import tsx bench/dedupe-memory.bench.ts`.', '',
  `Memory once full: ${bytesPerMessage.rss.toFixed(1)} B of RSS per message (heap ${bytesPerMessage.heap.toFixed(1)}, typed arrays ${bytesPerMessage.arrayBuffers.toFixed(1)};`,
  `the hashed part's tables ${bytesPerMessage.tables.toFixed(1)} per message remembered).`, '',
  'µs per message (get + set + forgetOld) for each 100k messages as it fills:', '',
  perBlock.map((x) => x.toFixed(2)).join(', '),
]
writeFileSync(join(out, 'dedupe-memory.md'), md.join('\n') + '\n')
process.stdout.write(md.join('\n') + '\n')
