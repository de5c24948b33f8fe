// JSON-pointer helpers over plain parsed config data (keys are schema names: no escaping needed).
export type Plain = Record<string, unknown>

export const isPlainObject = (v: unknown): v is Plain =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

export function getAt(data: unknown, pointer: string): unknown {
  let node = data
  for (const key of pointer.split('/').slice(1)) {
    if (!isPlainObject(node)) return undefined
    node = node[key]
  }
  return node
}

/** Sets a leaf, creating missing objects; false when a non-object is in the way. */
export function setAt(data: Plain, pointer: string, value: unknown): boolean {
  const keys = pointer.split('/').slice(1)
  let node: Plain = data
  for (const key of keys.slice(0, -1)) {
    const next = node[key] ?? (node[key] = {})
    if (!isPlainObject(next)) return false
    node = next
  }
  node[keys[keys.length - 1]!] = value
  return true
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
