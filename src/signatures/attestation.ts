import type {KeyObject} from 'node:crypto'
import {dsse} from '@sigstore/core'
import {verifyParsedBundle, parseBundle, type SignerPolicy} from './bundle.js'
import {asVerifyResult, checkLoggedSigner, keyWithoutTlog, readSet, readSignerAnnotations, setVerificationMaterial, verifiesWithKey, type SetEntry} from './cosign-layer.js'
import {fail, parseSha256Digest, sha256Hex, type Verified, type VerifyResult} from './failure.js'
import {compileIdentityPolicy} from './identity.js'
import {checkSubject, parseDsseEnvelope, parseStatement, type Statement} from './intoto.js'
import {dig} from '../json.js'
import type {TrustRoot} from './trust-root.js'

/** Media type of the layers of a cosign `sha256-<hex>.att` manifest. */
export const DSSE_LAYER_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json'

export interface CosignAttestationLayer {
  /** The layer bytes: a DSSE envelope as JSON. */
  envelope: Buffer
  annotations: Record<string, string>
}

export interface CosignAttestationOptions {
  trustRoot: TrustRoot
  policy: SignerPolicy
  /** The image the statement must be about, `sha256:<hex>`. */
  imageDigest: string
  allowMissingTlog?: boolean
}

export type CosignAttestationResult = (Verified & {statement: Statement}) | Extract<VerifyResult, {ok: false}>

/**
 * Verify one layer of a legacy `.att` manifest: a DSSE envelope whose log entry (SET in the layer annotations) is
 * an `intoto` v0.0.2 Rekor entry. Converted into a v0.1 DSSE bundle so the chain, SET, signature and identity
 * steps are the bundle pipeline's; the subject binding (statement about this image) happens there too.
 */
export function verifyCosignAttestation(layer: CosignAttestationLayer, opts: CosignAttestationOptions): CosignAttestationResult {
  const identity = 'identity' in opts.policy ? compileIdentityPolicy(opts.policy.identity) : undefined
  return asVerifyResult(() => {
    const env = readEnvelope(layer.envelope)
    const statement = parseStatement(env.payloadType, env.payload)
    const want = parseSha256Digest(opts.imageDigest)
    if (!want) fail('digest-mismatch', `image digest ${JSON.stringify(opts.imageDigest)} is not sha256:<hex>`)
    checkSubject(statement, want)
    const sig = env.signatures[0]
    if (env.signatures.length !== 1 || !sig) fail('bad-bundle', `DSSE envelope has ${env.signatures.length} signatures, expected exactly 1`)
    const {certDer, set} = readSignerAnnotations(layer.annotations, opts.policy, identity, 'attestation')
    if (set === undefined) {
      const key = keyWithoutTlog(opts.policy, opts.allowMissingTlog, 'attestation')
      return {...verifyDsseWithKey(env.payloadType, env.payload, sig.sig, key), statement}
    }
    const entry = readIntotoSet(set)
    checkIntotoBody(entry.body, certDer, 'key' in opts.policy ? opts.policy.key : undefined)
    const bundle = parseBundle({
      mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
      verificationMaterial: setVerificationMaterial(certDer, entry, {kind: entry.kind, version: entry.version}),
      dsseEnvelope: {
        payload: env.payload.toString('base64'),
        payloadType: env.payloadType,
        signatures: [{sig: sig.sig.toString('base64'), keyid: sig.keyid}],
      },
    })
    const verified = verifyParsedBundle(bundle, {trustRoot: opts.trustRoot, policy: opts.policy, artifact: {digest: opts.imageDigest}}, identity)
    return {...verified, statement}
  })
}

function readEnvelope(bytes: Buffer): ReturnType<typeof parseDsseEnvelope> {
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch {
    fail('bad-payload', 'attestation layer is not a JSON DSSE envelope')
  }
  return parseDsseEnvelope(json)
}

/** The SET, with the kind and version of the entry it logs (an `intoto` or `dsse` entry). */
function readIntotoSet(text: string): SetEntry & {kind: string; version: string} {
  const entry = readSet(text)
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8'))
  } catch {
    fail('tlog-invalid', 'log entry body is not JSON')
  }
  const kind = dig(parsed, ['kind'])
  const version = dig(parsed, ['apiVersion'])
  if (kind !== 'intoto' && kind !== 'dsse') fail('tlog-invalid', `log entry kind is ${JSON.stringify(kind)}, expected intoto or dsse`)
  return {...entry, kind, version: typeof version === 'string' ? version : ''}
}

/** Where an `intoto` or `dsse` entry names its signer, for the shared signer check. */
function checkIntotoBody(bodyB64: string, certDer: Buffer | undefined, key: KeyObject | undefined): void {
  const body = JSON.parse(Buffer.from(bodyB64, 'base64').toString('utf8')) as unknown
  const kind = dig(body, ['kind'])
  const sigs = kind === 'intoto' ? dig(body, ['spec', 'content', 'envelope', 'signatures']) : dig(body, ['spec', 'signatures'])
  const first: unknown = Array.isArray(sigs) ? sigs[0] : undefined
  checkLoggedSigner(kind === 'intoto' ? dig(first, ['publicKey']) : dig(first, ['verifier']), certDer, key)
}

function verifyDsseWithKey(payloadType: string, payload: Buffer, sig: Buffer, key: KeyObject): Verified {
  if (!verifiesWithKey(dsse.preAuthEncoding(payloadType, payload), sig, key)) fail('signature-invalid', 'attestation signature does not verify with the given key')
  return {ok: true, signer: {kind: 'key'}, tlog: [], signedDigest: `sha256:${sha256Hex(payload)}`, dsse: {payloadType, payload}}
}
