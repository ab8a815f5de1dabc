import {verify as nodeVerify, type KeyObject} from 'node:crypto'
import {crypto as score, pem} from '@sigstore/core'
import {verifyParsedBundle, parseBundle, type SignerPolicy} from './bundle.js'
import {fail, isSigFailure, sha256Hex, SigFailure, type Verified, type VerifyResult} from './failure.js'
import {compileIdentityPolicy} from './identity.js'
import {sameKey} from './keys.js'
import {dig, isObject, type TrustRoot} from './trust-root.js'

export const ANN_SIGNATURE = 'dev.cosignproject.cosign/signature'
export const ANN_CERTIFICATE = 'dev.sigstore.cosign/certificate'
export const ANN_CHAIN = 'dev.sigstore.cosign/chain'
export const ANN_BUNDLE = 'dev.sigstore.cosign/bundle'
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
  try {
    const sig = readSignature(layer.annotations)
    const certPem = layer.annotations[ANN_CERTIFICATE]
    const set = layer.annotations[ANN_BUNDLE]
    const certDer = certPem ? pemToDer(certPem) : undefined
    if ('key' in opts.policy && certDer) fail('key-mismatch', 'signature carries a certificate, but a public key was given')
    if (identity && !certDer) fail('no-identity', 'signature has no certificate, but a certificate identity was expected')
    let verified: Verified
    if (set === undefined) {
      if (!('key' in opts.policy) || !opts.allowMissingTlog) fail('tlog-missing', 'signature has no transparency log bundle (dev.sigstore.cosign/bundle)')
      verified = verifyWithKeyOnly(layer.payload, sig, opts.policy.key)
    } else {
      const entry = readSet(set)
      checkBodySigner(entry.body, certDer, 'key' in opts.policy ? opts.policy.key : undefined)
      const bundle = parseBundle(toBundleJson(layer.payload, sig, certDer, entry))
      verified = verifyParsedBundle(bundle, {trustRoot: opts.trustRoot, policy: opts.policy, artifact: {bytes: layer.payload}}, identity)
    }
    return {...verified, payload: checkPayload(layer.payload, opts.imageDigest)}
  } catch (e) {
    if (isSigFailure(e)) return {ok: false, code: e.code, message: e.message}
    throw e
  }
}

function readSignature(annotations: Record<string, string>): Buffer {
  const b64 = annotations[ANN_SIGNATURE]
  if (b64 === undefined || b64 === '') fail('no-signature', `layer has no ${ANN_SIGNATURE} annotation`)
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) fail('bad-bundle', `${ANN_SIGNATURE} is not base64`)
  return Buffer.from(b64, 'base64')
}

function pemToDer(text: string): Buffer {
  if (!text.includes('-----BEGIN CERTIFICATE-----')) fail('bad-bundle', `${ANN_CERTIFICATE} is not a PEM certificate`)
  try {
    return pem.toDER(text)
  } catch (e) {
    throw new SigFailure('bad-bundle', `${ANN_CERTIFICATE} is not a PEM certificate`, {cause: e})
  }
}

interface SetEntry {
  set: string
  body: string
  integratedTime: number
  logIndex: number
  logIDHex: string
}

/** `{"SignedEntryTimestamp", "Payload": {body, integratedTime, logIndex, logID}}` */
function readSet(text: string): SetEntry {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    fail('bad-bundle', `${ANN_BUNDLE} is not JSON`)
  }
  const set = dig(json, ['SignedEntryTimestamp'])
  const body = dig(json, ['Payload', 'body'])
  const integratedTime = dig(json, ['Payload', 'integratedTime'])
  const logIndex = dig(json, ['Payload', 'logIndex'])
  const logID = dig(json, ['Payload', 'logID'])
  if (typeof set !== 'string' || set === '') fail('tlog-missing', `${ANN_BUNDLE} has no SignedEntryTimestamp`)
  if (typeof body !== 'string' || typeof logID !== 'string' || !/^[0-9a-f]{64}$/.test(logID)) fail('bad-bundle', `${ANN_BUNDLE} payload is incomplete`)
  if (typeof integratedTime !== 'number' || !Number.isSafeInteger(integratedTime) || integratedTime <= 0) fail('bad-bundle', `${ANN_BUNDLE} has no valid integratedTime`)
  if (typeof logIndex !== 'number' || !Number.isSafeInteger(logIndex) || logIndex < 0) fail('bad-bundle', `${ANN_BUNDLE} has no valid logIndex`)
  return {set, body, integratedTime, logIndex, logIDHex: logID}
}

/**
 * sigstore-js compares the log body's signature and digest but not the key it names: check that the entry
 * was logged for this certificate (or key), so a SET for someone else's entry cannot vouch for ours.
 */
function checkBodySigner(bodyB64: string, certDer: Buffer | undefined, key: KeyObject | undefined): void {
  let body: unknown
  try {
    body = JSON.parse(Buffer.from(bodyB64, 'base64').toString('utf8'))
  } catch {
    fail('tlog-invalid', 'log entry body is not JSON')
  }
  const kind = dig(body, ['kind'])
  if (kind !== 'hashedrekord') fail('tlog-invalid', `log entry kind is ${JSON.stringify(kind)}, expected hashedrekord`)
  const content = dig(body, ['spec', 'signature', 'publicKey', 'content'])
  if (typeof content !== 'string') fail('tlog-invalid', 'log entry names no signer key or certificate')
  const logged = Buffer.from(content, 'base64').toString('utf8')
  if (certDer) {
    if (!logged.includes('-----BEGIN CERTIFICATE-----') || !pem.toDER(logged).equals(certDer)) {
      fail('tlog-invalid', 'log entry was made for a different certificate')
    }
  } else if (key) {
    let ok = false
    try {
      ok = sameKey(score.createPublicKey(logged), key)
    } catch {
      ok = false
    }
    if (!ok) fail('key-mismatch', 'log entry was made for a different public key')
  }
}

function toBundleJson(payload: Buffer, sig: Buffer, certDer: Buffer | undefined, e: SetEntry): unknown {
  const body = Buffer.from(e.body, 'base64')
  const parsed = JSON.parse(body.toString('utf8')) as unknown
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      ...(certDer ? {x509CertificateChain: {certificates: [{rawBytes: certDer.toString('base64')}]}} : {publicKey: {hint: ''}}),
      tlogEntries: [{
        logIndex: String(e.logIndex),
        logId: {keyId: Buffer.from(e.logIDHex, 'hex').toString('base64')},
        kindVersion: {kind: String(dig(parsed, ['kind'])), version: String(dig(parsed, ['apiVersion']))},
        integratedTime: String(e.integratedTime),
        inclusionPromise: {signedEntryTimestamp: e.set},
        canonicalizedBody: e.body,
      }],
      timestampVerificationData: {rfc3161Timestamps: []},
    },
    messageSignature: {
      messageDigest: {algorithm: 'SHA2_256', digest: score.digest('sha256', payload).toString('base64')},
      signature: sig.toString('base64'),
    },
  }
}

function verifyWithKeyOnly(payload: Buffer, sig: Buffer, key: KeyObject): Verified {
  const alg = key.asymmetricKeyType === 'ed25519' ? null : 'sha256'
  let ok = false
  try {
    ok = nodeVerify(alg, payload, key, sig)
  } catch {
    ok = false
  }
  if (!ok) fail('signature-invalid', 'signature does not verify with the given key')
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
