import type {Category, Finding, Severity} from '../findings/finding.js'

/**
 * What every renderer gets: plain data, nothing about how findings were made. `scan` fills image, findings and
 * stats; `vet` adds the policy, verdict and reasons.
 */
export interface Report {
  kind: 'scan' | 'vet'
  tool: {name: 'imgvet'; version: string}
  /** For an index: its digest, and `platform` lists the platforms checked (also as `platforms`). */
  image: {
    reference: string
    digest: string
    platform: string
    platforms?: string[]
    /** The source had no manifest (docker-archive): imgvet wrote one, so no registry knows this digest. */
    digestSynthesised?: boolean
  }
  findings: Finding[]
  suppressed?: Finding[]
  policy?: {name: string; scope: string | null}
  verdict?: 'pass' | 'fail'
  reasons?: Array<{id: string; message: string; platform?: string}>
  /** An index: one entry per platform checked (each with its own verdict in `vet`), the overall one above. */
  platforms?: PlatformEntry[]
  /** Index entries that are not images to run (attestation manifests, unknown/unknown), so not checked. */
  skipped?: Array<{digest: string; platform: string; why: string}>
  /** The run could not complete (exit 3, or bad input found mid-run): the report says so instead of passing. */
  error?: {code: string; message: string}
  /** Checks that could not run (e.g. signatures not checked), with why. */
  notes?: string[]
  summary: {bySeverity: Record<Severity, number>; byCategory: Partial<Record<Category, number>>}
  stats?: {
    layers: number
    files: number
    bytes: number
    seconds: number
    layersFromCache?: number
    /** Text files larger than maxTextBytes, scanned only up to it (--max-text-size), and the first few. */
    partialTextFiles?: number
    partialTextExamples?: Array<{path: string; size: number; layer: number}>
    maxTextBytes?: number
    /** --skip-dirs / --skip-files as given, the entries no check saw, and the first few: a skip is never silent. */
    skip?: {dirs: readonly string[]; files: readonly string[]}
    skippedPaths?: number
    skippedExamples?: Array<{path: string; layer: number}>
    /** Files the content checks left because their bytes are binary (not text, no key armour, no keystore). */
    binaryFilesSkipped?: number
  }
}

export interface PlatformEntry {
  platform: string
  digest: string
  verdict?: 'pass' | 'fail'
  reasons?: Array<{id: string; message: string}>
  summary: Report['summary']
}

export function summarise(findings: readonly Finding[]): Report['summary'] {
  const bySeverity: Record<Severity, number> = {critical: 0, high: 0, medium: 0, low: 0, info: 0}
  const byCategory: Partial<Record<Category, number>> = {}
  for (const f of findings) {
    bySeverity[f.severity]++
    byCategory[f.category] = (byCategory[f.category] ?? 0) + 1
  }
  return {bySeverity, byCategory}
}

export const SEED_RULE_TITLES: Record<string, string> = {
  'no-credentials': 'Never bake credentials, keys or certificates into an image',
  'non-root': 'Never run as root inside a container',
  ports: 'Expose only the ports a service must offer',
  'trust-external': 'Never implicitly trust an external image',
  'single-owner': 'One owner and sensitivity per host',
  'minimal-host': 'Keep the host (and image) minimal',
  'daemon-tls': 'Reach the Docker daemon only over authenticated TLS',
  rebuild: 'When in doubt, rebuild from a vetted Dockerfile',
}
