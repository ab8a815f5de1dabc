import {readFile} from 'node:fs/promises'
import {ImgvetError} from '../errors.js'
import {formatPlatform} from '../image/manifest.js'
import {selectPlatforms} from '../image/resolve.js'
import type {ImageIndex, ImageSource, Platform} from '../image/types.js'
import type {Checked} from '../policy/evaluate.js'
import type {ScopeRequirements} from '../policy/types.js'
import type {Registries} from '../registry/client.js'
import type {ReferrerStore} from '../registry/referrers.js'
import {RegistrySource} from '../registry/source.js'
import {formatReference, type Reference} from '../reference/reference.js'
import type {Finding} from '../findings/finding.js'
import {collectSupplyChain} from './collect.js'
import {decideOfficial, decideProvenance, decideSignatures, provenanceReason, signatureReason} from './decide.js'
import {supplyChainFindings} from './findings.js'
import {compileIdentityPolicy, type IdentityPolicy} from './identity.js'
import {parsePublicKeyPem} from './keys.js'
import {loadTrustStore, parseTrustedIdentities, type NotationTrust} from './notation.js'
import {identityLabel, keyLabel} from './records.js'
import type {EffectiveRequirements, NamedSigner, SupplyChainSummary, Target} from './records.js'
import {loadTrustRoot, type TrustRoot} from './trust-root.js'

/** What the command line says; every field set here wins over the policy scope's. */
export interface SupplyChainOverrides {
  /** PEM public key files. */
  keys?: string[]
  identity?: IdentityPolicy
  /** cosign's COSIGN_REPOSITORY: `repo/path` on the image's registry. */
  signatureRepository?: string
  /** trusted_root.json; default the public-good root embedded in @sigstore/tuf (never fetched). */
  trustedRoot?: string
  /** Accept key-signed signatures that were never logged (cosign --tlog-upload=false). */
  allowMissingTlog?: boolean
  /** Notation: PEM files of trusted certificates, and `x509.subject: ...` identities. */
  notationTrustStore?: string[]
  notationIdentities?: string[]
}

export interface SupplyChainInput {
  reference: Reference
  registries: Registries
  platform: Platform
  /** The policy scope's requirements (selectScope / requirementsFor); absent means "only what the flags ask". */
  requirements?: ScopeRequirements
  overrides?: SupplyChainOverrides
  /** Already loaded trust root (tests, `registry scan`); otherwise loaded from overrides.trustedRoot. */
  trustRoot?: TrustRoot
  /**
   * What the caller already resolved and scanned. Checking signatures of that exact digest (not of wherever the tag
   * points by now) closes the window between scan and verify, and saves fetching the manifests again.
   */
  resolved?: {imageDigest: string; index?: {digest: string; index: ImageIndex}}
  /** A local image (oci:, oci-archive:, docker-archive:): signatures come from its own files, never a registry. */
  local?: {source: ImageSource; store: ReferrerStore}
}

export interface SupplyChainResult {
  findings: Finding[]
  checked: Checked
  summary: SupplyChainSummary
}

/** Any signer flag replaces all of the scope's signers (cosign's and Notation's), as --key always has. */
export function signerFlagsGiven(o: SupplyChainOverrides): boolean {
  return (o.keys?.length ?? 0) > 0 || o.identity !== undefined || (o.notationTrustStore?.length ?? 0) > 0 || (o.notationIdentities?.length ?? 0) > 0
}

/** Turn flags and the scope into signers; a required signature with nobody to trust is a policy error. */
export async function resolveSigners(req: ScopeRequirements | undefined, o: SupplyChainOverrides): Promise<NamedSigner[]> {
  const signers: NamedSigner[] = []
  const fromFlags = signerFlagsGiven(o)
  const keys = fromFlags ? (o.keys ?? []) : (req?.signatures?.keys ?? [])
  for (const path of keys) {
    const text = await readFile(path, 'utf8').catch((e: unknown) => {
      throw new ImgvetError('bad-input', `cannot read key: ${e instanceof Error ? e.message : String(e)}`, path)
    })
    const key = parsePublicKeyPem(text, path)
    signers.push({label: keyLabel(key, path), policy: {key}})
  }
  const identities: IdentityPolicy[] = fromFlags
    ? (o.identity ? [o.identity] : [])
    : (req?.signatures?.identities ?? []).map((i) => ({issuer: i.issuer, subject: i.subject, subjectRegExp: i.subjectRegExp}))
  for (const id of identities) {
    compileIdentityPolicy(id) // a bad pattern is a usage error now, not "not verified" later
    signers.push({label: identityLabel(id), policy: {identity: id}})
  }
  return signers
}

