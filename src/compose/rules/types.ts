import {newFinding, type Category, type Finding, type SeedRule, type Severity} from '../../findings/finding.js'
import type {ComposeProject, ComposeService} from '../load.js'
import type {Loc} from '../tree.js'

/** What vetting an image told us that the compose file alone cannot: only known when images are vetted. */
export interface ImageFacts {
  /** `80/tcp` keys of the config's ExposedPorts. */
  exposed: Set<string>
  /** The config's USER ('' when unset). */
  user: string
  /** Whether the image's own checks found it runs as root (USER empty, 0, or a name passwd maps to uid 0). */
  runsAsRoot: boolean
}

export interface ServiceContext {
  project: ComposeProject
  service: ComposeService
  /** Other services that reach this one by name (depends_on, links, network_mode, a hostname in their settings). */
  usedBy: string[]
  /** Facts of the service's image; undefined when images are not vetted or the service has none. */
  image?: ImageFacts
}

/** A check of one service. Adding one is a file (or a function) and a line in rules/index.ts. */
export interface ServiceRule {
  id: string
  run(ctx: ServiceContext): Finding[]
}

/** A check across the services of a project (they will share a host). */
export interface ProjectRule {
  id: string
  run(project: ComposeProject): Finding[]
}

interface FindingSpec {
  id: string
  severity: Severity
  rule: SeedRule
  title: string
  evidence: string
  loc: Loc
  service: string
  /** What makes this finding distinct within its service (not the line: edits above it must not change it). */
  subject: string
  category?: Category
  note?: string
}

export function composeFinding(s: FindingSpec): Finding {
  const {loc, subject, ...rest} = s
  return newFinding({...rest, category: s.category ?? 'config', path: loc.file, line: loc.line, subject: `${s.service}\0${subject}`})
}
