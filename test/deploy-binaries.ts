// External tools some tests need (Debian package `prometheus`: prometheus + promtool). No skips in
// this project: a missing tool fails the test with the way to install it. .ci/run installs it.
import { spawnSync } from 'node:child_process'

export function requireBinary(name: 'promtool' | 'prometheus'): string {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8' })
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(
      `${name} is not on PATH${process.env.CI ? ' (CI: .ci/run should have installed it)' : ''}. ` +
        'Install it once with: sudo apt-get update && sudo apt-get install -y --no-install-recommends prometheus',
    )
  }
  return name
}
