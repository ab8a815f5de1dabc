import {newFinding, type Category, type Finding, type Severity} from '../findings/finding.js'
import {isTamperingSignal, provenanceReason, signatureReason} from './decide.js'
import type {SignatureRecord, SupplyChainSummary} from './records.js'

/** Signatures (not attestations) present that nobody was asked to check. */
const UNCHECKED_KINDS: ReadonlySet<SignatureRecord['kind']> = new Set(['cosign-legacy', 'bundle'])

/**
 * Findings from a supply-chain check. Severity follows the requirement: what a scope requires and is missing is
 * high (fails at the default failOn); what a signer flag asks for is critical (no failOn lets it through); the same
 * observation without a requirement is low or info, reported only. A signature that is there and was forged,
 * altered or copied from another image is high whatever is required: it is a tampering signal, not a preference.
 * Fingerprints key on the repository, not the digest, so an allowlist entry survives a rebuild.
 */
export function supplyChainFindings(s: SupplyChainSummary): Finding[] {
  const out: Finding[] = []
  const subject = repositoryOf(s.reference)
  const add = (id: string, severity: Severity, category: Category, title: string, evidence: string) =>
    out.push(newFinding({id, severity, category, title, rule: 'trust-external', evidence, subject}))

  const sig = s.outcomes.signatures
  const req = s.requirements
  const requiredSeverity: Severity = req.signersFromFlags ? 'critical' : 'high'
  const byFlags = req.signersFromFlags ? ' (required by the signer flags)' : ''
  const expected = req.signers.length > 0 ? `expected ${req.signers.join(' or ')}${byFlags}` : 'no signer configured'
  if (sig.status === 'missing' && req.signatures) {
    const evidence = `${signatureReason(sig, s.looked)}; ${expected}`
    add('signature.missing', requiredSeverity, 'signature', 'Image is not signed', evidence)
  } else if ((sig.status === 'identity-mismatch' || sig.status === 'invalid') && req.signers.length > 0) {
    const tampered = sig.failures.some(isTamperingSignal)
    const severity: Severity = req.signatures ? requiredSeverity : tampered ? 'high' : 'low'
    const evidence = `${signatureReason(sig, s.looked)}; ${expected}`
    if (sig.status === 'identity-mismatch') {
      add('signature.identity-mismatch', severity, 'signature', 'Image is signed by someone else', evidence)
    } else {
      add('signature.invalid', severity, 'signature', 'Image signature does not verify', evidence)
    }
  }
  const unchecked = s.signatures.filter((r) => UNCHECKED_KINDS.has(r.kind) && r.failure?.code === 'not-checked')
  if (unchecked.length > 0) {
    const where = unchecked.map((r) => r.location).join('; ')
    add('signature.unverified', 'info', 'signature', 'Image carries signatures, not verified',
      `${unchecked.length} signature(s) at ${where}; no key or certificate identity to verify them against`)
  }
  // Verified or rejected Notation signatures are judged above like cosign's; this is only for the ones nobody could check.
  for (const n of s.signatures.filter((r) => r.kind === 'notation' && !r.verified && r.failure?.code === 'unsupported')) {
    add('signature.notation-unverified', 'info', 'signature', 'Notation signature present, not verified', `${n.location}: ${n.failure?.message ?? ''}`)
  }
  const badAtt = s.signatures.filter((r) => r.kind === 'attestation' && !r.verified && r.failure?.code !== 'not-checked')
  for (const a of badAtt) {
    add('provenance.invalid', 'medium', 'provenance', 'Attestation does not verify', `${a.location} (${a.predicateType ?? 'unknown predicate'}): ${a.failure?.code ?? '?'}: ${a.failure?.message ?? ''}`)
  }

  const prov = s.outcomes.provenance
  const required = s.requirements.provenance !== undefined
  if (prov.status === 'missing' && required) {
    add('provenance.missing', 'high', 'provenance', 'No build provenance', provenanceReason(prov))
  } else if (prov.status === 'builder-mismatch') {
    add('provenance.builder-mismatch', required ? 'high' : 'low', 'provenance', 'Provenance names an unexpected builder', `found builder ${prov.found.join(', ')}; expected ${prov.expected.join(' or ')}`)
  } else if (prov.status === 'source-mismatch') {
    add('provenance.source-mismatch', required ? 'high' : 'low', 'provenance', 'Provenance names an unexpected source repository', `found source ${prov.found.join(', ')}; expected ${prov.expected.join(' or ')}`)
  } else if (prov.status === 'unsigned' && !s.official.official) {
    const r = prov.record
    add('provenance.unsigned', 'low', 'provenance', 'Build provenance is unsigned', `${r.source} provenance (${r.predicateType}) from builder ${r.summary.builderId ?? '(none)'} at ${r.location} carries no verified signature`)
  }

  if (s.official.official) {
    add('official.provenance-unsigned', 'info', 'provenance', 'Docker Official Image: official provenance present, unsigned', `${s.official.reason}. Docker Content Trust is retired for official images (notary.docker.io shuts down 2026-12-08) and they carry no publisher signature`)
  } else if (s.requirements.official) {
    add('official.not-official', 'high', 'provenance', 'Not a Docker Official Image', s.official.reason)
  }
  return out
}


/** `host:port/repo:tag@digest` -> `host:port/repo`: a tag's colon only counts after the last slash. */
function repositoryOf(reference: string): string {
  const noDigest = reference.replace(/@.*$/, '')
  const slash = noDigest.lastIndexOf('/')
  const colon = noDigest.lastIndexOf(':')
  return colon > slash ? noDigest.slice(0, colon) : noDigest
}
