import {verify as nodeVerify, type KeyObject} from 'node:crypto'
import {crypto as score, dsse, pem} from '@sigstore/core'
import {verifyParsedBundle, parseBundle, type SignerPolicy} from './bundle.js'
import {ANN_BUNDLE, ANN_CERTIFICATE} from './cosign-legacy.js'
import {fail, isSigFailure, parseSha256Digest, sha256Hex, SigFailure, type Verified, type VerifyResult} from './failure.js'
import {compileIdentityPolicy} from './identity.js'
import {checkSubject, parseDsseEnvelope, parseStatement, type Statement} from './intoto.js'
import {sameKey} from './keys.js'
import {dig, type TrustRoot} from './trust-root.js'

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
  try {
    const env = readEnvelope(layer.envelope)
    const statement = parseStatement(env.payloadType, env.payload)
    const want = parseSha256Digest(opts.imageDigest)
    if (!want) fail('digest-mismatch', `image digest ${JSON.stringify(opts.imageDigest)} is not sha256:<hex>`)
    checkSubject(statement, want)
    const sig = env.signatures[0]
    if (env.signatures.length !== 1 || !sig) fail('bad-bundle', `DSSE envelope has ${env.signatures.length} signatures, expected exactly 1`)
    const certPem = layer.annotations[ANN_CERTIFICATE]
    const certDer = certPem ? certToDer(certPem) : undefined
    if ('key' in opts.policy && certDer) fail('key-mismatch', 'attestation carries a certificate, but a public key was given')
    if (identity && !certDer) fail('no-identity', 'attestation has no certificate, but a certificate identity was expected')
    const set = layer.annotations[ANN_BUNDLE]
    if (set === undefined) {
      if (!('key' in opts.policy) || !opts.allowMissingTlog) fail('tlog-missing', `attestation has no transparency log bundle (${ANN_BUNDLE})`)
      return {...verifyDsseWithKey(env.payloadType, env.payload, sig.sig, opts.policy.key), statement}
    }
    const entry = readSet(set)
    checkIntotoBody(entry.body, certDer, 'key' in opts.policy ? opts.policy.key : undefined)
    const bundle = parseBundle({
      mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
      verificationMaterial: {
        ...(certDer ? {x509CertificateChain: {certificates: [{rawBytes: certDer.toString('base64')}]}} : {publicKey: {hint: ''}}),
        tlogEntries: [{
          logIndex: String(entry.logIndex),
          logId: {keyId: Buffer.from(entry.logID, 'hex').toString('base64')},
          kindVersion: {kind: entry.kind, version: entry.version},
          integratedTime: String(entry.integratedTime),
          inclusionPromise: {signedEntryTimestamp: entry.set},
          canonicalizedBody: entry.body,
        }],
        timestampVerificationData: {rfc3161Timestamps: []},
      },
      dsseEnvelope: {
        payload: env.payload.toString('base64'),
        payloadType: env.payloadType,
        signatures: [{sig: sig.sig.toString('base64'), keyid: sig.keyid}],
      },
    })
    const verified = verifyParsedBundle(bundle, {trustRoot: opts.trustRoot, policy: opts.policy, artifact: {digest: opts.imageDigest}}, identity)
    return {...verified, statement}
  } catch (e) {
    if (isSigFailure(e)) return {ok: false, code: e.code, message: e.message}
    throw e
  }
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

function certToDer(text: string): Buffer {
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
  logID: string
  kind: string
  version: string
}

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
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64').toString('utf8'))
  } catch {
    fail('tlog-invalid', 'log entry body is not JSON')
  }
  const kind = dig(parsed, ['kind'])
  const version = dig(parsed, ['apiVersion'])
  if (kind !== 'intoto' && kind !== 'dsse') fail('tlog-invalid', `log entry kind is ${JSON.stringify(kind)}, expected intoto or dsse`)
  return {set, body, integratedTime, logIndex, logID, kind, version: typeof version === 'string' ? version : ''}
}

/**
 * sigstore-js checks the logged signature and payload hash but not who the entry names as signer: require the
 * logged verifier to be this certificate (or key), so someone else's SET cannot vouch for our envelope.
 */
function checkIntotoBody(bodyB64: string, certDer: Buffer | undefined, key: KeyObject | undefined): void {
  const body = JSON.parse(Buffer.from(bodyB64, 'base64').toString('utf8')) as unknown
  const kind = dig(body, ['kind'])
  const sigs = kind === 'intoto' ? dig(body, ['spec', 'content', 'envelope', 'signatures']) : dig(body, ['spec', 'signatures'])
  const first: unknown = Array.isArray(sigs) ? sigs[0] : undefined
  const content = kind === 'intoto' ? dig(first, ['publicKey']) : dig(first, ['verifier'])
  if (typeof content !== 'string') fail('tlog-invalid', 'log entry names no signer key or certificate')
  const logged = Buffer.from(content, 'base64').toString('utf8')
  if (certDer) {
    let same = false
    try {
      same = logged.includes('-----BEGIN CERTIFICATE-----') && pem.toDER(logged).equals(certDer)
    } catch {
      same = false
    }
    if (!same) fail('tlog-invalid', 'log entry was made for a different certificate')
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

function verifyDsseWithKey(payloadType: string, payload: Buffer, sig: Buffer, key: KeyObject): Verified {
  const pae = dsse.preAuthEncoding(payloadType, payload)
  let ok = false
  try {
    ok = nodeVerify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', pae, key, sig)
  } catch {
    ok = false
  }
  if (!ok) fail('signature-invalid', 'attestation signature does not verify with the given key')
  return {ok: true, signer: {kind: 'key'}, tlog: [], signedDigest: `sha256:${sha256Hex(payload)}`, dsse: {payloadType, payload}}
}
