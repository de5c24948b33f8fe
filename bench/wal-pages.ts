// What fills the WAL: which table or index each frame of a gateway.db WAL is a page of. Reads the
// frames' page numbers (the WAL format: a 32-byte header, then per frame a 24-byte header whose
// first 4 bytes are the page number, then the page) and names each page by SQLite's dbstat as the
// database stands with that WAL (pages freed since count as "freelist or gone").
//   npx tsx bench/wal-pages.ts COPY.db     (COPY.db and COPY.db-wal: copies taken while the gateway
//       ran with store.checkpointIntervalMs large, so the WAL still holds every page it wrote)
// Prints frames, bytes and share per table or index, most first. Used in docs/performance.md,
// "What fills the WAL".
import { openSync, readSync, fstatSync, closeSync } from 'node:fs'
import Database from 'better-sqlite3'

const file = process.argv[2]
if (!file) {
  console.error('usage: npx tsx bench/wal-pages.ts COPY.db')
  process.exit(2)
}
const fd = openSync(`${file}-wal`, 'r')
const size = fstatSync(fd).size
const head = Buffer.alloc(32)
readSync(fd, head, 0, 32, 0)
const pageSize = head.readUInt32BE(8)
const frames = new Map<number, number>()
let total = 0
const frameHead = Buffer.alloc(24)
for (let at = 32; at + 24 + pageSize <= size; at += 24 + pageSize) {
  readSync(fd, frameHead, 0, 24, at)
  const page = frameHead.readUInt32BE(0)
  frames.set(page, (frames.get(page) ?? 0) + 1)
  total++
}
closeSync(fd)
const db = new Database(file)
const owner = new Map<number, string>()
for (const { name, pageno } of db.prepare('SELECT name, pageno FROM dbstat').all() as { name: string; pageno: number }[]) owner.set(pageno, name)
db.close()
const by = new Map<string, number>()
for (const [page, n] of frames) {
  const name = owner.get(page) ?? 'freelist or gone'
  by.set(name, (by.get(name) ?? 0) + n)
}
console.log(`${total} frames of ${pageSize} bytes (${((total * pageSize) / 2 ** 20).toFixed(0)} MiB), ${frames.size} distinct pages`)
for (const [name, n] of [...by].sort((a, b) => b[1] - a[1])) {
  console.log(`${name.padEnd(28)} ${String(n).padStart(9)} frames ${((100 * n) / total).toFixed(1).padStart(5)}%`)
}
