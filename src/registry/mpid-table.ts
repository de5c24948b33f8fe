// MPID -> 15-bit code (the 16th bit of a stored period's code is period-rules.ts IMPLIED_END). MPIDs are
// 4 alphanumerics (upper-cased), packed into one number so a row
// is coded without building a string.
import { RegistryLoadError } from './errors.js'
import { MPID_MASK } from './period-rules.js'

export class MpidTable {
  readonly names: string[] = []
  readonly #byPacked = new Map<number, number>()
  /** codes of MPIDs some party holds */
  readonly #held = new Set<number>()

  constructor(partyMpids: Iterable<string>) {
    for (const m of partyMpids) this.#held.add(this.codeOfString(m))
  }

  codeOfString(m: string): number {
    const b = Buffer.from(m, 'latin1')
    return this.code(b, 0, b.length)
  }

  /** Code of the MPID in a[s, e), -1 unless exactly 4 ASCII letters or digits. */
  code(a: Uint8Array, s: number, e: number): number {
    if (e - s !== 4) return -1
    let packed = 0
    for (let i = s; i < e; i++) {
      let c = a[i]!
      if (c >= 97 && c <= 122) c -= 32
      else if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90))) return -1
      packed = packed * 256 + c
    }
    let code = this.#byPacked.get(packed)
    if (code === undefined) {
      code = this.names.length
      if (code > MPID_MASK) throw new RegistryLoadError('DCCGW_ERR_REGISTRY_LIMIT', 'registrations', `more than ${MPID_MASK + 1} distinct MPIDs`)
      this.names.push(String.fromCharCode(packed >>> 24, (packed >>> 16) & 255, (packed >>> 8) & 255, packed & 255))
      this.#byPacked.set(packed, code)
    }
    return code
  }

  held(code: number): boolean {
    return this.#held.has(code)
  }
}
