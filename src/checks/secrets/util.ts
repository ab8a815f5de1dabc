import type {Category, Severity} from '../../findings/finding.js'
import type {Detection} from '../check.js'

/** A detection while the scan still knows where it sits, so overlaps between rules can be resolved. */
export interface Hit extends Detection {
  start: number
  end: number
  /** Lower wins when two hits overlap: a specific rule beats the generic one that saw the same bytes. */
  priority: number
  /** Claims its bytes in overlaps but is not reported: the second half of a pair reported once (AWS id + secret). */
  shadow?: boolean
}

/** Offsets to 1-based line numbers, built only when a file has a hit (most files have none). */
export class LineIndex {
  private starts: number[] | null = null
  constructor(private readonly text: string) {}

  lineOf(offset: number): number {
    if (!this.starts) {
      const s = [0]
      let i = this.text.indexOf('\n')
      while (i !== -1) {
        s.push(i + 1)
        i = this.text.indexOf('\n', i + 1)
      }
      this.starts = s
    }
    let lo = 0
    let hi = this.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((this.starts[mid] ?? 0) <= offset) lo = mid
      else hi = mid - 1
    }
    return lo + 1
  }
}

interface HitSpec {
  id: string
  severity: Severity
  category: Category
  title: string
  secret: string
  start: number
  end: number
  evidence?: string
  note?: string
  expires?: string
  priority?: number
}

export function hit(lines: LineIndex, s: HitSpec): Hit {
  const h: Hit = {
    id: s.id,
    severity: s.severity,
    category: s.category,
    title: s.title,
    rule: 'no-credentials',
    secret: s.secret,
    line: lines.lineOf(s.start),
    start: s.start,
    end: s.end,
    priority: s.priority ?? 10,
  }
  if (s.evidence !== undefined) h.evidence = s.evidence
  if (s.note !== undefined) h.note = s.note
  if (s.expires !== undefined) h.expires = s.expires
  return h
}

/** Shannon entropy in bits per character. */
export function shannon(s: string): number {
  if (s.length === 0) return 0
  const counts = new Map<string, number>()
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1)
  let e = 0
  for (const n of counts.values()) {
    const p = n / s.length
    e -= p * Math.log2(p)
  }
  return e
}

const PLACEHOLDER_WORDS = new Set([
  'password', 'passwd', 'pass', 'secret', 'token', 'changeme', 'change_me', 'changeit', 'example', 'sample',
  'mypassword', 'yourpassword', 'your_password', 'your-password', 'redacted', 'hidden', 'dummy', 'test', 'testing',
  'placeholder', 'none', 'null', 'nil', 'undefined', 'true', 'false', 'default', 'admin', 'root', 'todo', 'fixme',
  'notasecret', 'foobar', 'foo', 'bar', 'baz', 'qwerty', '123456', '12345678', 'letmein', 'required', 'optional',
  'string', 'value', 'empty', 'unset', 'xxx', 'secret123', 'password123', 'mysecret', 'supersecret',
])

/**
 * Values that name a secret rather than hold one: templates (`${VAR}`, `{{ x }}`, `<password>`, `%(pw)s`), masks
 * (`xxxx`, `****`), documentation words (`changeme`, `YOUR_PASSWORD`, `REPLACE_WITH_...`).
 */
export function isPlaceholder(value: string): boolean {
  const v = value.trim()
  if (v.length === 0) return true
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-=?+][^}]*)?\}?$/.test(v)) return true
  if (/\$\{[^}]*\}|\{\{[^}]*\}\}|^\{[^}]*\}$|^<[^>]*>$|^%\(?[A-Za-z_]*\)?s$|^%[A-Z_]+%$|^\[[^\]]*\]$/.test(v)) return true
  const lower = v.toLowerCase()
  if (PLACEHOLDER_WORDS.has(lower)) return true
  if (/^(x+|\*+|\.+|#+|-+|_+|0+|1+|a+|z+|\?+)$/i.test(v)) return true
  if (/(^|[_-])(your|my|replace|insert|enter|put|change|fill)[_-]?(me|here|with|in|your|the|_)|^your[_-]|[_-]here$|example|sample|placeholder|dummy|redacted|changeme|xxxx|\*\*\*\*/i.test(v)) {
    return true
  }
  return false
}


/**
 * `ServerCancellationToken`, `SyntaxKind.DotToken`: CamelCase words average four or more letters a segment, where
 * random letters flip case every one or two characters.
 */
export function looksLikeIdentifier(value: string): boolean {
  let v = value
  // Member access (`asn1js.OctetString`, `publicKeyJSON.x`) is code whatever its parts look like.
  if (/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(v)) return true
  v = v.replace(/_\d+$/, '')
  if (!/^[A-Za-z_]+(?:[.:][A-Za-z_]+)*$/.test(v)) return false
  const segs = v.split(/[._:]|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/).filter(Boolean)
  const letters = segs.reduce((n, s) => n + s.length, 0)
  return segs.length > 0 && letters / segs.length >= 4
}

/** `scram-sha-256`, `aes_256_cbc`: short lowercase words and numbers joined by dashes, an algorithm or mode name. */
export function looksLikeWords(v: string): boolean {
  return /^[a-z0-9]+(?:[-_][a-z0-9]+)+$/.test(v) && v.split(/[-_]/).every((p) => p.length <= 8 && (/^[a-z]+$/.test(p) || /^\d+$/.test(p)))
}

export function stripHits(hits: Hit[]): Detection[] {
  return hits.filter((h) => !h.shadow).map(({start: _s, end: _e, priority: _p, shadow: _h, ...d}) => d)
}

/** Drop hits whose bytes a higher-priority hit already covers (the generic rule seeing an AWS key, say). */
export function resolveOverlaps(hits: Hit[]): Hit[] {
  const sorted = [...hits].sort((a, b) => a.priority - b.priority || a.start - b.start)
  const kept: Hit[] = []
  for (const h of sorted) {
    const clash = kept.some((k) => h.start < k.end && k.start < h.end && k.category !== 'certificate' && h.category !== 'certificate')
    if (!clash) kept.push(h)
  }
  return kept.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id))
}

export function basename(path: string): string {
  const i = path.lastIndexOf('/')
  return i === -1 ? path : path.slice(i + 1)
}
