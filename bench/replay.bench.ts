// The 245k-alert benchmark (docs/performance.md): a realistic CoS month replayed through the gateway and a
// pass-through baseline, with zero-loss accounting.
//   npm run bench                 full: 244,764 documents, 1M-MPxN world, 3 interleaved rounds
//   npm run bench -- --quick      CI: 20,000 documents, 100k-MPxN world, 1 round
// Options: --messages N --mpxns N --seed N --rounds N --concurrency N --no623-share X --name NAME --out DIR
//   --floor   adds the durable floor (bench/durable-floor.ts) to every round: what any gateway could reach here
//   --contract-floor  the same with the contract floor (FLOOR_MODE=contract: also the envelope parse, a
//             journal record and its audit row, through the gateway's own parts)
// Exits 1 on any accounting difference (never on speed). Needs `npm run build` (gateway from dist/).
import { join } from 'node:path'
import { runBenchmark, type BenchOptions } from './replay-run.js'
import { ROOT } from './replay-procs.js'
import { writeReport } from './report.js'

/** The seed (SEC DP072): one month of missed SR 6.23s, 244,764 alerts to losing suppliers. */
export const FULL_MESSAGES = 244_764

export function benchOptions(argv: readonly string[]): BenchOptions & { out: string } {
  const quick = argv.includes('--quick')
  const arg = (name: string, def: string): string => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def
  }
  const num = (name: string, def: number): number => {
    const v = Number(arg(name, String(def)))
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: expected a positive number`)
    return v
  }
  return {
    name: arg('name', quick ? 'cos-month-quick' : 'cos-month'),
    quick,
    messages: num('messages', quick ? 20_000 : FULL_MESSAGES),
    mpxns: num('mpxns', quick ? 100_000 : 1_000_000),
    seed: num('seed', 1),
    cosRate: num('cos-rate', 0.18),
    no623Share: num('no623-share', quick ? 0.1 : 0.05),
    rounds: num('rounds', quick ? 1 : 3),
    concurrency: num('concurrency', 32),
    floor: argv.includes('--contract-floor') ? 'contract' : argv.includes('--floor'),
    cacheDir: join(ROOT, 'bench/.cache'),
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
    // quick runs (CI) do not touch the committed results
    out: arg('out', quick ? join(ROOT, 'bench/.cache/results') : join(ROOT, 'bench/results')),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = benchOptions(process.argv.slice(2))
  const t0 = performance.now()
  const r = await runBenchmark({ ...o, log: (l) => process.stdout.write(`${l}\n`) })
  const base = writeReport(r, o.out)
  const last = r.rounds.filter((x) => x.accounting).at(-1)?.accounting
  if (last && !last.ok) for (const p of last.problems) process.stdout.write(`  ${p}\n`)
  for (const x of r.rounds) if (x.baselineProblems?.length) process.stdout.write(`  ${x.target} round ${x.round}: ${x.baselineProblems.join('; ')}\n`)
  process.stdout.write(`${r.ok ? 'PASS' : 'FAIL'}: report ${base}.{json,md,svg} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`)
  process.exit(r.ok ? 0 : 1)
}
