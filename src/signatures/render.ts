import type {Finding} from '../findings/finding.js'
import type {ProvenanceRecord, SignatureRecord} from './records.js'
import type {SupplyChainSummary} from './records.js'
import {escapeControl} from '../report/escape.js'

/**
 * Text for `imgvet verify`: the verdict first, then every signature found with its kind, digest, who signed it
 * (SAN + issuer, or which key) and its log entry, then provenance. Mismatches always say what was found.
 */
export function renderVerifyText(s: SupplyChainSummary, findings: readonly Finding[]): string {
  const lines: string[] = []
  lines.push(`${s.verified ? 'VERIFIED' : 'NOT VERIFIED'}: ${s.reference}`)
  lines.push(`  image    ${s.imageDigest}${s.platform ? ` (${s.platform})` : ''}`)
  if (s.indexDigest) lines.push(`  index    ${s.indexDigest}`)
  const r = s.requirements
  const wants = [r.signatures ? 'signature' : '', r.provenance ? 'provenance' : '', r.official ? 'official image' : ''].filter(Boolean)
  lines.push(`  requires ${wants.join(', ') || 'nothing'}${r.signers.length ? `; accepted signers: ${r.signers.join(' or ')}` : ''}`)
  lines.push(`  trust    ${r.trustRoot}; signatures looked up in ${r.signatureRepository}`)
  for (const reason of s.reasons) lines.push(`  reason   ${reason}`)
  lines.push('')
  lines.push(s.signatures.length ? 'Signatures:' : 'Signatures: none found')
  for (const sig of s.signatures) lines.push(...signatureLines(sig))
  lines.push(s.provenance.length ? 'Provenance:' : 'Provenance: none found')
  for (const p of s.provenance) lines.push(...provenanceLines(p))
  lines.push(`Official image: ${s.official.official ? s.official.reason : `no (${s.official.reason})`}`)
  if (findings.length) {
    lines.push('Findings:')
    for (const f of findings) lines.push(`  [${f.severity}] ${f.id}: ${f.evidence}`)
  }
  // Every line quotes the registry (identities, locations, failure messages): one escape pass covers them all.
  return lines.map(escapeControl).join('\n') + '\n'
}

function signatureLines(sig: SignatureRecord): string[] {
  const status = sig.verified ? 'verified' : `NOT verified (${sig.failure?.code ?? '?'})`
  const out = [`  - ${sig.kind} on ${sig.target.role} ${sig.target.digest}: ${status}`]
  out.push(`      signature ${sig.digest || '(unreadable)'} at ${sig.location}`)
  if (sig.predicateType) out.push(`      predicate ${sig.predicateType}`)
  if (sig.signer?.kind === 'x509') {
    out.push(`      signer    ${sig.signer.identity ?? '?'}`, `      chained   to ${sig.signer.trustAnchor ?? '?'}`)
  } else if (sig.signer) {
    out.push(sig.signer.kind === 'keyless'
      ? `      signer    ${sig.signer.identity ?? '?'} (issuer ${sig.signer.issuer ?? '?'})`
      : `      signer    ${sig.signer.label}`)
  }
  for (const t of sig.tlog) {
    out.push(`      log entry logIndex ${t.logIndex}, integratedTime ${t.integratedTime ? new Date(t.integratedTime * 1000).toISOString() : 'n/a'}, logID ${t.logID}`)
  }
  if (sig.failure) out.push(`      why       ${sig.failure.message}`)
  return out
}

function provenanceLines(p: ProvenanceRecord): string[] {
  const out = [`  - ${p.source} SLSA v${p.summary.slsaVersion} on ${p.target.role} ${p.target.digest}: ${p.signed ? `signed (${p.signer ?? '?'})` : 'unsigned'}`]
  out.push(`      builder   ${p.summary.builderId ?? '(none)'}`)
  if (p.summary.sourceRepo) out.push(`      source    ${p.summary.sourceRepo}${p.summary.sourceCommit ? `@${p.summary.sourceCommit}` : ''}`)
  out.push(`      at        ${p.location}`)
  return out
}
