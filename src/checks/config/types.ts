import {fingerprint, type Finding, type LayerRef, type SeedRule, type Severity} from '../../findings/finding.js'
import type {ImageConfig} from '../../image/types.js'
import type {ScopeRequirements} from '../../policy/types.js'
import type {FinalView} from '../check.js'

/** Everything an image-level check may look at. Checks are pure: same context, same findings. */
export interface ImageCheckContext {
  config: ImageConfig
  view: FinalView
  /** The selected scope's requirements; `{}` when no scope applies (checks then only report what needs no policy). */
  requirements: ScopeRequirements
  /** Passed in, never read from the clock, so age checks are reproducible. */
  now: Date
  /** Manifest annotations (`org.opencontainers.image.base.name` may be there instead of in the labels). */
  annotations?: Readonly<Record<string, string>>
}

/**
 * A check over the config and the merged final view, run once per image after the walk. `findingIds` lists every
 * id it can emit so a test can prove ids are unique across the registry of checks.
 */
export interface ImageCheck {
  id: string
  /** Bump when the same image can produce different findings. */
  version: number
  rule: SeedRule
  findingIds: readonly string[]
  run(ctx: ImageCheckContext): Finding[]
}

interface ConfigFindingInput {
  id: string
  severity: Severity
  title: string
  rule: SeedRule
  evidence: string
  /** What makes this finding distinct within the image (a port, a label name, the User value); hashed. */
  subject: string
  path?: string | null
  layer?: LayerRef | null
  note?: string
}

export function configFinding(f: ConfigFindingInput): Finding {
  const path = f.path ?? null
  const out: Finding = {
    id: f.id,
    severity: f.severity,
    category: 'config',
    title: f.title,
    rule: f.rule,
    path,
    layer: f.layer ?? null,
    removedIn: null,
    evidence: f.evidence,
    fingerprint: fingerprint(f.id, path, f.subject),
  }
  if (f.note) out.note = f.note
  return out
}
