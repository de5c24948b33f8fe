// `dcc-alert-gateway registry compile --config FILE` writes a compiled snapshot that
// the gateway then starts from; fatal files exit 1 and write nothing.
import { execFile } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { makeWorld, post, startInProcess, type World } from './harness.js'
import { alertFrom, breakRegistry, EXPECTED, writeRegistry } from './registry-world.js'

const run = promisify(execFile)
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname

describe('registry compile (issue #17)', () => {
  const worlds: World[] = []
  afterAll(() => {
    for (const w of worlds) rmSync(w.dir, { recursive: true, force: true })
  })

  it('compiles the files into a snapshot in registry.snapshotDir; the gateway starts from it', async () => {
    const world = makeWorld()
    worlds.push(world)
    writeRegistry(world, 'B')
    const { stdout } = await run(process.execPath, [CLI, 'registry', 'compile', '--config', world.configFile])
    expect(stdout).toMatch(/registry loaded in [\d.]+ s: \d+ MPxNs/)
    expect(stdout).toMatch(/snapshot written: .*registry-snapshots\/registry-\d{8}T\d{9}Z-\d+\.snap \([\d.]+ MiB in [\d.]+ s\)/)
    expect(readdirSync(join(world.dir, 'data', 'registry-snapshots'))).toHaveLength(1)
    const gw = await startInProcess(world)
    try {
      expect((await post(`${gw.url}/duis`, alertFrom(1))).json).toMatchObject(EXPECTED.B)
      // started from the compiled snapshot: an index read from a snapshot records the deltas folded
      // into it (none here); one built from the files has no such record
      expect((gw.registry() as unknown as { toShared(): { baked?: unknown[] } }).toShared().baked).toEqual([])
    } finally {
      await gw.close()
    }
  })

  it('exits 1 on fatal registry files and writes no snapshot', async () => {
    const world = makeWorld()
    worlds.push(world)
    breakRegistry(world)
    const err = await run(process.execPath, [CLI, 'registry', 'compile', '--config', world.configFile]).catch((e: { code: number; stderr: string }) => e)
    expect(err).toMatchObject({ code: 1, stderr: expect.stringMatching(/registry compile failed \(DCCGW_ERR_REGISTRY_EMPTY\)/) })
    expect(() => readdirSync(join(world.dir, 'data', 'registry-snapshots'))).toThrow(/ENOENT/)
  })
})
