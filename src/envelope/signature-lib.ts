import { createRequire } from 'node:module'

// xml-crypto and its parser @xmldom/xmldom, loaded through require() with the few members used
// here typed locally: their own .d.ts files pull in TypeScript's DOM library
// (`/// <reference lib="dom" />`), which would change global types (fetch, Headers) for the
// whole project.

/** The slice of the DOM (as @xmldom/xmldom implements it) the signature check walks. */
export interface XNode {
  nodeType: number
  namespaceURI: string | null
  localName: string | null
  firstChild: XNode | null
  lastChild: XNode | null
  nextSibling: XNode | null
  previousSibling: XNode | null
  getAttribute(name: string): string | null
}

export interface XDocument {
  documentElement: XNode | null
}

export interface SignedXmlInstance {
  SignatureAlgorithms: Record<string, unknown>
  loadSignature(signature: XNode): void
  checkSignature(xml: string): boolean
  addReference(ref: { xpath: string; transforms: string[]; digestAlgorithm: string; uri: string; isEmptyUri: boolean }): void
  computeSignature(xml: string, opts: { prefix?: string; location?: { reference: string; action: 'append' | 'prepend' | 'before' | 'after' } }): void
  getSignedXml(): string
}

const require = createRequire(import.meta.url)

// Loaded on first use: only a gateway with security.verifySignatures checks signatures, and the two
// libraries took ~75 ms of every start (and of every pool worker's) that never does.
type SignedXmlClass = new (opts: Record<string, unknown>) => SignedXmlInstance
type DomParserClass = new (opts?: { errorHandler?: Record<string, (msg: string) => void> }) => { parseFromString(xml: string, mime: string): XDocument }
let signedXml: SignedXmlClass | undefined
let domParser: DomParserClass | undefined

/** xml-crypto's SignedXml */
export function SignedXml(): SignedXmlClass {
  return (signedXml ??= (require('xml-crypto') as { SignedXml: SignedXmlClass }).SignedXml)
}

/** @xmldom/xmldom's DOMParser */
export function DOMParser(): DomParserClass {
  return (domParser ??= (require('@xmldom/xmldom') as { DOMParser: DomParserClass }).DOMParser)
}
