import {verify as nodeVerify, type KeyObject} from 'node:crypto'
import {bundleFromJSON, type Bundle, type TransparencyLogEntry} from '@sigstore/bundle'
import {X509Certificate, crypto as score, dsse} from '@sigstore/core'
import {HashAlgorithm} from '@sigstore/protobuf-specs'
import {Verifier, toSignedEntity, VerificationError, PolicyError, type SignedEntity} from '@sigstore/verify'
import {verifyPrehashed} from './keys.js'
import {fail, isSigFailure, parseSha256Digest, SigFailure, type LogEntryRef, type VerifyResult, type Verified} from './failure.js'
import {checkIdentity, compileIdentityPolicy, type CompiledIdentityPolicy, type IdentityPolicy} from './identity.js'
import {checkSubject, parseStatement} from './intoto.js'
import {trustMaterial, type TrustRoot} from './trust-root.js'

/** The signed thing: its bytes, or only its digest (`sha256:<hex>`), as the conformance protocol allows. */
export type Artifact = {bytes: Buffer} | {digest: string}

/** Key-based (the signer's public key) or keyless (a certificate identity that must match). */
export type SignerPolicy = {key: KeyObject} | {identity: IdentityPolicy}

export interface BundleVerifyOptions {
  trustRoot: TrustRoot
  policy: SignerPolicy
  /** For a message signature, what was signed; for a DSSE bundle, the in-toto subject (e.g. the image). */
  artifact: Artifact
}

/**
 * Verify a Sigstore bundle (v0.1, v0.2, v0.3) offline. Never throws for a bad signature: the result says why.
 * Throws ImgvetError only for bad caller input (an unparseable identity regexp).
 */
export function verifyBundle(bundleJson: unknown, opts: BundleVerifyOptions): VerifyResult {
  // Compile first: a bad regexp is a usage error and must not be reported as "signature not verified".
  const identity = 'identity' in opts.policy ? compileIdentityPolicy(opts.policy.identity) : undefined
  try {
    const bundle = parseBundle(bundleJson)
    return verifyParsedBundle(bundle, opts, identity)
  } catch (e) {
    if (isSigFailure(e)) return {ok: false, code: e.code, message: e.message}
    throw e
  }
}

/** The pipeline on a parsed bundle; throws SigFailure. Also the back end of the legacy cosign path. */
export function verifyParsedBundle(bundle: Bundle, opts: BundleVerifyOptions, identity: CompiledIdentityPolicy | undefined): Verified {
  checkMaterialKind(bundle, opts.policy)
  const artifactDigest = digestOf(opts.artifact)
  const bound = bindArtifact(bundle, opts.artifact, artifactDigest)
  const entity = signedEntity(bundle, opts.artifact, bound)
  const key = 'key' in opts.policy ? opts.policy.key : undefined
  const verifier = new Verifier(
    trustMaterial(opts.trustRoot, () => {
      if (!key) fail('no-identity', 'bundle is signed with a public key, but a certificate identity was expected')
      return {publicKey: key, validFor: () => true}
    }),
  )
  let signer
  try {
    signer = verifier.verify(entity)
  } catch (e) {
    throw classify(e, bundle)
  }
  const leaf = leafCertificate(bundle)
  const found = {identity: signer.identity?.subjectAlternativeName, issuer: signer.identity?.extensions?.issuer}
  if (identity) checkIdentity(identity, found)
  return {
    ok: true,
    signer: leaf
      ? {kind: 'keyless', ...found, certNotBefore: leaf.notBefore, certNotAfter: leaf.notAfter}
      : {kind: 'key'},
    tlog: bundle.verificationMaterial.tlogEntries.map(logRef),
    signedDigest: `sha256:${bound.signedDigest.toString('hex')}`,
    dsse: bundle.content.$case === 'dsseEnvelope'
      ? {payloadType: bundle.content.dsseEnvelope.payloadType, payload: bundle.content.dsseEnvelope.payload}
      : undefined,
  }
}

