import fs from 'node:fs'
import { promisify } from 'node:util'

/**
 * The file operations the journal uses, injected through its constructor so tests can make
 * `fdatasync` fail (EIO), a preallocation write run out of space (ENOSPC) or a write come up short.
 * Every call goes to the libuv threadpool: none blocks the event loop.
 */
export interface JournalFs {
  open(path: string, flags: string): Promise<number>
  /**
   * Opens a segment for its groups, read/write (`create`: created or truncated). Its writes are
   * durable when they return: a group is one trip to the threadpool (`writevDurable`), not two
   * (a write, then an fdatasync that waits for the event loop to come round again).
   */
  openDurable(path: string, create: boolean): Promise<number>
  /** positional gather write on an fd from `openDurable`; resolves with the bytes written once they are durable */
  writevDurable(fd: number, buffers: readonly NodeJS.ArrayBufferView[], position: number): Promise<number>
  close(fd: number): Promise<void>
  /** positional gather write; resolves with the bytes written */
  writev(fd: number, buffers: readonly NodeJS.ArrayBufferView[], position: number): Promise<number>
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>
  fdatasync(fd: number): Promise<void>
  /** used on the directory after a create, rename or unlink */
  fsync(fd: number): Promise<void>
  fstatSize(fd: number): Promise<number>
  readdir(dir: string): Promise<string[]>
  mkdir(dir: string): Promise<void>
  rename(from: string, to: string): Promise<void>
  unlink(path: string): Promise<void>
}

// fs.read/write/writev have custom promisified forms that resolve with objects: wrap the callbacks.
function writev(fd: number, buffers: readonly NodeJS.ArrayBufferView[], position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.writev(fd, buffers, position, (err, n) => (err ? reject(err) : resolve(n))))
}
function write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.write(fd, buffer, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))))
}
function read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buffer, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))))
}

// O_DSYNC: each write completes as write + fdatasync would (POSIX synchronized I/O data integrity
// completion; Linux flushes the written range and the disk's cache before the write returns, and a
// failed flush fails the write). The segments are preallocated, so no metadata waits on it.
const { O_RDWR, O_CREAT, O_TRUNC, O_DSYNC } = fs.constants

export const nodeJournalFs: JournalFs = {
  open: (path, flags) => promisify(fs.open)(path, flags),
  openDurable: (path, create) => promisify(fs.open)(path, O_RDWR | O_DSYNC | (create ? O_CREAT | O_TRUNC : 0), 0o666),
  writevDurable: writev,
  close: promisify(fs.close),
  writev,
  write,
  read,
  fdatasync: promisify(fs.fdatasync),
  fsync: promisify(fs.fsync),
  fstatSize: (fd) => promisify(fs.fstat)(fd).then((s) => s.size),
  readdir: (dir) => fs.promises.readdir(dir),
  mkdir: (dir) => fs.promises.mkdir(dir, { recursive: true }).then(() => undefined),
  rename: (from, to) => fs.promises.rename(from, to),
  unlink: (path) => fs.promises.unlink(path),
}

/** Fills `buf` from the file at `position`; a file that ends first is an error. */
export async function readFully(fs: JournalFs, fd: number, buf: Buffer, position: number): Promise<void> {
  for (let got = 0; got < buf.length; ) {
    const n = await fs.read(fd, buf, got, buf.length - got, position + got)
    if (n === 0) throw new Error(`journal: unexpected end of file at ${position + got}`)
    got += n
  }
}
