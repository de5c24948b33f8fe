// Signs DUIS documents the way the DCC does, for tests and demo tooling (not shipped: the gateway
// only verifies, src/envelope/signature-verify.ts).
import { DIGEST_SHA256, ECDSA_SHA256, ENVELOPED_SIGNATURE, EXC_C14N, EcdsaSha256 } from '../../src/envelope/index.js'
import { SignedXml } from '../../src/envelope/signature-lib.js'

/**
 * Signs a DUIS document the way the DCC does (tests, demo tooling): enveloped ds:Signature appended
 * as the last child of Response, one Reference URI="" with enveloped-signature + exclusive c14n.
 */
export async function signEnvelopedDuis(xml: string, privateKeyPem: string): Promise<string> {
  const sx = new (SignedXml())({ privateKey: privateKeyPem, signatureAlgorithm: ECDSA_SHA256, canonicalizationAlgorithm: EXC_C14N })
  sx.SignatureAlgorithms[ECDSA_SHA256] = EcdsaSha256
  sx.addReference({ xpath: '/*', transforms: [ENVELOPED_SIGNATURE, EXC_C14N], digestAlgorithm: DIGEST_SHA256, uri: '', isEmptyUri: true })
  sx.computeSignature(xml, { prefix: 'ds', location: { reference: '/*', action: 'append' } })
  return sx.getSignedXml()
}
