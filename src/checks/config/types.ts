import {newFinding, type Finding, type FindingSpec, type SeedRule} from '../../findings/finding.js'
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

/** A finding of an image check: category config; `subject` is the port, label name or User value. */
export function configFinding(f: Omit<FindingSpec, 'category'>): Finding {
  return newFinding({...f, category: 'config'})
}
