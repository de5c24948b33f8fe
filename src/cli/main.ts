#!/usr/bin/env node
import { Command } from 'commander'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot, run } from './common.js'
import { registryCheck, registryCompile } from './registry-check.js'
import { serve } from './serve.js'
import {
  obligationsList, quarantineDelete, quarantineList, quarantinePurge, quarantineRelease, quarantineShow, reportStaleCos,
} from './store-commands.js'

const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
const program = new Command('dcc-alert-gateway')
  .description('Inline gateway between the DCC (DUIS) and a supplier adapter: deliver, forward, drop or quarantine every message.')
  .version(version)
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2)) // exit code 2 = bad usage (docs/operations.md, "Command line")
const configOpt = ['-c, --config <file>', 'configuration file (YAML or JSON); default: DCC_GATEWAY_CONFIG, else the embedded demo'] as const

program.command('serve').description('run the gateway').option(...configOpt).action((o) => run(() => serve(o)))

const registry = program.command('registry').description('registry files')
registry.command('check').description('load every registry file; print counts, rejected rows (file:line, reason) and memory')
  .option(...configOpt).action((o) => run(() => registryCheck(o)))
registry.command('compile').description('build the index from the registry files and write it as a compiled snapshot into registry.snapshotDir')
  .option(...configOpt).action((o) => run(() => registryCompile(o)))

const q = program.command('quarantine').description("the operator's view of quarantined messages")
q.command('list').option(...configOpt).option('--reason <reason>', 'only this reason').option('--limit <n>', 'at most n', '100')
  .option('--json', 'JSON output').action((o) => run(() => quarantineList(o)))
q.command('show <id>').option(...configOpt).option('--raw', 'print the raw bytes').action((id, o) => run(() => quarantineShow(id, o)))
q.command('release <id>').description('re-evaluate against the current registry and deliver').option(...configOpt)
  .action((id, o) => run(() => quarantineRelease(id, o)))
q.command('delete <id>').description('delete one quarantined message and its bytes').option(...configOpt)
  .option('--reason <text>', 'why (required for a critical alert whose obligation is open; it closes the obligation)')
  .action((id, o) => run(() => quarantineDelete(id, o)))
q.command('purge').description('delete quarantined messages older than the retention').option(...configOpt)
  .option('--older-than-days <n>', 'default: store.quarantineRetentionDays').action((o) => run(() => quarantinePurge(o)))

program.command('obligations').description('obligations: forwarded and quarantined critical alerts awaiting action, install-code requests, open stale-CoS cases')
  .addCommand(new Command('list').option(...configOpt).option('--overdue', 'only overdue').option('--all', 'include acknowledged')
    .option('--json', 'JSON output').action((o) => run(() => obligationsList(o))))

program.command('report').description('reports')
  .addCommand(new Command('stale-cos').description('per MPxN: the losing supplier still receiving traffic after the supply start date')
    .option(...configOpt).option('--since <date>', 'only messages received since YYYY-MM-DD').option('--format <csv|md>', 'output format', 'md')
    .option('--min-working-days <n>', 'only cases at least N working days past the supply start date (to their resolution, or today)')
    .action((o) => run(() => reportStaleCos(o))))

program.command('replay <source>').description('post DUIS documents (file, folder, NDJSON or tar) to a gateway and print outcome counts')
  .requiredOption('--url <url>', 'ingress URL, e.g. http://127.0.0.1:8080/duis').option('--concurrency <n>', 'requests in flight', '16')
  .option('--content-type <type>', 'Content-Type to send', 'application/xml').action((src, o) => run(async () => (await import('./replay.js')).replay(src, o))) // loaded when used: tar-stream and the rest are no part of serve

await program.parseAsync()
