// Hot path: one pass over the decoded document, no tree. The scanner checks well-formedness
// (tags balanced and matched, one root, attribute syntax, references, no DTD, no PIs), resolves
// namespaces from the xmlns declarations in scope, enforces EnvelopeLimits, and feeds
// (namespace URI, local name) events to an EnvelopeCollector, which knows DUIS.
// Every loop advances with indexOf or a bounded character walk, so time is linear in the body and
// memory is bounded by maxDepth x MAX_ATTRIBUTES namespace bindings plus the captured fields.
import { EnvelopeCollector } from './envelope-collector.js'
import { EnvelopeErrors, lineAt, reject, show, type EnvelopeErrorCode } from './errors.js'
import { NS_XML } from './names.js'
import { decodeBody, decodeReferences } from './text-decode.js'
import type { EnvelopeLimits, ParseResult } from './types.js'

/** Attributes per element (DUIS uses at most a handful); bounds the duplicate check and the xmlns scope. */
export const MAX_ATTRIBUTES = 64
/** Element and attribute names longer than this are refused (DUIS names are < 40 characters). */
const MAX_NAME = 256

/** XML Namespaces QName: (NCName ':')? NCName, NCName approximated on the BMP. */
const QNAME = /^[A-Za-z_\u00C0-\uFFFF][-.\w\u00B7-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][-.\w\u00B7-\uFFFF]*)?$/

/** Names already checked against QNAME: DUIS reuses a few dozen names, so most checks are a Set hit. */
const knownNames = new Set<string>()

function isName(name: string): boolean {
  if (knownNames.has(name)) return true
  if (!QNAME.test(name)) return false
  if (knownNames.size < 4096) knownNames.add(name)
  return true
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d
}

// Detail = what was wrong, where (line), and what was expected: the location goes before the first ': '.
function fail(s: string, code: EnvelopeErrorCode, at: number, what: string): ParseResult {
  const where = ` at line ${lineAt(s, at)}`
  const k = what.indexOf(': ')
  return reject(code, k === -1 ? `${what}${where}` : `${what.slice(0, k)}${where}${what.slice(k)}`)
}

function allWs(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isWs(s.charCodeAt(k))) return false
  return true
}

export function scanEnvelope(body: Uint8Array, limits: EnvelopeLimits): ParseResult {
  const decoded = decodeBody(body)
  if (!decoded.ok) return decoded
  return scanText(decoded.text, decoded.start, limits)
}

