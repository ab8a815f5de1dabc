import type {KeyObject} from 'node:crypto'
import {crypto as score} from '@sigstore/core'
import {verifyParsedBundle, parseBundle, type SignerPolicy} from './bundle.js'
import {asVerifyResult, checkLoggedSigner, keyWithoutTlog, readSet, readSignerAnnotations, setVerificationMaterial, verifiesWithKey, type SetEntry} from './cosign-layer.js'
import {fail, sha256Hex, type Verified, type VerifyResult} from './failure.js'
import {compileIdentityPolicy} from './identity.js'
import {dig, isObject} from '../json.js'
import type {TrustRoot} from './trust-root.js'

export {ANN_BUNDLE, ANN_CERTIFICATE} from './cosign-layer.js'

export const ANN_SIGNATURE = 'dev.cosignproject.cosign/signature'
export const ANN_CHAIN = 'dev.sigstore.cosign/chain'
export const SIMPLESIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json'
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature'

/** One layer of a `sha256-<hex>.sig` manifest: its bytes (the payload) and its descriptor annotations. */
export interface CosignLegacyLayer {
  payload: Buffer
  annotations: Record<string, string>
}

export interface CosignLegacyOptions {
  trustRoot: TrustRoot
  policy: SignerPolicy
  /** The image manifest digest the signature must be about, `sha256:<hex>`. */
  imageDigest: string
  /** Key-signed images pushed with `--tlog-upload=false` have no SET; accept them only when asked. */
  allowMissingTlog?: boolean
}

export interface CosignPayload {
  dockerReference?: string
  dockerManifestDigest: string
  optional?: Record<string, unknown>
}

export type CosignLegacyResult = (Verified & {payload: CosignPayload}) | Extract<VerifyResult, {ok: false}>

/**
 * Verify a legacy cosign signature by converting it into a v0.1 Sigstore bundle and reusing the bundle
 * pipeline (chain to Fulcio at integratedTime, SET against the trust root's Rekor key, signature, identity),
 * then checking what only cosign's format needs: the log body names this signer, and the payload names this image.
 */
export function verifyCosignLegacy(layer: CosignLegacyLayer, opts: CosignLegacyOptions): CosignLegacyResult {
  const identity = 'identity' in opts.policy ? compileIdentityPolicy(opts.policy.identity) : undefined
  return asVerifyResult(() => {
    const sig = readSignature(layer.annotations)
    const {certDer, set} = readSignerAnnotations(layer.annotations, opts.policy, identity, 'signature')
    let verified: Verified
    if (set === undefined) {
      verified = verifyWithKeyOnly(layer.payload, sig, keyWithoutTlog(opts.policy, opts.allowMissingTlog, 'signature'))
    } else {
      const entry = readSet(set)
      checkBodySigner(entry.body, certDer, 'key' in opts.policy ? opts.policy.key : undefined)
      const bundle = parseBundle(toBundleJson(layer.payload, sig, certDer, entry))
      verified = verifyParsedBundle(bundle, {trustRoot: opts.trustRoot, policy: opts.policy, artifact: {bytes: layer.payload}}, identity)
    }
    return {...verified, payload: checkPayload(layer.payload, opts.imageDigest)}
  })
}

function readSignature(annotations: Record<string, string>): Buffer {
  const b64 = annotations[ANN_SIGNATURE]
  if (b64 === undefined || b64 === '') fail('no-signature', `layer has no ${ANN_SIGNATURE} annotation`)
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) fail('bad-bundle', `${ANN_SIGNATURE} is not base64`)
  return Buffer.from(b64, 'base64')
}

/** Where a `hashedrekord` entry names its signer, for the shared signer check. */
function checkBodySigner(bodyB64: string, certDer: Buffer | undefined, key: KeyObject | undefined): void {
  let body: unknown
  try {
    body = JSON.parse(Buffer.from(bodyB64, 'base64').toString('utf8'))
  } catch {
    fail('tlog-invalid', 'log entry body is not JSON')
  }
  const kind = dig(body, ['kind'])
  if (kind !== 'hashedrekord') fail('tlog-invalid', `log entry kind is ${JSON.stringify(kind)}, expected hashedrekord`)
  checkLoggedSigner(dig(body, ['spec', 'signature', 'publicKey', 'content']), certDer, key)
}

function toBundleJson(payload: Buffer, sig: Buffer, certDer: Buffer | undefined, e: SetEntry): unknown {
  const body = Buffer.from(e.body, 'base64')
  const parsed = JSON.parse(body.toString('utf8')) as unknown
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: setVerificationMaterial(certDer, e, {kind: String(dig(parsed, ['kind'])), version: String(dig(parsed, ['apiVersion']))}),
    messageSignature: {
      messageDigest: {algorithm: 'SHA2_256', digest: score.digest('sha256', payload).toString('base64')},
      signature: sig.toString('base64'),
    },
  }
}

function verifyWithKeyOnly(payload: Buffer, sig: Buffer, key: KeyObject): Verified {
  if (!verifiesWithKey(payload, sig, key)) fail('signature-invalid', 'signature does not verify with the given key')
  return {ok: true, signer: {kind: 'key'}, tlog: [], signedDigest: `sha256:${sha256Hex(payload)}`}
}

/** Binding: a valid signature over a payload naming another image proves nothing about this one. */
export function checkPayload(payload: Buffer, imageDigest: string): CosignPayload {
  let json: unknown
  try {
    json = JSON.parse(payload.toString('utf8'))
  } catch {
    fail('bad-payload', 'simple signing payload is not JSON')
  }
  const type = dig(json, ['critical', 'type'])
  if (type !== COSIGN_SIGNATURE_TYPE) fail('payload-type', `payload type is ${JSON.stringify(type)}, expected ${JSON.stringify(COSIGN_SIGNATURE_TYPE)}`)
  const digest = dig(json, ['critical', 'image', 'docker-manifest-digest'])
  if (typeof digest !== 'string') fail('bad-payload', 'payload has no critical.image.docker-manifest-digest')
  if (digest !== imageDigest) fail('subject-mismatch', `signature is for ${digest}, image is ${imageDigest}`)
  const ref = dig(json, ['critical', 'identity', 'docker-reference'])
  const optional = dig(json, ['optional'])
  return {
    dockerManifestDigest: digest,
    dockerReference: typeof ref === 'string' ? ref : undefined,
    optional: isObject(optional) ? optional : undefined,
  }
}
