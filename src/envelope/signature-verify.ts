import { X509Certificate, createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { DOMParser, SignedXml } from './signature-lib.js'
import type { XNode } from './signature-lib.js'
import { NS_DS } from './names.js'
import { DIGEST_SHA256, ECDSA_SHA256, ENVELOPED_SIGNATURE, EXC_C14N, EcdsaSha256 } from './signature-algorithm.js'

// Optional check of the enveloped DUIS XML signature (security.verifySignatures; docs/operations.md, "Faults").
//
// DUIS (and DCC Boxed) sign the whole Response: one ds:Signature, the last child of Response,
// SignatureMethod ecdsa-sha256, exclusive c14n, one Reference URI="" with the
// enveloped-signature transform. The profile is pinned before xml-crypto is asked, so a document
// cannot choose a weaker algorithm or sign only a fragment (signature wrapping), and the key is
// only ever one of the configured DCC certificates: KeyInfo in the document is never trusted.
//
// The check reads the original bytes, and delivery sends those same bytes (docs/http.md, "Delivery"): the
// document is never re-serialised, so a valid signature stays valid at the adapter.

export type SignatureCheck = { ok: true } | { ok: false; detail: string }

/** Public keys from PEM files: CERTIFICATE blocks (their key) and PUBLIC KEY blocks. */
export function loadVerificationKeys(files: readonly string[]): KeyObject[] {
  const keys: KeyObject[] = []
  for (const file of files) {
    const pem = readFileSync(file, 'utf8')
    const blocks = pem.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g) ?? []
    for (const block of blocks) {
      keys.push(block.includes('BEGIN CERTIFICATE') ? new X509Certificate(block).publicKey : createPublicKey(block))
    }
    if (blocks.length === 0) throw new Error(`${file}: no PEM certificate or public key`)
  }
  return keys
}

const fail = (detail: string): SignatureCheck => ({ ok: false, detail })

/** Verifies `body`'s enveloped signature against any of `keys`. Never throws. */
export function verifyEnvelopedSignature(body: Uint8Array, keys: readonly KeyObject[]): SignatureCheck {
  let xml: string
  try {
    xml = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body)
  } catch {
    return fail('signature check: the document is not UTF-8')
  }
  let problem: string | undefined
  const doc = new (DOMParser())({ errorHandler: { error: (m: string) => (problem ??= m), fatalError: (m: string) => (problem ??= m) } })
    .parseFromString(xml, 'text/xml')
  const root = doc?.documentElement
  if (problem !== undefined || root == null) return fail('signature check: the document could not be read')
  const sig = lastElementChild(root)
  if (sig === undefined || sig.namespaceURI !== NS_DS || sig.localName !== 'Signature') return fail('no enveloped ds:Signature (last child of Response)')
  const profile = checkProfile(sig)
  if (profile !== undefined) return fail(profile)
  if (keys.length === 0) return fail('security.dccCertificates holds no key')
  let last = 'signature does not verify'
  for (const key of keys) {
    const sx = new (SignedXml())({ publicCert: key, getCertFromKeyInfo: () => null })
    sx.SignatureAlgorithms[ECDSA_SHA256] = EcdsaSha256
    try {
      sx.loadSignature(sig)
      if (sx.checkSignature(xml)) return { ok: true }
      last = 'digest of the signed document does not match (the document was changed after signing)'
    } catch (err) {
      last = (err as Error).message.startsWith('invalid signature') ? 'signature value does not verify against security.dccCertificates' : (err as Error).message
    }
  }
  return fail(last)
}

/** The DUIS profile; returns what is wrong, or undefined. */
function checkProfile(sig: XNode): string | undefined {
  const signedInfo = dsChildren(sig, 'SignedInfo')
  if (signedInfo.length !== 1) return 'ds:Signature must hold exactly one ds:SignedInfo'
  const si = signedInfo[0]!
  const c14n = dsChildren(si, 'CanonicalizationMethod')[0]?.getAttribute('Algorithm')
  if (c14n !== EXC_C14N) return `CanonicalizationMethod ${c14n ?? '(none)'}: expected exclusive c14n`
  const method = dsChildren(si, 'SignatureMethod')[0]?.getAttribute('Algorithm')
  if (method !== ECDSA_SHA256) return `SignatureMethod ${method ?? '(none)'}: expected ecdsa-sha256`
  const refs = dsChildren(si, 'Reference')
  if (refs.length !== 1 || refs[0]!.getAttribute('URI') !== '') return 'expected exactly one ds:Reference with URI="" (the whole document)'
  const digest = dsChildren(refs[0]!, 'DigestMethod')[0]?.getAttribute('Algorithm')
  if (digest !== DIGEST_SHA256) return `DigestMethod ${digest ?? '(none)'}: expected sha256`
  const transforms = dsChildren(refs[0]!, 'Transforms').flatMap((t) => dsChildren(t, 'Transform')).map((t) => t.getAttribute('Algorithm'))
  if (!transforms.includes(ENVELOPED_SIGNATURE) || transforms.some((t) => t !== ENVELOPED_SIGNATURE && t !== EXC_C14N)) {
    return 'Transforms must be enveloped-signature (and exclusive c14n) only'
  }
  return undefined
}

function lastElementChild(el: XNode): XNode | undefined {
  for (let n = el.lastChild; n !== null; n = n.previousSibling) if (n.nodeType === 1) return n
  return undefined
}

function dsChildren(el: XNode, local: string): XNode[] {
  const out: XNode[] = []
  for (let n = el.firstChild; n !== null; n = n.nextSibling) {
    if (n.nodeType === 1 && n.namespaceURI === NS_DS && n.localName === local) out.push(n)
  }
  return out
}
