// Reference parser: the same ParseResult, read with fast-xml-parser 5 instead of the hand scanner.
// Test and bench support, not shipped: a cross-check in tests (both must agree on every fixture)
// and a bench contender.
// fast-xml-parser keeps prefixes; namespaces are resolved here from the xmlns declarations in
// scope and only the resolved URI + local name reach the EnvelopeCollector. DTDs are refused
// before parsing; processEntities is off and references are decoded by decodeReferences (the five
// predefined + numeric only). GBCSPayload and ds:Signature are stop nodes (kept raw, not parsed).
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { EnvelopeCollector } from '../../src/envelope/envelope-collector.js'
import { EnvelopeErrors, reject, show } from '../../src/envelope/errors.js'
import { NS_XML } from '../../src/envelope/names.js'
import { decodeBody, decodeReferences } from '../../src/envelope/text-decode.js'
import type { EnvelopeLimits, ParseResult } from '../../src/envelope/types.js'

type XNode = Record<string, unknown> & { ':@'?: Record<string, string> }
interface Walk { col: EnvelopeCollector; limits: EnvelopeLimits; elements: number; scope: Array<[string, string]>; error?: ParseResult }

const parsers = new Map<string, XMLParser>()

/** A parser whose stop nodes cover every prefix declared in the document (stopNodes match qualified names). */
function parserFor(text: string): XMLParser {
  const prefixes = new Set<string>()
  for (const m of text.matchAll(/xmlns:([^\s=]+)\s*=/g)) prefixes.add(m[1]!)
  const key = [...prefixes].sort().join(' ')
  let p = parsers.get(key)
  if (p === undefined) {
    const stopNodes = ['..GBCSPayload', '..Signature']
    for (const px of prefixes) stopNodes.push(`..${px}:GBCSPayload`, `..${px}:Signature`)
    p = new XMLParser({
      preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', processEntities: false,
      htmlEntities: false, trimValues: false, parseTagValue: false, parseAttributeValue: false,
      cdataPropName: '#cdata', ignoreDeclaration: true, ignorePiTags: false, stopNodes,
    })
    if (parsers.size > 64) parsers.clear()
    parsers.set(key, p)
  }
  return p
}

function fail(w: Walk, r: ParseResult): false {
  w.error = r
  return false
}

function text(w: Walk, raw: string, where: string): boolean {
  if (raw.length > w.limits.maxTextLength) return fail(w, reject(EnvelopeErrors.LIMIT, `text of ${raw.length} characters in ${where}: limit ${w.limits.maxTextLength}`))
  const d = decodeReferences(raw)
  if (typeof d !== 'string') return fail(w, reject(EnvelopeErrors.ENTITY, `reference ${show(d.badRef)} in ${where}: expected a predefined entity or a character reference`))
  if (w.col.capturing) w.col.text(d)
  return true
}

/** Raw stop-node content: CDATA and text go to the collector; any element counts against the limits. */
function rawContent(w: Walk, raw: string, depth: number, where: string): boolean {
  const re = /<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<(\/?)[^>]*?(\/?)>|[^<]+/g
  let d = depth
  for (const m of raw.matchAll(re)) {
    const tok = m[0]
    if (tok.startsWith('<!--')) continue
    if (m[1] !== undefined) {
      if (w.col.capturing) w.col.text(m[1])
    } else if (tok.startsWith('<?')) {
      return fail(w, reject(EnvelopeErrors.PROCESSING_INSTRUCTION, `processing instruction in ${where}: only the XML declaration is accepted`))
    } else if (tok.startsWith('<')) {
      if (m[2] === '/') { d--; continue }
      if (++w.elements > w.limits.maxElements) return fail(w, reject(EnvelopeErrors.LIMIT, `element count over ${w.limits.maxElements}`))
      if (d + 1 > w.limits.maxDepth) return fail(w, reject(EnvelopeErrors.LIMIT, `depth ${d + 1} in ${where}: limit ${w.limits.maxDepth}`))
      if (w.col.capturing) return w.col.start('', 'element', -1) || fail(w, { ok: false, error: w.col.error! })
      if (m[3] !== '/') d++
    } else if (!text(w, tok, where)) {
      return false
    }
  }
  return true
}

function resolve(w: Walk, prefix: string): string | undefined {
  for (let k = w.scope.length - 1; k >= 0; k--) if (w.scope[k]![0] === prefix) return w.scope[k]![1]
  return prefix === '' ? '' : undefined
}

