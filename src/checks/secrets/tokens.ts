import type {Severity} from '../../findings/finding.js'
import {validBase62Checksum} from './checksum.js'
import {hit, isPlaceholder, type Hit, type LineIndex} from './util.js'

interface Verdict {
  severity?: Severity
  note?: string
  /** false drops the match (not a token after all). */
  keep?: boolean
}

interface TokenRule {
  id: string
  title: string
  severity: Severity
  /** Cheap substrings: the regex only runs when one of them is in the text. */
  needles: string[]
  re: RegExp
  check?: (token: string) => Verdict
}

const B = '(?<![A-Za-z0-9_-])'
const E = '(?![A-Za-z0-9_-])'

function githubCheck(token: string): Verdict {
  if (/^gh[pousr]_[A-Za-z0-9]{36}$/.test(token)) {
    return validBase62Checksum(token, 4)
      ? {}
      : {severity: 'low', note: 'CRC32 checksum does not match: probably a made-up or mangled token'}
  }
  return {}
}

function npmCheck(token: string): Verdict {
  return validBase62Checksum(token, 4)
    ? {}
    : {severity: 'low', note: 'CRC32 checksum does not match: probably a made-up or mangled token'}
}

function maskedCheck(token: string): Verdict {
  // A token whose variable part is a mask (XXXX, 0000) is a template, still worth an info line.
  const tail = token.replace(/^[a-z]+[-_]/i, '')
  if (/X{4,}|x{6,}|0{8,}/.test(tail) || isPlaceholder(tail)) return {severity: 'info', note: 'masked or template value'}
  return {}
}

function jwtCheck(token: string): Verdict {
  const [h, p] = token.split('.')
  try {
    const header: unknown = JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8'))
    if (typeof header !== 'object' || header === null || !('alg' in header)) return {keep: false}
    const alg = (header as {alg: unknown}).alg
    if (typeof alg !== 'string' || alg.toLowerCase() === 'none') return {keep: false}
    let exp: unknown
    try {
      const payload: unknown = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8'))
      if (typeof payload === 'object' && payload !== null) exp = (payload as {exp?: unknown}).exp
    } catch {
      // An opaque payload is allowed (JWE-like or non-JSON claims); the header decided.
    }
    if (typeof exp === 'number' && exp * 1000 < Date.now()) {
      return {severity: 'low', note: `signed ${alg} token, expired ${new Date(exp * 1000).toISOString().slice(0, 10)}`}
    }
    return {note: `signed ${alg} token${typeof exp === 'number' ? '' : ' without expiry'}`}
  } catch {
    return {keep: false}
  }
}

const RULES: TokenRule[] = [
  {
    id: 'secret.github-token', title: 'GitHub token', severity: 'high',
    needles: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    re: new RegExp(`${B}(?:gh[pousr]_[A-Za-z0-9_.-]{36,255}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})${E}`, 'g'),
    check: githubCheck,
  },
  {
    id: 'secret.gitlab-token', title: 'GitLab token', severity: 'high',
    needles: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glft-', 'GR1348941'],
    re: new RegExp(`${B}(?:(?:glpat|gldt|glrt|glptt|glft)-[A-Za-z0-9_.-]{20,}|GR1348941[A-Za-z0-9_-]{20,})${E}`, 'g'),
  },
  {
    id: 'secret.npm-token', title: 'npm access token', severity: 'high', needles: ['npm_'],
    re: new RegExp(`${B}npm_[A-Za-z0-9]{36}${E}`, 'g'), check: npmCheck,
  },
  {
    id: 'secret.pypi-token', title: 'PyPI API token', severity: 'high', needles: ['pypi-AgE'],
    re: new RegExp(`${B}pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}${E}`, 'g'),
  },
  {
    id: 'secret.slack-token', title: 'Slack token', severity: 'high', needles: ['xox', 'xapp-'],
    re: new RegExp(`${B}(?:xox[abposr]-[0-9A-Za-z-]{10,250}|xoxe(?:\\.xox[bp])?-\\d-[A-Za-z0-9]{100,}|xapp-\\d-[A-Z0-9]+-\\d+-[a-z0-9]+)${E}`, 'g'),
    check: maskedCheck,
  },
  {
    id: 'secret.slack-webhook', title: 'Slack incoming webhook URL', severity: 'medium', needles: ['hooks.slack.com'],
    re: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_]+\/[A-Za-z0-9_]+\/[A-Za-z0-9_]+/g,
    check: (t) => (/\/(T|B)?X{4,}|\/X{6,}/.test(t) ? {severity: 'info', note: 'masked or template value'} : {}),
  },
  {
    id: 'secret.stripe-key', title: 'Stripe secret or restricted key', severity: 'high', needles: ['k_live_', 'k_test_'],
    re: /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,247}(?![A-Za-z0-9_])/g,
    check: (t) => (t.includes('_test_') ? {severity: 'low', note: 'test-mode key: no access to live data'} : {}),
  },
  {
    id: 'secret.google-api-key', title: 'Google API key', severity: 'medium', needles: ['AIza'],
    re: new RegExp(`${B}AIza[0-9A-Za-z_-]{35}${E}`, 'g'),
  },
  {
    id: 'secret.sendgrid-key', title: 'SendGrid API key', severity: 'high', needles: ['SG.'],
    re: new RegExp(`${B}SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}${E}`, 'g'),
  },
  {
    id: 'secret.twilio-key', title: 'Twilio API key SID', severity: 'medium', needles: ['SK'],
    re: /(?<![A-Za-z0-9])SK[0-9a-f]{32}(?![A-Za-z0-9])/g,
  },
  {
    id: 'secret.openai-key', title: 'OpenAI API key', severity: 'high', needles: ['T3BlbkFJ'],
    re: new RegExp(`${B}sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}${E}`, 'g'),
  },
  {
    id: 'secret.anthropic-key', title: 'Anthropic API key', severity: 'high', needles: ['sk-ant-'],
    re: new RegExp(`${B}sk-ant-(?:api|admin|oat)\\d\\d-[A-Za-z0-9_-]{80,}${E}`, 'g'),
  },
  {
    id: 'secret.jwt', title: 'Signed JSON Web Token', severity: 'medium', needles: ['eyJ'],
    re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])/g,
    check: jwtCheck,
  },
]

export const TOKEN_NEEDLES: readonly string[] = RULES.flatMap((r) => r.needles)

/** `present` is the set of needles found in `text` (computed once per text by the caller). */
export function detectTokens(text: string, lines: LineIndex, present: ReadonlySet<string>): Hit[] {
  const out: Hit[] = []
  for (const rule of RULES) {
    if (!rule.needles.some((n) => present.has(n))) continue
    rule.re.lastIndex = 0
    for (const m of text.matchAll(rule.re)) {
      const token = m[0]
      const v = rule.check?.(token) ?? {}
      if (v.keep === false) continue
      out.push(hit(lines, {
        id: rule.id, severity: v.severity ?? rule.severity, category: 'secret', title: rule.title,
        secret: token, start: m.index, end: m.index + token.length, note: v.note,
        // A JWT is often embedded in another provider's token; the provider rule names it better.
        priority: rule.id === 'secret.jwt' ? 20 : 5,
      }))
    }
  }
  return out
}