export function parseBundle(json: unknown): Bundle {
  try {
    return bundleFromJSON(json)
  } catch (e) {
    throw new SigFailure('bad-bundle', `not a valid Sigstore bundle: ${(e as Error).message}`, {cause: e})
  }
}

/** sigstore-js would happily verify a certificate bundle when a key was given (it ignores the key): refuse. */
function checkMaterialKind(bundle: Bundle, policy: SignerPolicy): void {
  const kind = bundle.verificationMaterial.content.$case
  if ('key' in policy && kind !== 'publicKey') fail('key-mismatch', 'bundle is signed with a certificate, but a public key was given')
  if ('identity' in policy && kind === 'publicKey') fail('no-identity', 'bundle is signed with a public key, but a certificate identity was expected')
}

function digestOf(a: Artifact): Buffer {
  if ('bytes' in a) return score.digest('sha256', a.bytes)
  const d = parseSha256Digest(a.digest)
  if (!d) fail('digest-mismatch', `artifact digest ${JSON.stringify(a.digest)} is not sha256:<64 lowercase hex>`)
  return d
}

interface Bound {
  /** What the signature covers, hashed: the artifact, or for DSSE the payload. */
  signedDigest: Buffer
}

/** Binding step: the bundle must be about the artifact we were given, before any crypto is trusted. */
function bindArtifact(bundle: Bundle, artifact: Artifact, artifactDigest: Buffer): Bound {
  const c = bundle.content
  if (c.$case === 'messageSignature') {
    const md = c.messageSignature.messageDigest
    if (md && md.digest.length > 0) {
      if (md.algorithm !== HashAlgorithm.SHA2_256 && md.algorithm !== HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED) {
        if ('digest' in artifact) fail('unsupported', 'bundle message digest is not SHA-256; pass the artifact file instead')
      } else if (!md.digest.equals(artifactDigest)) {
        fail('digest-mismatch', `bundle signs sha256:${md.digest.toString('hex')}, artifact is sha256:${artifactDigest.toString('hex')}`)
      }
    } else if ('digest' in artifact) {
      fail('bad-bundle', 'bundle has no message digest to check a bare artifact digest against')
    }
    return {signedDigest: artifactDigest}
  }
  const env = c.dsseEnvelope
  if (env.signatures.length !== 1) fail('bad-bundle', `DSSE envelope has ${env.signatures.length} signatures, expected exactly 1`)
  checkSubject(parseStatement(env.payloadType, env.payload), artifactDigest)
  return {signedDigest: score.digest('sha256', env.payload)}
}

function signedEntity(bundle: Bundle, artifact: Artifact, bound: Bound): SignedEntity {
  let entity: SignedEntity
  try {
    entity = toSignedEntity(bundle, 'bytes' in artifact ? artifact.bytes : undefined)
  } catch (e) {
    throw new SigFailure('bad-bundle', `unreadable bundle material: ${(e as Error).message}`, {cause: e})
  }
  const c = bundle.content
  const sig = entity.signature
  if (c.$case === 'messageSignature') {
    const algorithm = c.messageSignature.messageDigest?.algorithm
    return {
      ...entity,
      signature: {
        signature: sig.signature,
        compareSignature: (s) => sig.compareSignature(s),
        compareDigest: (d) => sig.compareDigest(d),
        verifySignature: (key) => {
          if ('bytes' in artifact) {
            // sigstore-js passes the bundle's hash name to crypto.verify, which Ed25519 (pure, no prehash) rejects.
            return key.asymmetricKeyType === 'ed25519' ? nodeVerify(null, artifact.bytes, key, sig.signature) : sig.verifySignature(key)
          }
          const r = verifyPrehashed(key, bound.signedDigest, sig.signature)
          if (r === 'unsupported') {
            fail('unsupported', `cannot verify a ${key.asymmetricKeyType ?? '?'} signature from a digest alone (algorithm ${String(algorithm)}); pass the artifact file`)
          }
          return r
        },
      },
    }
  }
  if (c.$case === 'dsseEnvelope') {
    // Rekor v2 may log a DSSE signature as hashedrekord over the PAE bytes (rekor-v2 spec 6.1.4) instead of as
    // a dsse entry over the payload. Decide per bundle which digest the entries must carry, never "either".
    const kinds = new Set(bundle.verificationMaterial.tlogEntries.map((t) => t.kindVersion?.kind))
    if (kinds.has('hashedrekord')) {
      if (kinds.size > 1) fail('bad-bundle', 'bundle mixes hashedrekord and DSSE log entries for one envelope')
      const env = c.dsseEnvelope
      const pae = score.digest('sha256', dsse.preAuthEncoding(env.payloadType, env.payload))
      return {
        ...entity,
        signature: {
          signature: sig.signature,
          compareSignature: (s) => sig.compareSignature(s),
          compareDigest: (d) => score.bufferEqual(d, pae),
          verifySignature: (key) => sig.verifySignature(key),
        },
      }
    }
  }
  return entity
}

