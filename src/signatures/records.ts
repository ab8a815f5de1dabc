import {createHash, type KeyObject} from 'node:crypto'
import type {SignerPolicy} from './bundle.js'
import type {LogEntryRef, SigFailureCode, VerifyResult} from './failure.js'
import type {ProvenanceSummary} from './intoto.js'
import type {ProvenanceRequirements} from '../policy/types.js'

/** A signer the caller accepts, with the words used to name it in reports. */
export interface NamedSigner {
  label: string
  policy: SignerPolicy
}

/** What was signed: the image manifest, or the index the user referenced (cosign signs what it was given). */
export interface Target {
  digest: string
  role: 'manifest' | 'index'
}

export type SignatureKind = 'cosign-legacy' | 'bundle' | 'attestation' | 'notation'

/** Why a found signature did not count: a verifier code, or that nothing was there to check it against. */
export type RecordFailureCode = SigFailureCode | 'not-checked'

export interface SignatureRecord {
  target: Target
  kind: SignatureKind
  /** `registry/repo:tag` or `registry/repo@digest` of the manifest holding it, plus the layer. */
  location: string
  /** Digest of the blob that carries the signature (legacy layer, bundle, DSSE envelope). */
  digest: string
  verified: boolean
  /** Which accepted signer verified it (its label), and what the certificate said. */
  signer?: {label: string; kind: 'key' | 'keyless' | 'x509'; identity?: string; issuer?: string
    /** Notation: the trust-store certificate the signer's chain contains, `subject (file, sha256:...)`. */
    trustAnchor?: string}
  tlog: LogEntryRef[]
  predicateType?: string
  failure?: {code: RecordFailureCode; message: string}
}

export interface ProvenanceRecord {
  target: Target
  source: 'cosign-attestation' | 'bundle' | 'buildkit'
  /** True only when a signature over the statement verified against an accepted signer. */
  signed: boolean
  location: string
  digest: string
  predicateType: string
  summary: ProvenanceSummary
  /** Label of the signer that verified it. */
  signer?: string
}

export interface OfficialDecision {
  official: boolean
  /** One sentence: why it is (not) official. Never says "signed": DOI carry no publisher signature today. */
  reason: string
  builderId?: string
}

export type ProvenanceOutcome =
  | {status: 'satisfied'; record: ProvenanceRecord}
  | {status: 'unsigned'; record: ProvenanceRecord}
  | {status: 'missing'}
  | {status: 'builder-mismatch'; found: string[]; expected: string[]}
  | {status: 'source-mismatch'; found: string[]; expected: string[]}

export type SignatureOutcome =
  | {status: 'verified'; records: SignatureRecord[]}
  | {status: 'missing'}
  | {status: 'identity-mismatch'; failures: SignatureRecord[]}
  | {status: 'invalid'; failures: SignatureRecord[]}

export interface EffectiveRequirements {
  signatures: boolean
  /**
   * The signers came from command-line flags. Naming a signer there means "must be signed by this signer", as in
   * `cosign verify`, whatever the policy scope says; findings about it are critical so no failOn lets them through.
   */
  signersFromFlags: boolean
  provenance: ProvenanceRequirements | undefined
  official: boolean
  signers: string[]
  signatureRepository: string
  trustRoot: string
}

export interface SupplyChainSummary {
  reference: string
  /** Image manifest digest (for the chosen platform). */
  imageDigest: string
  indexDigest?: string
  platform?: string
  requirements: EffectiveRequirements
  /** All requirements met. */
  verified: boolean
  /** Why not, one line each; empty when verified. */
  reasons: string[]
  signatures: SignatureRecord[]
  provenance: ProvenanceRecord[]
  official: OfficialDecision
  outcomes: {signatures: SignatureOutcome; provenance: ProvenanceOutcome}
  looked: string[]
  referrersVia: string[]
}

export function keyLabel(key: KeyObject, path?: string): string {
  const fp = createHash('sha256').update(key.export({type: 'spki', format: 'der'})).digest('hex')
  return `key ${path ? `${path} ` : ''}(sha256:${fp.slice(0, 16)}…)`
}

export function identityLabel(p: {subject?: string; subjectRegExp?: string; issuer?: string; issuerRegExp?: string}): string {
  const subject = p.subject ?? (p.subjectRegExp !== undefined ? `/${p.subjectRegExp}/` : '?')
  const issuer = p.issuer ?? (p.issuerRegExp !== undefined ? `/${p.issuerRegExp}/` : '?')
  return `identity ${subject} (issuer ${issuer})`
}

/**
 * Try every accepted signer on one signature; the first that verifies wins. When none does, the failures are
 * kept together so the report says what each accepted signer found wrong, not just the last one.
 */
export function tryEach<R extends VerifyResult>(
  signers: readonly NamedSigner[],
  verify: (p: SignerPolicy) => R,
): {ok: Extract<R, {ok: true}>; label: string} | {ok: false; code: SigFailureCode; message: string} {
  const failures: {label: string; code: SigFailureCode; message: string}[] = []
  for (const s of signers) {
    const r = verify(s.policy)
    if (r.ok) return {ok: r as Extract<R, {ok: true}>, label: s.label}
    failures.push({label: s.label, code: r.code, message: r.message})
  }
  const first = failures[0]
  if (!first) return {ok: false, code: 'no-signature', message: 'no signer to verify against'}
  if (failures.length === 1) return {ok: false, code: first.code, message: first.message}
  // Name the most telling failure: a signature that is fine but from someone else beats "wrong kind of material".
  const order: SigFailureCode[] = ['identity-mismatch', 'issuer-mismatch', 'subject-mismatch', 'signature-invalid', 'cert-expired']
  const best = order.map((c) => failures.find((f) => f.code === c)).find((f) => f !== undefined) ?? first
  return {ok: false, code: best.code, message: failures.map((f) => `${f.label}: ${f.code}: ${f.message}`).join('; ')}
}
