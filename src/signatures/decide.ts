import {matchPattern} from '../policy/match.js'
import type {ProvenanceRequirements} from '../policy/types.js'
import type {Reference} from '../reference/reference.js'
import type {
  OfficialDecision, ProvenanceOutcome, ProvenanceRecord, RecordFailureCode, SignatureOutcome, SignatureRecord,
} from './records.js'

/**
 * Pure decisions on what was collected, kept apart from the registry so they can be tested on data (a Docker
 * Official Image cannot be fetched offline).
 */

export const DOCKER_LIBRARY_BUILDER = 'https://github.com/docker-library'

/** `https://github.com/docker-library` itself or anything under it, but not `https://github.com/docker-library-evil`. */
export function isDockerLibraryBuilder(id: string | undefined): boolean {
  return id !== undefined && (id === DOCKER_LIBRARY_BUILDER || id.startsWith(`${DOCKER_LIBRARY_BUILDER}/`))
}

/**
 * Docker Official Image: the name resolves to docker.io/library/<name> and the index carries BuildKit provenance
 * from the docker-library builder. Docker Content Trust is retired for these images (notary.docker.io shuts down
 * on 2026-12-08) and no publisher signature replaces it, so the most that can be said is "provenance, unsigned".
 */
export function decideOfficial(ref: Pick<Reference, 'registry' | 'repository'>, provenance: readonly ProvenanceRecord[]): OfficialDecision {
  const name = `${ref.registry}/${ref.repository}`
  if (ref.registry !== 'docker.io' || !/^library\/[^/]+$/.test(ref.repository)) {
    return {official: false, reason: `${name} is not in docker.io/library, where Docker Official Images live`}
  }
  const buildkit = provenance.filter((p) => p.source === 'buildkit')
  const hit = buildkit.find((p) => isDockerLibraryBuilder(p.summary.builderId))
  if (hit) {
    return {official: true, builderId: hit.summary.builderId, reason: `official provenance present, unsigned: BuildKit provenance in the index names builder ${hit.summary.builderId}`}
  }
  if (buildkit.length === 0) return {official: false, reason: `${name} has no BuildKit provenance in its index, which every Docker Official Image carries`}
  const found = [...new Set(buildkit.map((p) => p.summary.builderId ?? '(none)'))].join(', ')
  return {official: false, reason: `${name} provenance names builder ${found}, not ${DOCKER_LIBRARY_BUILDER}`}
}

function matchesAny(patterns: readonly string[] | undefined, value: string | undefined): boolean {
  if (!patterns || patterns.length === 0) return true
  return value !== undefined && patterns.some((p) => matchPattern(p, value))
}

/**
 * The best provenance for the requirements: a signed one that matches beats an unsigned one that matches; when
 * none matches, say which half (builder or source) nobody satisfied, with what was found.
 */
export function decideProvenance(req: Pick<ProvenanceRequirements, 'builderIds' | 'sourceRepositories'>, records: readonly ProvenanceRecord[]): ProvenanceOutcome {
  if (records.length === 0) return {status: 'missing'}
  const fits = records.filter((r) => matchesAny(req.builderIds, r.summary.builderId) && matchesAny(req.sourceRepositories, r.summary.sourceRepo))
  const signed = fits.find((r) => r.signed)
  if (signed) return {status: 'satisfied', record: signed}
  const unsigned = fits[0]
  if (unsigned) return {status: 'unsigned', record: unsigned}
  const builders = records.filter((r) => matchesAny(req.builderIds, r.summary.builderId))
  if (builders.length === 0) {
    return {status: 'builder-mismatch', found: uniq(records.map((r) => r.summary.builderId ?? '(none)')), expected: req.builderIds ?? []}
  }
  return {status: 'source-mismatch', found: uniq(builders.map((r) => r.summary.sourceRepo ?? '(none)')), expected: req.sourceRepositories ?? []}
}

/** Signatures count when they sign the image (legacy or bundle); attestations prove provenance, not approval. */
export function decideSignatures(records: readonly SignatureRecord[]): SignatureOutcome {
  const sigs = records.filter((r) => r.kind === 'cosign-legacy' || r.kind === 'bundle' || r.kind === 'notation')
  const verified = sigs.filter((r) => r.verified)
  if (verified.length > 0) return {status: 'verified', records: verified}
  if (sigs.length === 0) return {status: 'missing'}
  const who = sigs.filter((r) => r.failure?.code === 'identity-mismatch' || r.failure?.code === 'issuer-mismatch')
  return who.length > 0 ? {status: 'identity-mismatch', failures: sigs} : {status: 'invalid', failures: sigs}
}

/**
 * Failures that say the material was forged, altered or taken from another image, rather than made by someone we do
 * not trust: a signature that does not verify, a payload or subject naming another digest, a log entry or chain
 * that does not hold, material that does not parse. Another identity, an unlogged or expired signature, or a kind
 * we cannot check is not one of them.
 */
const TAMPERING: ReadonlySet<RecordFailureCode> = new Set<RecordFailureCode>([
  'signature-invalid', 'digest-mismatch', 'subject-mismatch', 'tlog-invalid', 'cert-invalid',
  'bad-bundle', 'bad-payload', 'payload-type',
])

export function isTamperingSignal(r: Pick<SignatureRecord, 'verified' | 'failure'>): boolean {
  return !r.verified && r.failure !== undefined && TAMPERING.has(r.failure.code)
}

export function signatureReason(s: SignatureOutcome, looked: readonly string[]): string {
  switch (s.status) {
    case 'verified':
      return 'signature verified'
    case 'missing':
      return `no signature found (looked at ${looked.join('; ')})`
    case 'identity-mismatch':
    case 'invalid':
      return `no signature verified: ${s.failures.map(failureLine).join(' | ')}`
  }
}

function failureLine(f: SignatureRecord): string {
  return `${f.kind} ${f.digest || f.location}: ${f.failure?.code ?? '?'}: ${f.failure?.message ?? ''}`
}

export function provenanceReason(p: ProvenanceOutcome): string {
  switch (p.status) {
    case 'satisfied':
    case 'unsigned':
      return `provenance from ${p.record.summary.builderId ?? '(no builder id)'}`
    case 'missing':
      return 'no SLSA provenance found (no verified .att or bundle attestation, no BuildKit provenance in the index)'
    case 'builder-mismatch':
      return `provenance builder ${p.found.join(', ')} does not match ${p.expected.join(', ')}`
    case 'source-mismatch':
      return `provenance source ${p.found.join(', ')} does not match ${p.expected.join(', ')}`
  }
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)]
}
