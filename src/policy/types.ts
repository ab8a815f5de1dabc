import type {Category, Finding, Severity} from '../findings/finding.js'

/**
 * A trust policy as loaded: YAML validated against schema.ts, key paths made absolute, defaults merged into each
 * scope. Plain data, so the signatures engine and the evaluator can consume it without knowing about YAML.
 */

interface Identity {
  issuer: string
  /** Exact certificate SAN. Exactly one of subject / subjectRegExp is set. */
  subject?: string
  /** Matched anchored (signatures/identity.ts): sigstore-js matches SANs unanchored, which lets `me@x.com.evil` pass. */
  subjectRegExp?: string
}

export interface SignatureRequirements {
  required: boolean
  /** PEM public keys, absolute paths (written relative to the policy file). */
  keys?: string[]
  identities?: Identity[]
  /** Where signatures live when not next to the image (cosign's COSIGN_REPOSITORY). */
  repository?: string
  notation?: NotationRequirements
}

/** Notary Project signatures: the certificates trusted as roots, and whose subject may sign. */
interface NotationRequirements {
  /** PEM certificate files, absolute paths (written relative to the policy file). */
  trustStore: string[]
  /** `x509.subject: C=US, ST=WA, O=Acme, CN=Release` (C, ST and O required), or `*`. */
  identities: string[]
}

export interface ProvenanceRequirements {
  required: boolean
  /** Globs, or regular expressions written as `/.../`; see matchPattern in match.ts. */
  builderIds?: string[]
  sourceRepositories?: string[]
}

interface UserRequirements {
  nonRoot: boolean
  allowedUids?: number[]
}

export interface AllowEntry {
  path?: string
  id?: string
  fingerprint?: string
  /** Glob on the owning package's name (finding.origin); never matches a file modified after install. */
  package?: string
  reason: string
  /** YYYY-MM-DD; the entry applies through the end of that day (UTC). */
  expires: string
  /** 1-based line of the entry in the policy file, for messages about it. */
  line?: number
  /** The file the entry came from when it is not the policy's own (`--allow FILE`). */
  file?: string
}

/** What a scope asks of the images it covers. Every key is optional: absent means "not required". */
export interface ScopeRequirements {
  /** Severity at or above which a non-secret finding fails the verdict (default high). */
  failOn?: Severity
  /** Severity of the finding emitted when a required signature/provenance/official check could not run. */
  notChecked?: Severity
  signatures?: SignatureRequirements
  provenance?: ProvenanceRequirements
  official?: {required: boolean}
  user?: UserRequirements
  ports?: {allow: string[]}
  labels?: {required: string[]}
  secrets?: {failOn: Severity}
  allow?: AllowEntry[]
  baseImages?: {allow: string[]}
  maxAgeDays?: number
  refuseTagOnly?: boolean
}

export interface Scope extends ScopeRequirements {
  /** `registry/repository` globs (picomatch); `*` stays inside one path component, `**` crosses them. */
  match: string[]
  description?: string
  /** 0-based position in the policy; the first scope that matches wins. */
  index: number
  line?: number
}

export interface Policy {
  name: string
  description?: string
  /** Absolute path of the file it came from, or `preset:<name>`. */
  source: string
  file: string
  scopes: Scope[]
}

/** One schema or semantic problem, already mapped to a line of the policy file. */
export interface PolicyIssue {
  file: string
  line: number
  /** Dotted key path, `scopes[0].user.nonRoot`; empty for the document itself. */
  key: string
  message: string
}

export const SECRET_CATEGORIES: ReadonlySet<Category> = new Set<Category>(['secret', 'private-key', 'certificate', 'credential-file'])

export const DEFAULT_FAIL_ON: Severity = 'high'
export const DEFAULT_SECRETS_FAIL_ON: Severity = 'high'
/** A requirement the policy states and nobody checked fails by default: never fold "could not check" into pass. */
export const DEFAULT_NOT_CHECKED: Severity = 'high'

export interface VerdictReason {
  /** Finding id, or a policy-level id such as `policy.no-scope`. */
  id: string
  message: string
  severity?: Severity
  path?: string | null
  fingerprint?: string
}

export interface Verdict {
  policy: {name: string; source: string; scope: {index: number; match: string[]; description?: string} | null}
  reference: string
  pass: boolean
  /** Every finding that was not suppressed, failing or not. */
  findings: Finding[]
  /** Findings an allowlist entry suppressed, each with the entry's reason in `note`. */
  suppressed: Finding[]
  summary: {bySeverity: Record<Severity, number>; byCategory: Partial<Record<Category, number>>; failing: number}
  /** Empty when pass is true. */
  reasons: VerdictReason[]
}
