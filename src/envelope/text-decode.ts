// Bytes -> string prelude and XML reference decoding, shared by the scanner and the reference parser.
import { Buffer, isUtf8 } from 'node:buffer'
import { EnvelopeErrors, reject } from './errors.js'
import type { EnvelopeRejection } from './types.js'

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' }

/** XML 1.0 Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF] */
function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
}

export interface BadReference { badRef: string; index: number }

/**
 * Decode the five predefined entities and numeric character references (`&#13;` occurs in
 * ds:SignatureValue). Any other named entity is refused: DTDs are never read, so it cannot be defined.
 */
export function decodeReferences(raw: string): string | BadReference {
  let amp = raw.indexOf('&')
  if (amp === -1) return raw
  let out = ''
  let from = 0
  while (amp !== -1) {
    const semi = raw.indexOf(';', amp + 1)
    const name = semi === -1 || semi - amp > 12 ? '' : raw.slice(amp + 1, semi)
    let ch: string | undefined
    if (name.charCodeAt(0) === 0x23 /* # */) {
      const hex = name.charCodeAt(1) === 0x78 /* x */
      const digits = name.slice(hex ? 2 : 1)
      if (digits !== '' && (hex ? /^[0-9A-Fa-f]+$/ : /^[0-9]+$/).test(digits)) {
        const cp = parseInt(digits, hex ? 16 : 10)
        if (isXmlChar(cp)) ch = String.fromCodePoint(cp)
      }
    } else if (name !== '') {
      ch = PREDEFINED[name]
    }
    if (ch === undefined) {
      return { badRef: semi === -1 || semi - amp > 12 ? raw.slice(amp, amp + 12) : raw.slice(amp, semi + 1), index: amp }
    }
    out += raw.slice(from, amp) + ch
    from = semi + 1
    amp = raw.indexOf('&', from)
  }
  return out + raw.slice(from)
}

export type Decoded = { ok: true; text: string; start: number } | { ok: false; error: EnvelopeRejection }

/**
 * UTF-8 only (DUIS is UTF-8): a UTF-8 BOM is skipped, UTF-16 (with or without BOM) is refused with
 * a clear detail, and so is an XML declaration naming another encoding. `start` is the offset of
 * the first character after the XML declaration.
 */
export function decodeBody(body: Uint8Array): Decoded {
  if (body.length === 0) return reject(EnvelopeErrors.NOT_WELL_FORMED, 'empty body: expected a DUIS XML document')
  const b0 = body[0]!
  const b1 = body.length > 1 ? body[1]! : -1
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    return reject(EnvelopeErrors.ENCODING, 'UTF-16 byte order mark at byte 0: expected UTF-8 (DUIS documents are UTF-8)')
  }
  if ((b0 === 0x3c && b1 === 0) || (b0 === 0 && b1 === 0x3c)) {
    return reject(EnvelopeErrors.ENCODING, 'UTF-16 without byte order mark at byte 0: expected UTF-8')
  }
  const skip = b0 === 0xef && b1 === 0xbb && body[2] === 0xbf ? 3 : 0
  const buf = Buffer.from(body.buffer, body.byteOffset + skip, body.length - skip)
  if (!isUtf8(buf)) {
    const text = buf.toString('utf8')
    const bad = Buffer.byteLength(text.slice(0, Math.max(0, text.indexOf('\uFFFD'))))
    return reject(EnvelopeErrors.ENCODING, `invalid UTF-8 byte sequence near byte ${bad + skip}: expected UTF-8`)
  }
  const text = buf.toString('utf8')
  let start = 0
  if (text.startsWith('<?xml') && /^<\?xml[\s?]/.test(text.slice(0, 6))) {
    const end = text.indexOf('?>')
    if (end === -1) return reject(EnvelopeErrors.NOT_WELL_FORMED, 'XML declaration at line 1 is not closed: expected "?>"')
    const decl = text.slice(0, end)
    const enc = /\sencoding\s*=\s*["']([^"']*)["']/.exec(decl)
    if (enc !== null && !/^(utf-?8|us-ascii)$/i.test(enc[1]!)) {
      return reject(EnvelopeErrors.ENCODING, `XML declaration at line 1 names encoding ${JSON.stringify(enc[1]!.slice(0, 40))}: expected UTF-8`)
    }
    start = end + 2
  }
  return { ok: true, text, start }
}
