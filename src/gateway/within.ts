/** true when `p` settled within `ms`, false when the time ran out first (p keeps running). */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))))
  try {
    return await Promise.race([p.then(() => true, () => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}
