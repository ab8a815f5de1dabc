import {verify as nodeVerify, type KeyObject} from 'node:crypto'
import {crypto as score, pem} from '@sigstore/core'
import type {SignerPolicy} from './bundle.js'
import {fail, isSigFailure, SigFailure, type NotVerified} from './failure.js'
import type {CompiledIdentityPolicy} from './identity.js'
import {sameKey} from './keys.js'
import {dig} from '../json.js'

/*
 * The steps cosign's layer formats share, whether the layer is a simple-signing signature (`.sig`) or a DSSE
 * attestation (`.att`): the signer material sits in the layer annotations, and the log entry is a bare SET that is
 * rebuilt into a v0.1 bundle so the bundle pipeline does the chain, SET and identity checks.
 */

export const ANN_CERTIFICATE = 'dev.sigstore.cosign/certificate'
export const ANN_BUNDLE = 'dev.sigstore.cosign/bundle'

/** What the layer is called in failure messages. */
type LayerNoun = 'signature' | 'attestation'

/** Run one verification pipeline, turning the SigFailure a step throws into its typed result. */
export function asVerifyResult<R>(run: () => R): R | NotVerified {
  try {
    return run()
  } catch (e) {
    if (isSigFailure(e)) return {ok: false, code: e.code, message: e.message}
    throw e
  }
}

/** The layer's certificate (if any) and SET (if any), after checking the certificate fits the policy's kind. */
export function readSignerAnnotations(
  annotations: Record<string, string>,
  policy: SignerPolicy,
  identity: CompiledIdentityPolicy | undefined,
  noun: LayerNoun,
): {certDer: Buffer | undefined; set: string | undefined} {
  const certPem = annotations[ANN_CERTIFICATE]
  const certDer = certPem ? certToDer(certPem) : undefined
  if ('key' in policy && certDer) fail('key-mismatch', `${noun} carries a certificate, but a public key was given`)
  if (identity && !certDer) fail('no-identity', `${noun} has no certificate, but a certificate identity was expected`)
  return {certDer, set: annotations[ANN_BUNDLE]}
}

/** A layer without a SET is only checked against a key, and only when the caller chose to accept that. */
export function keyWithoutTlog(policy: SignerPolicy, allowMissingTlog: boolean | undefined, noun: LayerNoun): KeyObject {
  if (!('key' in policy) || !allowMissingTlog) fail('tlog-missing', `${noun} has no transparency log bundle (${ANN_BUNDLE})`)
  return policy.key
}

function certToDer(text: string): Buffer {
  if (!text.includes('-----BEGIN CERTIFICATE-----')) fail('bad-bundle', `${ANN_CERTIFICATE} is not a PEM certificate`)
  try {
    return pem.toDER(text)
  } catch (e) {
    throw new SigFailure('bad-bundle', `${ANN_CERTIFICATE} is not a PEM certificate`, {cause: e})
  }
}

export interface SetEntry {
  set: string
  /** The canonicalized log entry body, base64. */
  body: string
  integratedTime: number
  logIndex: number
  /** Hex SHA-256 of the log's key. */
  logID: string
}

/** `{"SignedEntryTimestamp", "Payload": {body, integratedTime, logIndex, logID}}` */
export function readSet(text: string): SetEntry {
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
  return {set, body, integratedTime, logIndex, logID}
}

/**
 * sigstore-js checks the logged signature and digest but not who the entry names as signer: require the logged
 * verifier (`content`, base64 PEM) to be this certificate (or key), so someone else's SET cannot vouch for ours.
 */
export function checkLoggedSigner(content: unknown, certDer: Buffer | undefined, key: KeyObject | undefined): void {
  if (typeof content !== 'string') fail('tlog-invalid', 'log entry names no signer key or certificate')
  const logged = Buffer.from(content, 'base64').toString('utf8')
  if (certDer) {
    if (!logged.includes('-----BEGIN CERTIFICATE-----') || !pem.toDER(logged).equals(certDer)) {
      fail('tlog-invalid', 'log entry was made for a different certificate')
    }
  } else if (key) {
    let same = false
    try {
      same = sameKey(score.createPublicKey(logged), key)
    } catch {
      same = false
    }
    if (!same) fail('key-mismatch', 'log entry was made for a different public key')
  }
}

/** The v0.1 bundle's verificationMaterial for a layer's certificate (or key) and its SET. */
export function setVerificationMaterial(certDer: Buffer | undefined, entry: SetEntry, kindVersion: {kind: string; version: string}): unknown {
  return {
    ...(certDer ? {x509CertificateChain: {certificates: [{rawBytes: certDer.toString('base64')}]}} : {publicKey: {hint: ''}}),
    tlogEntries: [{
      logIndex: String(entry.logIndex),
      logId: {keyId: Buffer.from(entry.logID, 'hex').toString('base64')},
      kindVersion,
      integratedTime: String(entry.integratedTime),
      inclusionPromise: {signedEntryTimestamp: entry.set},
      canonicalizedBody: entry.body,
    }],
    timestampVerificationData: {rfc3161Timestamps: []},
  }
}

/** Plain signature check of `data` with a key (ed25519 signs the message itself, the others its sha256). */
export function verifiesWithKey(data: Buffer, sig: Buffer, key: KeyObject): boolean {
  try {
    return nodeVerify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', data, key, sig)
  } catch {
    return false
  }
}
