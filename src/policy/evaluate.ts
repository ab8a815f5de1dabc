import {atLeast, newFinding, severityRank, SEVERITIES, type Category, type Finding, type Severity} from '../findings/finding.js'
import {formatReference, type Reference} from '../reference/reference.js'
import {applyAllowlist} from './allowlist.js'
import {scopeName, selectScope, toReference} from './match.js'
import {
  DEFAULT_FAIL_ON,
  DEFAULT_NOT_CHECKED,
  DEFAULT_SECRETS_FAIL_ON,
  SECRET_CATEGORIES,
  type Policy,
  type Scope,
  type ScopeRequirements,
  type Verdict,
  type VerdictReason,
} from './types.js'

/** Which requirement families a caller actually verified; anything required and not listed here is "not checked". */
export interface Checked {
  signatures?: boolean
  provenance?: boolean
  official?: boolean
}

interface EvaluateInput {
  policy: Policy
  reference: string | Reference
  /** From the scan, the config checks and the signature checks. */
  findings: readonly Finding[]
  checked?: Checked
  /** Passed in so expiry is reproducible in tests and CI replays. */
  now?: Date
}

/** The requirements the config checks should run with: the selected scope's, or none. */
export function requirementsFor(policy: Policy, ref: string | Reference): ScopeRequirements {
  return selectScope(policy, ref) ?? {}
}

export function isFailing(f: Finding, scope: ScopeRequirements): boolean {
  const threshold = SECRET_CATEGORIES.has(f.category)
    ? (scope.secrets?.failOn ?? DEFAULT_SECRETS_FAIL_ON)
    : (scope.failOn ?? DEFAULT_FAIL_ON)
  return atLeast(f.severity, threshold)
}

/** Findings the policy itself produces: requirements nobody could check yet, and tag-only references at a gate. */
function requirementFindings(scope: Scope, ref: Reference, checked: Checked): Finding[] {
  const out: Finding[] = []
  const sev = scope.notChecked ?? DEFAULT_NOT_CHECKED
  const name = formatReference(ref)
  // About the image as a whole, so no path or layer: the reference is what makes it distinct.
  const policyFinding = (id: string, severity: Severity, category: Category, title: string, evidence: string) =>
    newFinding({id, severity, category, title, rule: 'trust-external', evidence, subject: name})
  if (scope.signatures?.required && !checked.signatures) {
    out.push(policyFinding('policy.signatures.not-checked', sev, 'signature', 'Signatures are required but were not checked', `scope ${scope.index} requires a signature on ${name}; no signature verification ran`))
  }
  if (scope.provenance?.required && !checked.provenance) {
    out.push(policyFinding('policy.provenance.not-checked', sev, 'provenance', 'Provenance is required but was not checked', `scope ${scope.index} requires provenance for ${name}; no provenance verification ran`))
  }
  if (scope.official?.required && !checked.official) {
    out.push(policyFinding('policy.official.not-checked', sev, 'provenance', 'Official-image provenance is required but was not checked', `scope ${scope.index} requires Docker Official Image provenance for ${name}; it was not verified`))
  }
  if (scope.refuseTagOnly && !ref.digest) {
    // Critical so that no failOn setting lets a mutable tag through a gate that asked to refuse it.
    out.push(policyFinding('policy.tag-only', 'critical', 'integrity', 'Reference has no digest', `${name} names a tag, which can be moved; this scope accepts only name@sha256:... references`))
  }
  return out
}

function reasonFor(f: Finding): VerdictReason {
  const where = f.path ? ` at ${f.path}` : ''
  return {id: f.id, message: `${f.title}${where}: ${f.evidence}`, severity: f.severity, path: f.path, fingerprint: f.fingerprint}
}

function summarise(findings: readonly Finding[], failing: number): Verdict['summary'] {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>
  const byCategory: Partial<Record<Category, number>> = {}
  for (const f of findings) {
    bySeverity[f.severity] += 1
    byCategory[f.category] = (byCategory[f.category] ?? 0) + 1
  }
  return {bySeverity, byCategory, failing}
}

/**
 * Decide pass/fail. A reference no scope covers fails: a policy is an allowlist of where images may come from,
 * so silence must not mean yes.
 */
export function evaluate(input: EvaluateInput): Verdict {
  const now = input.now ?? new Date()
  const ref = toReference(input.reference)
  const scope = selectScope(input.policy, ref)
  const policyInfo = {name: input.policy.name, source: input.policy.source}
  if (!scope) {
    const findings = [...input.findings]
    return {
      policy: {...policyInfo, scope: null},
      reference: formatReference(ref),
      pass: false,
      findings,
      suppressed: [],
      summary: summarise(findings, 0),
      reasons: [{id: 'policy.no-scope', message: `no scope of policy "${input.policy.name}" matches ${scopeName(ref)}`}],
    }
  }
  const all = [...input.findings, ...requirementFindings(scope, ref, input.checked ?? {})]
  const {kept, suppressed, notices} = applyAllowlist(all, scope.allow ?? [], now, input.policy.file)
  const findings = [...kept, ...notices]
  const failing = findings.filter((f) => isFailing(f, scope))
  const reasons = failing
    .map(reasonFor)
    .sort((a, b) => severityRank(b.severity ?? 'info') - severityRank(a.severity ?? 'info'))
  return {
    policy: {...policyInfo, scope: {index: scope.index, match: scope.match, description: scope.description}},
    reference: formatReference(ref),
    pass: failing.length === 0,
    findings,
    suppressed,
    summary: summarise(findings, failing.length),
    reasons,
  }
}
