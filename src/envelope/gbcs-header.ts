// Reads the GBCS MAC/grouping header at the start of a GBCSPayload (base64), following
// SmartDCCInnovation/gbcs-parser parseGeneralSigning / parseGeneralCiphering:
//
// General-Signing (critical, device-signed), from byte i (= 0 for a bare 0xDF frame):
//   i+0   DF 09                    General Signing tag
//   i+2   CRA flag                 1 command, 2 response, 3 alert
//   i+3   8 bytes                  originator counter (big-endian uint64)
//   i+11  08 + 8 bytes             originator system title (device EUI-64)
//   i+20  08 + 8 bytes             recipient system title (User or DCC EUI-64)
//   i+29  len + date-time          DLMS octet string, length 0 or 12
//   then  len + other information  message code (2); if len >= 10 a Supplementary Remote Party
//         ID (8) that gbcs-parser takes as the recipient; if len == 26 a Supplementary
//         Originator Counter (8, after the remote party counter) that replaces the counter.
// General-Ciphering (0xDD 0x00, non-critical): DD + 6 bytes, an encoded length, a 5-byte security
// header (0x11 = authenticated, not encrypted), then the inner General-Signing frame.
// Encoded length (gbcs-parser parseLength): one byte, or 0x8n followed by n (<= 3) length bytes.
import { Buffer } from 'node:buffer'
import type { GbcsHeader } from './types.js'

/** 128 base64 characters = 96 bytes: enough for the longest header (DD wrapper + 26-byte other info). */
const PREFIX_CHARS = 128

const HEX = Array.from({ length: 256 }, (_, k) => k.toString(16).padStart(2, '0').toUpperCase())

function hexTitle(b: Uint8Array, at: number): string {
  return `${HEX[b[at]!]}-${HEX[b[at + 1]!]}-${HEX[b[at + 2]!]}-${HEX[b[at + 3]!]}-${HEX[b[at + 4]!]}-${HEX[b[at + 5]!]}-${HEX[b[at + 6]!]}-${HEX[b[at + 7]!]}`
}

/** Big-endian uint64 as a decimal string; BigInt only when the value needs more than 53 bits. */
function counterAt(b: Uint8Array, at: number): string {
  const hi = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0
  const lo = ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0
  if (hi < 0x200000) return String(hi * 0x100000000 + lo)
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString()
}

/** [length, bytes used] of a GBCS encoded length at `at`, or undefined when truncated. */
function lengthAt(b: Uint8Array, at: number): [number, number] | undefined {
  if (at >= b.length) return undefined
  const first = b[at]!
  if ((first & 0x80) === 0) return [first, 1]
  const n = first & 3
  if (at + n >= b.length) return undefined
  let len = 0
  for (let k = 1; k <= n; k++) len = len * 256 + b[at + k]!
  return [len, n + 1]
}

function readSigning(b: Uint8Array, i: number, out: GbcsHeader): void {
  if (b.length < i + 29 || b[i] !== 0xdf || b[i + 1] !== 0x09 || b[i + 11] !== 8 || b[i + 20] !== 8) return
  out.counter = counterAt(b, i + 3)
  out.originator = hexTitle(b, i + 12)
  out.recipient = hexTitle(b, i + 21)
  const dt = lengthAt(b, i + 29)
  if (dt === undefined) return
  const oiAt = i + 29 + dt[1] + dt[0]
  const oi = lengthAt(b, oiAt)
  if (oi === undefined) return
  const body = oiAt + oi[1]
  const len = oi[0]
  if (len >= 10 && body + 10 <= b.length) out.recipient = hexTitle(b, body + 2)
  if (len === 26 && body + 26 <= b.length) out.counter = counterAt(b, body + 18)
}

/** Decode only a prefix of the base64 payload; never fails: an unreadable header gives just firstByte. */
export function readGbcsHeader(base64: string): GbcsHeader | undefined {
  let prefix = base64.length > PREFIX_CHARS * 2 ? base64.slice(0, PREFIX_CHARS * 2) : base64
  if (/\s/.test(prefix)) prefix = prefix.replace(/\s+/g, '')
  if (prefix.length > PREFIX_CHARS) prefix = prefix.slice(0, PREFIX_CHARS)
  const b = Buffer.from(prefix, 'base64')
  if (b.length === 0) return undefined
  const out: GbcsHeader = { firstByte: b[0]! }
  if (b[0] === 0xdf) {
    readSigning(b, 0, out)
  } else if (b[0] === 0xdd && b[1] === 0x00) {
    const len = lengthAt(b, 7)
    if (len !== undefined) readSigning(b, 7 + len[1] + 5, out)
  }
  return out
}
