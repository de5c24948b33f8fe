import { readdirSync, readFileSync } from 'node:fs'

/**
 * The nice value of each thread of this process, by thread id (Linux: /proc/self/task/<tid>/stat,
 * field 19; the name in field 2 may hold spaces, so fields are counted after its closing bracket).
 * A thread that exits while it is read is left out.
 */
export function threadNice(): Map<number, number> {
  const nice = new Map<number, number>()
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      nice.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]))
    } catch {
      // gone between the listing and the read
    }
  }
  return nice
}

/** how many threads of this process run at `nice` */
export function threadsAt(nice: number): number {
  let n = 0
  for (const v of threadNice().values()) if (v === nice) n++
  return n
}
