import {newFinding, type Finding, type FindingSpec} from '../../findings/finding.js'
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

/**
 * A finding at a line of the Dockerfile at `path`. The line is not in the subject, so editing lines above a finding
 * keeps its allowlist entry valid.
 */
export function dfFinding(path: string, f: FindingSpec & {line: number}): Finding {
  return newFinding({...f, path})
}