/** The Notation trust store and identities from the flags, else the scope; both halves or neither. */
async function resolveNotation(req: ScopeRequirements | undefined, o: SupplyChainOverrides): Promise<NotationTrust | undefined> {
  const fromFlags = signerFlagsGiven(o)
  const files = fromFlags ? (o.notationTrustStore ?? []) : (req?.signatures?.notation?.trustStore ?? [])
  const raws = fromFlags ? (o.notationIdentities ?? []) : (req?.signatures?.notation?.identities ?? [])
  if (files.length === 0 && raws.length === 0) return undefined
  if (files.length === 0 || raws.length === 0) {
    throw new ImgvetError('usage', 'Notation verification needs both a trust store and identities (--notation-trust-store with --notation-identity, or policy signatures.notation)')
  }
  let identities
  try {
    identities = parseTrustedIdentities(raws)
  } catch (e) {
    throw new ImgvetError('usage', `bad Notation identity: ${e instanceof Error ? e.message : String(e)}`)
  }
  const store = await loadTrustStore(files)
  return {store, identities, label: `notation ${identities.map((i) => i.raw).join(' or ')} (trust store ${files.join(', ')})`}
}

/**
 * The signature branch of the pipeline for one registry image: resolve, discover, verify, decide, and express the
 * result as findings (categories signature/provenance, rule trust-external) for the policy evaluator.
 * Throws ImgvetError for bad input (exit 2) and for registry trouble (exit 3); a bad signature is a finding.
 */
export async function checkSupplyChain(input: SupplyChainInput): Promise<SupplyChainResult> {
  const o = input.overrides ?? {}
  const req = input.requirements
  const signers = await resolveSigners(req, o)
  const notation = await resolveNotation(req, o)
  const fromFlags = signerFlagsGiven(o)
  // A signer named on the command line means "must be signed by this signer", as `cosign verify` does: a scope's
  // `required: false` (the default preset's) describes third-party images in general, not this explicit request.
  const signaturesRequired = fromFlags || req?.signatures?.required === true
  if (signaturesRequired && signers.length === 0 && !notation) {
    throw new ImgvetError('bad-policy', 'signatures are required but no keys, certificate identities or Notation trust are given (policy signatures.keys / signatures.identities / signatures.notation, or --key / --certificate-identity / --notation-trust-store)')
  }
  const trustRoot = input.trustRoot ?? (await loadTrustRoot(o.trustedRoot))
  const ref = input.reference
  const client = input.local?.store ?? input.registries.get(ref.registry)
  let index: ImageIndex | undefined
  let indexDigest: string | undefined
  let imageDigest: string
  const targets: Target[] = []
  if (input.resolved) {
    imageDigest = input.resolved.imageDigest
    index = input.resolved.index?.index
    indexDigest = input.resolved.index?.digest
    if (input.resolved.index) targets.push({digest: input.resolved.index.digest, role: 'index'})
    targets.push({digest: imageDigest, role: 'manifest'})
  } else {
    // Signatures usually name the index the user referenced; the platform image's own ones count too.
    const from = input.local?.source ?? new RegistrySource(input.registries.get(ref.registry), ref)
    const sel = await selectPlatforms(from, {fallback: input.platform})
    imageDigest = sel.chosen[0]?.digest ?? sel.top.raw.digest
    index = sel.index?.index
    indexDigest = sel.index?.digest
    if (indexDigest) targets.push({digest: indexDigest, role: 'index'})
    targets.push({digest: imageDigest, role: 'manifest'})
  }
  const signatureRepository = o.signatureRepository ?? req?.signatures?.repository ?? ref.repository
  const collected = await collectSupplyChain({
    client, repository: ref.repository, signatureRepository, index, targets, signers, trustRoot, allowMissingTlog: o.allowMissingTlog, notation,
  })
  const requirements: EffectiveRequirements = {
    signatures: signaturesRequired,
    signersFromFlags: fromFlags,
    provenance: req?.provenance?.required ? req.provenance : undefined,
    official: req?.official?.required === true,
    signers: [...signers.map((s) => s.label), ...(notation ? [notation.label] : [])],
    signatureRepository: input.local ? client.registry : `${ref.registry}/${signatureRepository}`,
    trustRoot: trustRoot.source,
  }
  const sigOutcome = decideSignatures(collected.signatures)
  const provOutcome = decideProvenance(req?.provenance ?? {}, collected.provenance)
  const official = decideOfficial(ref, collected.provenance)
  const reasons: string[] = []
  if (requirements.signatures && sigOutcome.status !== 'verified') reasons.push(signatureReason(sigOutcome, collected.looked))
  if (requirements.provenance && provOutcome.status !== 'satisfied' && provOutcome.status !== 'unsigned') reasons.push(provenanceReason(provOutcome))
  if (requirements.official && !official.official) reasons.push(official.reason)
  const summary: SupplyChainSummary = {
    reference: formatReference(ref),
    imageDigest,
    indexDigest,
    platform: index ? formatPlatform(input.platform) : undefined,
    requirements,
    verified: reasons.length === 0,
    reasons,
    signatures: collected.signatures,
    provenance: collected.provenance,
    official,
    outcomes: {signatures: sigOutcome, provenance: provOutcome},
    looked: collected.looked,
    referrersVia: collected.referrersVia,
  }
  return {findings: supplyChainFindings(summary), checked: {signatures: true, provenance: true, official: true}, summary}
}
