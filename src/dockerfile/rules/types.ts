import {fingerprint, type Category, type Finding, type SeedRule, type Severity} from '../../findings/finding.js'
import type {Policy, ScopeRequirements} from '../../policy/types.js'
import type {ParsedDockerfile} from '../parse.js'

export interface RuleContext {
  df: ParsedDockerfile
  policy: Policy
  /** Requirements of the scope the built image falls under (ports, user, baseImages, failOn). */
  target: ScopeRequirements
}

/** A Dockerfile rule: pure, so the same file and policy always give the same findings. */
export interface DockerfileRule {
  id: string
  /** Every finding id the rule can emit, so a test can prove ids are unique. */
  findingIds: readonly string[]
  run(ctx: RuleContext): Finding[]
}

interface DfFindingInput {
  id: string
  severity: Severity
  category: Category
  rule: SeedRule
  title: string
  line: number
  evidence: string
  /** What makes the finding distinct within the file (an image, a port, a secret); hashed, never shown. */
  subject: string
  note?: string
}

/** The line is left out of the fingerprint so that editing lines above a finding keeps its allowlist entry valid. */
export function dfFinding(path: string, f: DfFindingInput): Finding {
  const out: Finding = {
    id: f.id,
    severity: f.severity,
    category: f.category,
    title: f.title,
    rule: f.rule,
    path,
    layer: null,
    removedIn: null,
    line: f.line,
    evidence: f.evidence,
    fingerprint: fingerprint(f.id, path, f.subject),
  }
  if (f.note) out.note = f.note
  return out
}