function scanText(s: string, start: number, limits: EnvelopeLimits): ParseResult {
  const n = s.length
  const col = new EnvelopeCollector(s)
  const qnames: string[] = []
  const marks: number[] = []
  // Namespace bindings in scope: a stack with an explicit top (cheaper than resizing arrays).
  const prefixes: string[] = ['xml']
  const uris: string[] = [NS_XML]
  let nb = 1
  const attrNames: string[] = []
  const attrValues: string[] = []
  let na = 0
  let depth = 0
  let elements = 0
  let rootDone = false
  let nextAmp = s.indexOf('&', start)
  let i = start

  while (i < n) {
    let lt = s.indexOf('<', i)
    if (lt === -1) lt = n
    if (lt > i) {
      // Character data between markup.
      if (depth === 0) {
        if (!allWs(s, i, lt)) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, i, rootDone ? 'content after the root element: expected only comments or whitespace' : 'text before the root element: expected <Response>')
      } else {
        if (lt - i > limits.maxTextLength) return fail(s, EnvelopeErrors.LIMIT, i, `text of ${lt - i} characters in ${qnames[depth - 1]}: expected at most ${limits.maxTextLength}`)
        if (nextAmp !== -1 && nextAmp < i) nextAmp = s.indexOf('&', i)
        let text: string | undefined
        if (nextAmp !== -1 && nextAmp < lt) {
          const d = decodeReferences(s.slice(i, lt))
          if (typeof d !== 'string') return fail(s, EnvelopeErrors.ENTITY, i + d.index, `reference ${show(d.badRef)} in ${qnames[depth - 1]}: expected &lt; &gt; &amp; &apos; &quot; or a character reference (no DTD entities)`)
          text = d
        }
        if (col.capturing) col.text(text ?? s.slice(i, lt))
      }
    }
    if (lt === n) break
    i = lt
    const c1 = s.charCodeAt(i + 1)
    if (c1 === 0x2f /* / */) {
      // End tag: must match the open element's qualified name exactly.
      if (depth === 0) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, i, 'end tag without a matching start tag: expected a start tag first')
      const expected = qnames[depth - 1]!
      let j = i + 2 + expected.length
      if (!s.startsWith(expected, i + 2) || !(isWs(s.charCodeAt(j)) || s.charCodeAt(j) === 0x3e)) {
        const gt = s.indexOf('>', i)
        return fail(s, EnvelopeErrors.NOT_WELL_FORMED, i, `end tag ${show(s.slice(i, gt === -1 ? i + 40 : Math.min(gt + 1, i + 80)))}: expected </${expected}>`)
      }
      while (j < n && isWs(s.charCodeAt(j))) j++
      if (s.charCodeAt(j) !== 0x3e) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, i, `end tag </${expected}> is not closed: expected ">"`)
      if (!col.end()) return { ok: false, error: col.error! }
      qnames.pop()
      nb = marks.pop()!
      if (--depth === 0) rootDone = true
      i = j + 1
    } else if (c1 === 0x21 /* ! */) {
      if (s.startsWith('<!--', i)) {
        const end = s.indexOf('-->', i + 4)
        if (end === -1) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, i, 'comment is not closed: expected "-->"')
        i = end + 3
      } else if (s.startsWith('<![CDATA[', i)) {
        // CDATA is text content, taken literally (no references).
        const end = s.indexOf(']]>', i + 9)
        if (depth === 0) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, i, 'CDATA section outside the root element: expected it inside an element')
        if (end === -1) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, i, 'CDATA section is not closed: expected "]]>"')
        if (end - i - 9 > limits.maxTextLength) return fail(s, EnvelopeErrors.LIMIT, i, `CDATA section of ${end - i - 9} characters: expected at most ${limits.maxTextLength}`)
        if (col.capturing) col.text(s.slice(i + 9, end))
        i = end + 3
      } else if (s.startsWith('<!DOCTYPE', i) || s.startsWith('<!ENTITY', i)) {
        return fail(s, EnvelopeErrors.DTD, i, `${s.startsWith('<!D', i) ? '<!DOCTYPE' : '<!ENTITY'}: expected no DTD (DTDs and entity declarations are refused, never expanded)`)
      } else {
        return fail(s, EnvelopeErrors.NOT_WELL_FORMED, i, 'markup "<!": expected a comment or a CDATA section')
      }
    } else if (c1 === 0x3f /* ? */) {
      const target = /^<\?([^\s?]*)/.exec(s.slice(i, i + 40))![1]!
      return fail(s, EnvelopeErrors.PROCESSING_INSTRUCTION, i, `processing instruction <?${target.slice(0, 30)}: expected no processing instruction (only the XML declaration, at the very start)`)
    } else {
      // Start tag: name, attributes (xmlns declarations first applied to this element's scope).
      let j = i + 1
      while (j < n) {
        const c = s.charCodeAt(j)
        if (isWs(c) || c === 0x3e || c === 0x2f || c === 0x3c || j - i > MAX_NAME) break
        j++
      }
      const qname = s.slice(i + 1, j)
      if (!isName(qname)) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, i, `element name ${show(qname)}: expected an XML name`)
      if (depth === 0 && rootDone) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, i, `second root element <${qname}>: expected one root`)
      const mark = nb
      let selfClose = false
      let closed = false
      na = 0
      while (j < n) {
        const before = j
        while (j < n && isWs(s.charCodeAt(j))) j++
        const c = s.charCodeAt(j)
        if (c === 0x3e) { closed = true; j++; break }
        if (c === 0x2f) {
          if (s.charCodeAt(j + 1) !== 0x3e) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, j, `"/" in <${qname}>: expected "/>"`)
          selfClose = closed = true
          j += 2
          break
        }
        if (j === before) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, j, `<${qname}>: expected whitespace before an attribute`)
        const nameAt = j
        while (j < n) {
          const k = s.charCodeAt(j)
          if (k === 0x3d || isWs(k) || k === 0x3e || k === 0x2f || k === 0x3c || j - nameAt > MAX_NAME) break
          j++
        }
        const aname = s.slice(nameAt, j)
        while (j < n && isWs(s.charCodeAt(j))) j++
        if (!isName(aname) || s.charCodeAt(j) !== 0x3d) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, nameAt, `attribute ${show(aname)} of <${qname}>: expected name="value"`)
        j++
        while (j < n && isWs(s.charCodeAt(j))) j++
        const q = s.charCodeAt(j)
        if (q !== 0x22 && q !== 0x27) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, j, `attribute ${aname} of <${qname}>: expected a quoted value`)
        const end = s.indexOf(q === 0x22 ? '"' : "'", j + 1)
        if (end === -1) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, j, `attribute ${aname} of <${qname}>: value is not closed`)
        if (end - j - 1 > limits.maxAttributeLength) return fail(s, EnvelopeErrors.LIMIT, nameAt, `attribute ${aname} of <${qname}> is ${end - j - 1} characters: expected at most ${limits.maxAttributeLength}`)
        let value = s.slice(j + 1, end)
        if (value.indexOf('<') !== -1) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, j, `attribute ${aname} of <${qname}> contains "<": expected no "<" in an attribute value`)
        if (value.indexOf('&') !== -1) {
          const d = decodeReferences(value)
          if (typeof d !== 'string') return fail(s, EnvelopeErrors.ENTITY, j, `reference ${show(d.badRef)} in attribute ${aname}: expected a predefined entity or a character reference`)
          value = d
        }
        if (na >= MAX_ATTRIBUTES) return fail(s, EnvelopeErrors.LIMIT, i, `<${qname}> has more than ${MAX_ATTRIBUTES} attributes: expected at most ${MAX_ATTRIBUTES}`)
        if (na > 0 && attrNames.lastIndexOf(aname, na - 1) !== -1) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, nameAt, `duplicate attribute ${aname} in <${qname}>: expected each attribute once`)
        attrNames[na] = aname
        attrValues[na++] = value
        if (aname === 'xmlns') {
          prefixes[nb] = ''
          uris[nb++] = value
        } else if (aname.startsWith('xmlns:')) {
          const p = aname.slice(6)
          if (value === '' || p === 'xmlns' || (p === 'xml') !== (value === NS_XML)) {
            return fail(s, EnvelopeErrors.NAMESPACE, nameAt, `namespace declaration ${aname}=${show(value)}: expected a non-empty URI (xml and xmlns are reserved)`)
          }
          prefixes[nb] = p
          uris[nb++] = value
        }
        j = end + 1
      }
      if (!closed) return fail(s, EnvelopeErrors.NOT_WELL_FORMED, i, `start tag <${qname}> is not closed: expected ">"`)
      // Resolve the element's namespace from the bindings in scope (innermost first).
      const colon = qname.indexOf(':')
      const prefix = colon === -1 ? '' : qname.slice(0, colon)
      let uri: string | undefined
      for (let k = nb - 1; k >= 0; k--) if (prefixes[k] === prefix) { uri = uris[k]; break }
      if (uri === undefined) {
        if (colon !== -1) return fail(s, EnvelopeErrors.NAMESPACE, i, `undeclared namespace prefix "${prefix}" on <${qname}>: expected an xmlns:${prefix} declaration in scope`)
        uri = ''
      }
      for (let a = 0; a < na; a++) {
        const an = attrNames[a]!
        const ac = an.indexOf(':')
        if (ac === -1 || an.startsWith('xmlns:')) continue
        const ap = an.slice(0, ac)
        if (prefixes.lastIndexOf(ap, nb - 1) === -1) return fail(s, EnvelopeErrors.NAMESPACE, i, `undeclared namespace prefix "${ap}" on attribute ${an}: expected an xmlns:${ap} declaration in scope`)
      }
      if (++depth > limits.maxDepth) return fail(s, EnvelopeErrors.LIMIT, i, `element <${qname}> at depth ${depth}: expected at most ${limits.maxDepth}`)
      if (++elements > limits.maxElements) return fail(s, EnvelopeErrors.LIMIT, i, `element count over ${limits.maxElements}: expected at most ${limits.maxElements} elements`)
      if (!col.start(uri, qname.slice(colon + 1), i)) return { ok: false, error: col.error! }
      if (depth === 1) {
        for (let a = 0; a < na; a++) col.rootAttribute(attrNames[a]!, attrValues[a]!)
      }
      if (selfClose) {
        if (!col.end()) return { ok: false, error: col.error! }
        nb = mark
        if (--depth === 0) rootDone = true
      } else {
        qnames.push(qname)
        marks.push(mark)
      }
      i = j
    }
  }
  if (depth > 0) return reject(EnvelopeErrors.NOT_WELL_FORMED, `end of document inside <${qnames[depth - 1]}>: expected </${qnames.slice(0, depth).reverse().join('></')}>`)
  if (!rootDone) return reject(EnvelopeErrors.NOT_WELL_FORMED, 'no root element: expected a DUIS Response document')
  return col.finish()
}
