import { sign, verify } from 'node:crypto'
import type { BinaryLike, KeyLike } from 'node:crypto'

// XML-DSig ECDSA-SHA256 (RFC 4051 §3.4.2 / XMLDSig 1.1 §6.4.3), the DUIS signature method. xml-crypto
// ships RSA and HMAC only; this is registered on each SignedXml instance
// (`SignatureAlgorithms[ECDSA_SHA256]`), as its README describes for custom algorithms.

export const ECDSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256'
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'
export const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'
export const DIGEST_SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256'

/**
 * XMLDSig 1.1 writes the ECDSA signature as r || s (IEEE P1363, 64 bytes for P-256), not DER.
 * A DER value (some Java signers) is accepted on verification too: it is the same signature.
 */
export class EcdsaSha256 {
  getSignature(signedInfo: BinaryLike, privateKey: KeyLike): string {
    const data = typeof signedInfo === 'string' ? Buffer.from(signedInfo, 'utf8') : signedInfo
    return sign('sha256', data as Buffer, { key: privateKey as string, dsaEncoding: 'ieee-p1363' }).toString('base64')
  }

  verifySignature(material: string, key: KeyLike, signatureValue: string): boolean {
    const value = Buffer.from(signatureValue.replace(/\s+/g, ''), 'base64')
    const dsaEncoding = value.length === 64 ? 'ieee-p1363' : 'der'
    try {
      return verify('sha256', Buffer.from(material, 'utf8'), { key: key as string, dsaEncoding }, value)
    } catch {
      return false // wrong key type or a value that is not an ECDSA signature
    }
  }

  getAlgorithmName(): string {
    return ECDSA_SHA256
  }
}
