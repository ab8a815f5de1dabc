import {createHash} from 'node:crypto'
import type {Origin} from './origin.js'

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info'
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info']

export type Category =
  | 'secret'
  | 'private-key'
  | 'certificate'
  | 'credential-file'
  | 'config'
  | 'signature'
  | 'provenance'
  | 'integrity'

/** The seed rules a finding can break; reports group by these. */
export type SeedRule =
  | 'ports'
  | 'non-root'
  | 'daemon-tls'
  | 'minimal-host'
  | 'single-owner'
  | 'no-credentials'
  | 'trust-external'
  | 'rebuild'

export interface LayerRef {
  index: number
  digest: string
}

/** The JSON contract every check produces and every renderer consumes. */
export interface Finding {
  id: string
  severity: Severity
  category: Category
  title: string
  rule: SeedRule
  path: string | null
  layer: LayerRef | null
  /** The layer whose whiteout deleted the path; the bytes are still in `layer`'s blob. */
  removedIn: LayerRef | null
  line?: number
  /** Always redacted: never the whole secret. */
  evidence: string
  fingerprint: string
  /** Why the severity was lowered or the finding suppressed (example value, test fixture, allowlist). */
  note?: string
  /** The compose service (`compose check`) the finding belongs to, its image's findings included. */
  service?: string
  /** A suppressed finding: the allowlist entry that suppressed it, `file:line`. */
  allowedBy?: string
  /** The platform of an index the finding was made in (`linux/arm64/v8`); absent for a single-platform image. */
  platform?: string
  /** When the credential or certificate stops being valid (ISO 8601), as read from it; see judgeTime(). */
  expires?: string
  /** The file's layer and package, and whether the package vouches for its content (src/layers/origin.ts). */
  origin?: Origin
}

export function severityRank(s: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(s)
}

export function atLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) >= severityRank(threshold)
}

/**
 * Stable across runs and layer rebuilds that do not change the secret: rule id, path and the secret itself (hashed,
 * so the fingerprint never reveals it). The layer is deliberately left out: the same key re-added by a rebuild of
 * the base stays suppressed. Allowlists name it, so the formula does not change. Every producer, the layer walk
 * included, makes findings with newFinding(), which is the only caller.
 */
function fingerprint(id: string, path: string | null, subject: string): string {
  return createHash('sha256').update(`${id}\0${path ?? ''}\0${subject}`).digest('hex').slice(0, 32)
}

/** What a check knows about a finding; newFinding() adds the fingerprint and the empty places. */
export interface FindingSpec extends Partial<Omit<Finding, 'id' | 'severity' | 'category' | 'title' | 'rule' | 'evidence' | 'fingerprint'>> {
  id: string
  severity: Severity
  category: Category
  title: string
  rule: SeedRule
  /** Already redacted: never the whole secret. */
  evidence: string
  /**
   * What makes the finding distinct under its id and path (the secret, a port, a service and its setting): hashed
   * into the fingerprint, never shown. Leave out what moves without the finding changing (a line, a digest).
   */
  subject: string
  /**
   * Where a finding with no file is (`ENV API_TOKEN`, a label): it takes the path's place in the fingerprint, so
   * the same secret under two names is two findings.
   */
  where?: string
}

/** The one way a Finding is made: every producer's fingerprint is the same function of id, path and subject. */
export function newFinding(s: FindingSpec): Finding {
  const path = s.path ?? null
  const f: Finding = {
    id: s.id,
    severity: s.severity,
    category: s.category,
    title: s.title,
    rule: s.rule,
    path,
    layer: s.layer ?? null,
    removedIn: s.removedIn ?? null,
    ...(s.line !== undefined ? {line: s.line} : {}),
    evidence: s.evidence,
    fingerprint: fingerprint(s.id, path ?? s.where ?? null, s.subject),
  }
  // Optional facts stay absent rather than empty, so every producer's findings have one JSON shape.
  if (s.note) f.note = s.note
  if (s.service) f.service = s.service
  if (s.platform) f.platform = s.platform
  if (s.expires) f.expires = s.expires
  if (s.origin) f.origin = s.origin
  return f
}

/**
 * The finding as made in one platform of an index. The platform joins the fingerprint, so the same key in two
 * platforms is two alerts (fixing one does not close the other); single-platform fingerprints stay as they were.
 */
export function withPlatform(f: Finding, platform: string): Finding {
  if (f.platform === platform) return f
  const fp = createHash('sha256').update(`${f.fingerprint}\0platform\0${platform}`).digest('hex').slice(0, 32)
  return {...f, platform, fingerprint: fp}
}

/** Redact a secret for display: a short prefix that identifies the kind, the rest masked, and the length. */
export function redact(secret: string): string {
  const s = secret.replace(/\s+/g, ' ').trim()
  if (s.length <= 8) return `${'*'.repeat(Math.max(s.length, 4))}`
  const keep = Math.min(4, Math.floor(s.length / 6))
  // The prefix is there to tell kinds apart (AKIA, ghp_, xox); punctuation such as a PEM's dashes says nothing.
  const prefix = /[A-Za-z0-9]/.test(s.slice(0, keep)) ? s.slice(0, keep) : ''
  return `${prefix}${'*'.repeat(8)} (${s.length} chars)`
}
