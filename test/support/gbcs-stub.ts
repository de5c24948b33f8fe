// Synthetic header-only GBCS payloads (a GBCS general-signing header: 0xDF critical, 0xDD non-critical) for tests, fixtures and benches
// (test and bench support, not shipped).
// Not a real alert: no payload, no signature, no MAC contents. The layout is the one readGbcsHeader
// reads (see gbcs-header.ts).
import { Buffer } from 'node:buffer'

export interface GbcsStubOptions {
  /** true: bare General-Signing 0xDF frame (critical); false: 0xDD General-Ciphering around it */
  critical: boolean
  /** originator system title, EUI-64 `00-12-34-56-78-AB-CD-EF` */
  originator: string
  /** recipient system title, EUI-64 */
  recipient: string
  /** originator counter, 0..2^64-1 */
  counter: bigint | number | string
  /** GBCS message code in the other-information field (default 0x1000, as in the domain stubs) */
  messageCode?: number
}

function eui64Bytes(eui: string): number[] {
  const hex = eui.replace(/-/g, '')
  if (!/^[0-9A-Fa-f]{16}$/.test(hex)) throw new TypeError(`not an EUI-64: ${eui}`)
  return hex.match(/../g)!.map((h) => parseInt(h, 16))
}

function counterBytes(counter: bigint | number | string): number[] {
  let v = BigInt(counter)
  if (v < 0n || v >= 1n << 64n) throw new RangeError(`counter out of range: ${counter}`)
  const out: number[] = []
  for (let k = 0; k < 8; k++) {
    out.unshift(Number(v & 0xffn))
    v >>= 8n
  }
  return out
}

function signingFrame(o: GbcsStubOptions, cra: number): number[] {
  const code = o.messageCode ?? 0x1000
  return [
    0xdf, 0x09, cra,
    ...counterBytes(o.counter),
    8, ...eui64Bytes(o.originator),
    8, ...eui64Bytes(o.recipient),
    0x00, // date-time absent
    0x02, (code >> 8) & 0xff, code & 0xff, // other information: message code only
    0x00, // content length 0
  ]
}

/** Base64 GBCS header stub: 0xDF (critical) or 0xDD wrapping 0xDF (non-critical). */
export function buildGbcsStub(o: GbcsStubOptions): string {
  const inner = signingFrame(o, 0x03)
  if (o.critical) return Buffer.from(inner).toString('base64')
  // General-Ciphering: DD 00 + 5 bytes transaction id, length, security header 0x11 (authenticated),
  // the signing frame, a 12-byte (zero) MAC.
  const ciphered = [0x11, 0, 0, 0, 0, ...inner, ...new Array<number>(12).fill(0)]
  return Buffer.from([0xdd, 0, 0, 0, 0, 0, 0, ciphered.length, ...ciphered]).toString('base64')
}
