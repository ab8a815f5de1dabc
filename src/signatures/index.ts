/**
 * Signature and provenance verification: offline, on bytes and parsed JSON (discovery of `.sig`/`.att` tags and
 * referrers lives in the registry layer). Every verifier returns a typed result instead of throwing for a bad
 * signature; ImgvetError is thrown only for unusable caller input (bad regexp, unreadable trust root or key).
 *
 * Trust
 * - loadTrustRoot(path?)            -> TrustRoot   file, or the public-good root embedded in @sigstore/tuf (no network)
 * - loadPublicGoodTrustRoot()       -> TrustRoot
 * - parseTrustRoot(json, source)    -> TrustRoot   rejects roots with a missing validFor.start (sigstore-js would not)
 *
 * Policy
 * - SignerPolicy = {key: KeyObject} | {identity: IdentityPolicy}
 * - IdentityPolicy {subject | subjectRegExp, issuer | issuerRegExp}; regexps are anchored to the whole value
 * - parsePublicKeyPem(pem)          -> KeyObject   ECDSA, Ed25519, RSA
 *
 * Verification (all return VerifyResult = Verified | NotVerified{code: SigFailureCode, message})
 * - verifyBundle(bundleJson, {trustRoot, policy, artifact: {bytes} | {digest: 'sha256:<hex>'}})
 *     Sigstore bundle v0.1/v0.2/v0.3, message signature or DSSE (artifact = in-toto subject, e.g. the image digest).
 *     Verified: {signer {kind, identity, issuer, cert validity}, tlog [{logIndex, integratedTime, logID, kind}],
 *                signedDigest, dsse? {payloadType, payload}}
 * - verifyCosignLegacy({payload, annotations}, {trustRoot, policy, imageDigest, allowMissingTlog?})
 *     one layer of a `.sig` manifest; adds `payload` {dockerManifestDigest, dockerReference, optional}
 * - verifyBundleFiles({bundle, artifact, key? | identity?, trustedRoot?})  the CLI's file-level entry point
 *
 * In-toto / SLSA
 * - parseDsseEnvelope(json), parseStatement(payloadType, payload), checkSubject(statement, sha256Bytes)
 * - summarizeProvenance(statement)  -> ProvenanceSummary {slsaVersion, builderId, buildType, sourceRepo,
 *                                      sourceCommit, materials} for SLSA v0.2 and v1, else undefined
 *
 * Failure codes (SigFailureCode): no-signature, bad-bundle, key-mismatch,
 * signature-invalid, no-identity, identity-mismatch, issuer-mismatch, cert-invalid, cert-expired, tlog-missing,
 * tlog-invalid, timestamp-invalid, digest-mismatch, subject-mismatch, payload-type, bad-payload, unsupported.
 */
export {verifyBundle, parseBundle, type Artifact, type SignerPolicy, type BundleVerifyOptions} from './bundle.js'
export {
  verifyCosignLegacy,
  checkPayload,
  ANN_SIGNATURE,
  ANN_CERTIFICATE,
  ANN_CHAIN,
  ANN_BUNDLE,
  SIMPLESIGNING_MEDIA_TYPE,
  COSIGN_SIGNATURE_TYPE,
  type CosignLegacyLayer,
  type CosignLegacyOptions,
  type CosignLegacyResult,
  type CosignPayload,
} from './cosign-legacy.js'
export {
  SigFailure,
  isSigFailure,
  type SigFailureCode,
  type Signer,
  type LogEntryRef,
  type Verified,
  type NotVerified,
  type VerifyResult,
} from './failure.js'
export {compileIdentityPolicy, checkIdentity, type IdentityPolicy} from './identity.js'
export {
  parseDsseEnvelope,
  parseStatement,
  checkSubject,
  summarizeProvenance,
  INTOTO_PAYLOAD_TYPE,
  SLSA_V02,
  SLSA_V1,
  type DsseEnvelope,
  type Statement,
  type Subject,
  type Material,
  type ProvenanceSummary,
} from './intoto.js'
export {parsePublicKeyPem} from './keys.js'
export {loadTrustRoot, loadTrustRootFile, loadPublicGoodTrustRoot, parseTrustRoot, PUBLIC_GOOD_MIRROR, type TrustRoot} from './trust-root.js'
export {verifyBundleFiles, resolveArtifact, type VerifyBundleFiles} from './verify-files.js'
