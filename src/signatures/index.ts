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
 * Images in a registry (`imgvet verify`, and `vet` through checkSupplyChain)
 * - verifyCosignAttestation({envelope, annotations}, {trustRoot, policy, imageDigest, allowMissingTlog?})
 *     one layer of a `.att` manifest (DSSE + intoto v0.0.2 SET); adds the parsed `statement`
 * - collectSupplyChain(...)          discovery (cosign tags, also in a signature repository; referrers API, then the
 *                                    sha256-<hex> tag; BuildKit attestation manifests) + verification per target
 *                                    (image manifest and, for an index, the index digest) -> SignatureRecord[],
 *                                    ProvenanceRecord[]; Notation referrers are verified when a Notation trust
 *                                    store and identities are given, else recorded as present, not verified
 * - verifyNotation(jwsBytes, {trust: {store, identities}, imageDigest, now?})   Notary Project JWS envelope,
 *     signing scheme notary.x509 (COSE and notary.x509.signingAuthority are reported unsupported)
 * - decideSignatures / decideProvenance / decideOfficial   pure decisions on those records
 * - checkSupplyChain({reference, registries, platform, requirements?: ScopeRequirements, overrides?, trustRoot?})
 *     -> {findings (signature.*, provenance.*, official.*; rule trust-external), checked, summary}
 * - renderVerifyText(summary, findings)
 *
 * Failure codes (SigFailureCode): no-signature, bad-bundle, key-mismatch,
 * signature-invalid, no-identity, identity-mismatch, issuer-mismatch, cert-invalid, cert-expired, tlog-missing,
 * tlog-invalid, timestamp-invalid, signature-expired, digest-mismatch, subject-mismatch, payload-type, bad-payload, unsupported.
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
export {verifyNotation, loadTrustStore, parseTrustedIdentities, type NotationTrust, type NotationResult} from './notation.js'
export {loadTrustRoot, loadTrustRootFile, loadPublicGoodTrustRoot, parseTrustRoot, PUBLIC_GOOD_MIRROR, type TrustRoot} from './trust-root.js'
export {verifyBundleFiles, resolveArtifact, type VerifyBundleFiles} from './verify-files.js'
export {verifyCosignAttestation, DSSE_LAYER_MEDIA_TYPE, type CosignAttestationLayer, type CosignAttestationOptions, type CosignAttestationResult} from './attestation.js'
export {collectSupplyChain, BUNDLE_ARTIFACT_PREFIX, NOTATION_ARTIFACT_TYPE, COSIGN_SIGN_PREDICATE, type Collected, type CollectOptions} from './collect.js'
export {
  decideOfficial,
  decideProvenance,
  decideSignatures,
  isDockerLibraryBuilder,
  isTamperingSignal,
  provenanceReason,
  signatureReason,
  DOCKER_LIBRARY_BUILDER,
} from './decide.js'
export {supplyChainFindings} from './findings.js'
export {
  keyLabel,
  identityLabel,
  type NamedSigner,
  type Target,
  type SignatureRecord,
  type ProvenanceRecord,
  type SignatureKind,
  type OfficialDecision,
  type ProvenanceOutcome,
  type SignatureOutcome,
  type SupplyChainSummary,
  type EffectiveRequirements,
} from './records.js'
export {renderVerifyText} from './render.js'
export {
  checkSupplyChain,
  resolveSigners,
  type SupplyChainInput,
  type SupplyChainOverrides,
  type SupplyChainResult,
} from './supply-chain.js'