function leafCertificate(bundle: Bundle): X509Certificate | undefined {
  const m = bundle.verificationMaterial.content
  const raw = m.$case === 'certificate' ? m.certificate.rawBytes : m.$case === 'x509CertificateChain' ? m.x509CertificateChain.certificates[0]?.rawBytes : undefined
  if (!raw) return undefined
  try {
    return X509Certificate.parse(Buffer.from(raw))
  } catch (e) {
    throw new SigFailure('bad-bundle', `unreadable signing certificate: ${(e as Error).message}`, {cause: e})
  }
}

/** Turn sigstore-js's error codes into ours, adding what it leaves vague (which time fell outside which window). */
function classify(e: unknown, bundle: Bundle): SigFailure {
  if (isSigFailure(e)) return e
  if (e instanceof PolicyError) return new SigFailure('identity-mismatch', e.message, {cause: e})
  if (!(e instanceof VerificationError)) {
    return new SigFailure('bad-bundle', `malformed bundle: ${e instanceof Error ? e.message : String(e)}`, {cause: e})
  }
  const msg = e.message
  switch (e.code) {
    case 'TLOG_MISSING_INCLUSION_ERROR':
      return new SigFailure('tlog-missing', msg, {cause: e})
    case 'TLOG_ERROR':
      return new SigFailure(bundle.verificationMaterial.tlogEntries.length === 0 ? 'tlog-missing' : 'tlog-invalid', msg, {cause: e})
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_BODY_ERROR':
      return new SigFailure('tlog-invalid', `transparency log entry rejected: ${msg}`, {cause: e})
    case 'SIGNATURE_ERROR':
      return new SigFailure('signature-invalid', msg, {cause: e})
    case 'PUBLIC_KEY_ERROR':
      return new SigFailure('key-mismatch', msg, {cause: e})
    case 'TIMESTAMP_ERROR':
      return new SigFailure('timestamp-invalid', msg, {cause: e})
    case 'CERTIFICATE_ERROR': {
      const leaf = leafCertificate(bundle)
      const outside = leaf && bundle.verificationMaterial.tlogEntries
        .map((t) => Number(t.integratedTime))
        .filter((t) => t > 0)
        .map((t) => new Date(t * 1000))
        .find((d) => !leaf.validForDate(d))
      if (leaf && outside) {
        return new SigFailure('cert-expired', `signing certificate valid ${leaf.notBefore.toISOString()}..${leaf.notAfter.toISOString()}, but the log recorded the signature at ${outside.toISOString()}`, {cause: e})
      }
      return new SigFailure('cert-invalid', msg, {cause: e})
    }
    default:
      return new SigFailure('bad-bundle', msg, {cause: e})
  }
}

function logRef(t: TransparencyLogEntry): LogEntryRef {
  return {
    logIndex: t.logIndex,
    integratedTime: Number(t.integratedTime) || 0,
    logID: Buffer.from(t.logId?.keyId ?? Buffer.alloc(0)).toString('hex'),
    kind: t.kindVersion?.kind ?? '',
    version: t.kindVersion?.version ?? '',
  }
}
