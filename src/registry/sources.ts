// The registry source files as a snapshot records them (docs/registry.md): path, size, mtime and a CRC-32
// of the bytes. A snapshot is used only when every source still matches: size and mtime first
// (cheap), then the checksum (one sequential read, ~4 GB/s for the CRC; catches a copy that kept
// the size and mtime).
import { open, stat } from 'node:fs/promises'
import { crc32 } from 'node:zlib'

export interface SourceStamp {
  /** which file: registrations, devices, parties */
  role: string
  path: string
  size: number
  mtimeMs: number
  crc32: number
}

/** A running CRC-32 over chunks of a file as it is read. */
export class RunningCrc {
  value = 0
  bytes = 0
  add(chunk: Uint8Array): void {
    this.value = crc32(chunk, this.value)
    this.bytes += chunk.byteLength
  }
}

export async function statOf(path: string): Promise<{ size: number; mtimeMs: number }> {
  const s = await stat(path)
  return { size: s.size, mtimeMs: s.mtimeMs }
}

/** bytes per read of crcOfFile */
const CRC_READ = 1 << 20

/**
 * CRC-32 of a whole file, read into ONE reused buffer: a stream's fresh chunk per read would leave
 * tens of MB of garbage beside a reload's two indexes until the next full collection.
 */
export async function crcOfFile(path: string): Promise<number> {
  const c = new RunningCrc()
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(CRC_READ)
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CRC_READ, null)
      if (bytesRead === 0) break
      c.add(buf.subarray(0, bytesRead))
    }
  } finally {
    await fh.close()
  }
  return c.value
}

/** Why `recorded` no longer describes the file on disk, or undefined when it still does. */
export async function sourceChanged(recorded: SourceStamp, path: string): Promise<string | undefined> {
  if (recorded.path !== path) return `${recorded.role} is now ${path}, the snapshot was built from ${recorded.path}`
  let now: { size: number; mtimeMs: number }
  try {
    now = await statOf(path)
  } catch (err) {
    return `${path}: ${(err as Error).message}`
  }
  if (now.size !== recorded.size) return `${path} is ${now.size} bytes, was ${recorded.size}`
  if (now.mtimeMs !== recorded.mtimeMs) return `${path} was modified at ${new Date(now.mtimeMs).toISOString()}, after the snapshot's source (${new Date(recorded.mtimeMs).toISOString()})`
  const c = await crcOfFile(path)
  if (c !== recorded.crc32) return `${path} has the same size and time but different content (CRC-32)`
  return undefined
}
