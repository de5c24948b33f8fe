import { dirname, join } from 'node:path'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ConfigError, loadConfig } from '../config/index.js'
import type { Config } from '../config/index.js'

/** Exit codes (docs/operations.md, "Command line"): 0 ok, 1 runtime failure, 2 bad usage or configuration. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const

export class CliError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode: number = EXIT.FAILURE) {
    super(message)
    this.exitCode = exitCode
  }
}

export function configFrom(opts: { config?: string }): Config {
  return loadConfig(opts.config !== undefined ? { file: opts.config } : {})
}

/** Runs a command body; maps ConfigError/CliError to their exit codes with a one-line-per-problem message. */
export async function run(body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body()
    if (typeof code === 'number') process.exitCode = code
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`)
      process.exitCode = EXIT.USAGE
    } else if (err instanceof CliError) {
      process.stderr.write(`${err.message}\n`)
      process.exitCode = err.exitCode
    } else {
      const e = err as { code?: string; message?: string; exitCode?: number }
      process.stderr.write(`error${e.code ? ` ${e.code}` : ''}: ${e.message ?? String(err)}\n`)
      process.exitCode = typeof e.exitCode === 'number' ? e.exitCode : EXIT.FAILURE
    }
  }
}

/** The package root (where package.json is), from dist/cli or src/cli. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error('package.json not found above the CLI')
    dir = up
  }
  return dir
}

export function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '' : String(r[c]))))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)))
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n'
}
