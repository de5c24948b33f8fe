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

export const SignedXml = (require('xml-crypto') as { SignedXml: new (opts: Record<string, unknown>) => SignedXmlInstance }).SignedXml

export const DOMParser = (require('@xmldom/xmldom') as {
  DOMParser: new (opts?: { errorHandler?: Record<string, (msg: string) => void> }) => { parseFromString(xml: string, mime: string): XDocument }
}).DOMParser