function element(w: Walk, qname: string, node: XNode, depth: number): boolean {
  if (qname.startsWith('?')) return fail(w, reject(EnvelopeErrors.PROCESSING_INSTRUCTION, `processing instruction <${qname}: only the XML declaration is accepted`))
  const mark = w.scope.length
  const attrs = node[':@'] ?? {}
  for (const [name, raw] of Object.entries(attrs)) {
    if (raw.length > w.limits.maxAttributeLength) return fail(w, reject(EnvelopeErrors.LIMIT, `attribute ${name} of <${qname}> is ${raw.length} characters: limit ${w.limits.maxAttributeLength}`))
    if (raw.includes('<')) return fail(w, reject(EnvelopeErrors.NOT_WELL_FORMED, `attribute ${name} of <${qname}>: "<" is not allowed in an attribute value`))
    const v = decodeReferences(raw)
    if (typeof v !== 'string') return fail(w, reject(EnvelopeErrors.ENTITY, `reference ${show(v.badRef)} in attribute ${name}`))
    if (name === 'xmlns') w.scope.push(['', v])
    else if (name.startsWith('xmlns:')) {
      const p = name.slice(6)
      if (v === '' || p === 'xmlns' || (p === 'xml') !== (v === NS_XML)) return fail(w, reject(EnvelopeErrors.NAMESPACE, `namespace declaration ${name}=${show(v)}`))
      w.scope.push([p, v])
    }
  }
  const colon = qname.indexOf(':')
  const uri = resolve(w, colon === -1 ? '' : qname.slice(0, colon))
  if (uri === undefined) return fail(w, reject(EnvelopeErrors.NAMESPACE, `undeclared namespace prefix on <${qname}>`))
  for (const name of Object.keys(attrs)) {
    const ac = name.indexOf(':')
    if (ac !== -1 && !name.startsWith('xmlns:') && resolve(w, name.slice(0, ac)) === undefined) return fail(w, reject(EnvelopeErrors.NAMESPACE, `undeclared namespace prefix on attribute ${name}`))
  }
  if (depth > w.limits.maxDepth) return fail(w, reject(EnvelopeErrors.LIMIT, `element <${qname}> at depth ${depth}: limit ${w.limits.maxDepth}`))
  if (++w.elements > w.limits.maxElements) return fail(w, reject(EnvelopeErrors.LIMIT, `element count over ${w.limits.maxElements}`))
  const local = qname.slice(colon + 1)
  if (!w.col.start(uri, local, -1)) return fail(w, { ok: false, error: w.col.error! })
  if (depth === 1) for (const [name, raw] of Object.entries(attrs)) w.col.rootAttribute(name, decodeReferences(raw) as string)
  const children = node[qname] as XNode[]
  const stop = local === 'GBCSPayload' || local === 'Signature'
  if (!children.every((child) => visit(w, child, depth + 1, qname, stop))) return false
  if (!w.col.end()) return fail(w, { ok: false, error: w.col.error! })
  w.scope.length = mark
  return true
}

function visit(w: Walk, child: XNode, depth: number, parent: string, stop: boolean): boolean {
  if ('#text' in child) {
    const raw = String(child['#text'])
    return stop ? rawContent(w, raw, depth - 1, parent) : text(w, raw, parent)
  }
  if ('#cdata' in child) {
    const parts = child['#cdata'] as Array<{ '#text': string }>
    for (const p of parts) if (w.col.capturing) w.col.text(String(p['#text']))
    return true
  }
  const key = Object.keys(child).find((k) => k !== ':@')
  return key === undefined || element(w, key, child, depth)
}

export function parseEnvelopeReference(body: Uint8Array, limits: EnvelopeLimits): ParseResult {
  const decoded = decodeBody(body)
  if (!decoded.ok) return decoded
  const xml = decoded.text.slice(decoded.start)
  const dtd = /<!DOCTYPE|<!ENTITY/.exec(xml)
  if (dtd !== null) return reject(EnvelopeErrors.DTD, `${dtd[0]}: DTDs and entity declarations are refused (never expanded)`)
  const pi = /<\?/.exec(xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->/g, ''))
  if (pi !== null) return reject(EnvelopeErrors.PROCESSING_INSTRUCTION, 'processing instruction: only the XML declaration at the very start is accepted')
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false })
  if (valid !== true) return reject(EnvelopeErrors.NOT_WELL_FORMED, `${valid.err.msg} at line ${valid.err.line}`)
  const tree = parserFor(xml).parse(xml) as XNode[]
  const w: Walk = { col: new EnvelopeCollector(undefined), limits, elements: 0, scope: [['xml', NS_XML]] }
  const roots = tree.filter((n) => !('#text' in n))
  if (roots.length !== 1) return reject(EnvelopeErrors.NOT_WELL_FORMED, `${roots.length} root elements: expected one`)
  if (!visit(w, roots[0]!, 1, '', false)) return w.error!
  return w.col.finish()
}
