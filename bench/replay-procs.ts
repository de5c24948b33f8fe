// Child processes of the benchmark (gateway from dist/, baseline proxy, sink) and what is read
// about them: CPU time and peak RSS from /proc (Linux), the gateway's Prometheus text.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '..')

export interface Child {
  proc: ChildProcess
  pid: number
  url: string
  output(): string
  stop(): Promise<void>
}

/** Spawns `node args`, waits for a line matching `ready` (group 1 = URL). */
export async function spawnNode(args: string[], ready: RegExp, env: Record<string, string> = {}, timeoutMs = 180_000): Promise<Child> {
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let out = ''
  const keep = (d: Buffer) => {
    out += d.toString()
    if (out.length > 200_000) out = out.slice(-100_000)
  }
  proc.stdout!.on('data', keep)
  proc.stderr!.on('data', keep)
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${args.join(' ')}: not ready after ${timeoutMs} ms\n${out.slice(-2000)}`)), timeoutMs)
    const check = () => {
      const m = ready.exec(out)
      if (m) {
        clearTimeout(timer)
        proc.stdout!.off('data', check)
        proc.stderr!.off('data', check)
        res(m[1]!)
      }
    }
    // the gateway prints its banner on stderr, its JSON logs on stdout
    proc.stdout!.on('data', check)
    proc.stderr!.on('data', check)
    proc.once('exit', (code) => {
      clearTimeout(timer)
      rej(new Error(`${args.join(' ')} exited with ${code} before it was ready\n${out.slice(-2000)}`))
    })
  })
  return {
    proc,
    pid: proc.pid!,
    url,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = once(proc, 'exit')
      proc.kill('SIGTERM')
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(t)
    },
  }
}

export const startSinkProcess = () => spawnNode(['--import', 'tsx', join(ROOT, 'bench/sink.ts')], /SINK_URL (\S+)/)
export const startBaselineProcess = (sinkUrl: string, connections: number) =>
  spawnNode(['--import', 'tsx', join(ROOT, 'bench/baseline-proxy.ts'), sinkUrl, String(connections)], /PROXY_URL (\S+)/)
/** The durable (or contract) floor (bench/durable-floor.ts) posting the documents marked in `postsFile` to the sink; its journal in `dir`. */
export const startFloorProcess = (sinkUrl: string, dir: string, postsFile: string, mode: 'durable' | 'contract' = 'durable') =>
  spawnNode(['--import', 'tsx', join(ROOT, 'bench/durable-floor.ts'), sinkUrl, dir, postsFile], /listening on (http\S+)/, { FLOOR_MODE: mode })
/** GATEWAY_NODE_ARGS: extra node flags for the gateway only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p" (not allowed in NODE_OPTIONS). */
export const startGatewayProcess = (configFile: string) =>
  spawnNode([...(process.env.GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []), join(ROOT, 'dist/cli/main.js'), 'serve', '--config', configFile], /listening on (http\S+)/, { DCC_GATEWAY_LOG_LEVEL: 'warn' })

const CLK_TCK = 100 // USER_HZ on Linux

/**
 * CPU seconds (user + system) of a process so far, all its threads (/proc/<pid>/stat), or with
 * `mainThread` its main thread's only (/proc/<pid>/task/<pid>/stat); NaN off Linux.
 */
export function cpuSeconds(pid: number, mainThread = false): number {
  try {
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // fields from 3 (state) on
    return (Number(f[11]) + Number(f[12])) / CLK_TCK // utime (14), stime (15)
  } catch {
    return NaN
  }
}

/**
 * Seconds the process's main thread has waited on a run queue for a CPU so far (runnable, not
 * running), from /proc/<pid>/schedstat; NaN off Linux. On a shared machine this is CPU starvation.
 */
export function runQueueWaitSeconds(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9
  } catch {
    return NaN
  }
}

/** A kB field of /proc/<pid>/status in MiB; NaN off Linux or once the process is gone. */
function statusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : NaN
  } catch {
    return NaN
  }
}

/** Peak resident set size (VmHWM) in MiB; NaN off Linux. */
export const peakRssMiB = (pid: number): number => statusMiB(pid, 'VmHWM')
/** Resident set size now (VmRSS) in MiB; NaN off Linux. */
export const rssMiB = (pid: number): number => statusMiB(pid, 'VmRSS')

/** Prometheus text -> "name{labels}" -> value (labels as written, sorted by the exporter). */
export async function scrapeMetrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const sp = line.lastIndexOf(' ')
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)))
  }
  return out
}

/** Sum of a metric's samples whose labels include every `want` pair. */
export function metricSum(m: Map<string, number>, name: string, want: Record<string, string> = {}): number {
  let s = 0
  for (const [k, v] of m) {
    if (k !== name && !k.startsWith(`${name}{`)) continue
    if (Object.entries(want).every(([l, val]) => k.includes(`${l}="${val}"`))) s += v
  }
  return s
}

/** Waits until every dccgw_spool_depth sample is 0 (the spool drained); returns ms waited. */
export async function waitForDrain(url: string, timeoutMs: number): Promise<number> {
  const t0 = performance.now()
  for (;;) {
    const m = await scrapeMetrics(url)
    if (metricSum(m, 'dccgw_spool_depth') === 0) return performance.now() - t0
    if (performance.now() - t0 > timeoutMs) throw new Error(`spool not drained after ${timeoutMs} ms (depth ${metricSum(m, 'dccgw_spool_depth')})`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
