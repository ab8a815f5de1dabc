import {matchPattern} from '../policy/match.js'
import type {ProvenanceRequirements} from '../policy/types.js'
import type {Reference} from '../reference/reference.js'
import type {ProvenanceRecord, SignatureRecord} from './records.js'

/**
 * Pure decisions on what was collected, kept apart from the registry so they can be tested on data (a Docker
 * Official Image cannot be fetched offline).
 */

export const DOCKER_LIBRARY_BUILDER = 'https://github.com/docker-library'

export interface OfficialDecision {
  official: boolean
  /** One sentence: why it is (not) official. Never says "signed": DOI carry no publisher signature today. */
  reason: string
  builderId?: string
}

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

export type ProvenanceOutcome =
  | {status: 'satisfied'; record: ProvenanceRecord}
  | {status: 'unsigned'; record: ProvenanceRecord}
  | {status: 'missing'}
  | {status: 'builder-mismatch'; found: string[]; expected: string[]}
  | {status: 'source-mismatch'; found: string[]; expected: string[]}

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

export type SignatureOutcome =
  | {status: 'verified'; records: SignatureRecord[]}
  | {status: 'missing'}
  | {status: 'identity-mismatch'; failures: SignatureRecord[]}
  | {status: 'invalid'; failures: SignatureRecord[]}

/** Signatures count when they sign the image (legacy or bundle); attestations prove provenance, not approval. */
export function decideSignatures(records: readonly SignatureRecord[]): SignatureOutcome {
  const sigs = records.filter((r) => r.kind === 'cosign-legacy' || r.kind === 'bundle' || r.kind === 'notation')
  const verified = sigs.filter((r) => r.verified)
  if (verified.length > 0) return {status: 'verified', records: verified}
  if (sigs.length === 0) return {status: 'missing'}
  const who = sigs.filter((r) => r.failure?.code === 'identity-mismatch' || r.failure?.code === 'issuer-mismatch')
  return who.length > 0 ? {status: 'identity-mismatch', failures: sigs} : {status: 'invalid', failures: sigs}
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)]
}
