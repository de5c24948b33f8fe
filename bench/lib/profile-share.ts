// Where a --cpu-prof profile's time goes, by the gateway's own folder: each sample is charged to
// the innermost frame in dist/<folder>/ on its stack (node internals and libraries below it count
// for their caller); samples with none of ours on the stack are named by their leaf's module.
//   npx tsx bench/lib/profile-share.ts FILE.cpuprofile [--files | --fns | --under NAME] [--window FROM-TO]
// --window 60-90: only the samples taken 60 to 90 s after the profile started (what grows late in a run).
import { readFileSync } from 'node:fs'

interface Node { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
process.stdout.on('error', () => undefined) // piped into head
const [file, flag] = process.argv.slice(2)
if (!file) throw new Error('usage: profile-share FILE.cpuprofile [--files]')
const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] }
const w = process.argv.indexOf('--window')
if (w > 0) {
  const [from, to] = process.argv[w + 1]!.split('-').map((x) => Number(x) * 1e6)
  let t = 0
  const keep: number[] = []
  prof.samples.forEach((id, k) => {
    t += prof.timeDeltas[k]!
    if (t >= from! && t < to!) keep.push(id)
  })
  prof.samples = keep
}
const parent = new Map<number, number>()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const byId = new Map(prof.nodes.map((n) => [n.id, n]))

function ours(url: string, fn = ""): string | undefined {
  const m = /\/dist\/(.+)$/.exec(url)
  if (!m) return undefined
  return flag === "--files" ? m[1] : flag === "--fns" ? `${m[1]} ${fn}` : m[1]!.split("/")[0]
}
function foreign(n: Node): string {
  const { functionName, url } = n.callFrame
  if (!url) return functionName || '(anonymous)'
  const lib = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  return lib ? `lib:${lib[1]}` : url.replace(/^node:internal\//, 'node:')
}
const share = new Map<string, number>()
for (const id of prof.samples) {
  let at: number | undefined = id
  let key: string | undefined
  while (at !== undefined) {
    key = ours(byId.get(at)!.callFrame.url, byId.get(at)!.callFrame.functionName)
    if (key) break
    at = parent.get(at)
  }
  key ??= `(outside) ${foreign(byId.get(id)!)}`
  share.set(key, (share.get(key) ?? 0) + 1)
}
const total = prof.samples.length
if (flag !== "--under") for (const [k, n] of [...share].sort((a, b) => b[1] - a[1]).slice(0, 40)) process.stdout.write(`${((100 * n) / total).toFixed(1).padStart(5)}%  ${k}\n`)
// --under NAME: the leaf frames of the samples whose stack holds a frame named NAME
if (flag === '--under') {
  const name = process.argv[4]!
  const leaf = new Map<string, number>()
  let n = 0
  for (const id of prof.samples) {
    let at: number | undefined = id
    let hit = false
    while (at !== undefined) { if (byId.get(at)!.callFrame.functionName === name) { hit = true; break } at = parent.get(at) }
    if (!hit) continue
    n++
    const f = byId.get(id)!.callFrame
    const k = `${f.functionName || '(anon)'} ${f.url.replace(/.*\/(dist|node_modules)\//, '')}`
    leaf.set(k, (leaf.get(k) ?? 0) + 1)
  }
  process.stdout.write(`--- under ${name}: ${((100 * n) / total).toFixed(1)}% inclusive\n`)
  for (const [k, c] of [...leaf].sort((a, b) => b[1] - a[1]).slice(0, 15)) process.stdout.write(`${((100 * c) / total).toFixed(1).padStart(5)}%  ${k}\n`)
}
