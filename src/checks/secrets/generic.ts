import {redact} from '../../findings/finding.js'
import {hit, isPlaceholder, looksRandom, type Hit, type LineIndex} from './util.js'

/** The names the generic rule looks at; one case-insensitive test gates the costly assignment regex. */
export const SECRET_NAME = /pass(?:wd|word|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential/i

/**
 * `key = value`, `key: value`, `"key": "value"`, `KEY=value`, `key := value`, `key => value`; the name must hold one
 * of the secret words, the value is quoted or runs to whitespace, `,` or `;`.
 */
const ASSIGNMENT =
  /(?<![A-Za-z0-9_])([A-Za-z0-9_.-]{0,40}?(?:pass(?:wd|word|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]{0,40}?)["']?[ \t]*(?::=|=>|=|:)[ \t]*(?:(["'`])([^"'`\r\n]{1,300})\2|([^\s"'`,;]{1,300}))/gi

/** Names another rule owns: a value of the wrong shape under them is not a secret (an encrypted blob, a KMS ref). */
const OWNED_NAMES = /aws_?secret_?access_?key|secret_?access_?key|aws_?secret_?key/i

/** Names that contain a secret word but name something public or not secret. */
export const NOT_SECRET_NAMES =
  /(?:^|_|\b)(?:public|pub|publishable)[_-]?key|token[_-]?(?:url|uri|endpoint|type|ttl|expir\w*|lifetime|length|file|path|name|header|prefix)$|(?:password|secret|token)[_-]?(?:file|path|dir|policy|length|min|max|hash|field|prompt|label|regex|pattern|hint|reset\w*|url|uri|name|key_name|id|env|ref|version)$|^(?:no|skip|use|has|require|allow|enable|is|show|check|ask)[_-]|_version$|length$|(?:encryption|algorithm|method|type|mode|format|scheme|strategy|provider|store|manager|source|kind|class|handler|callback|field|column|cache|modifiers?|keyword|operator)$/i

export function detectGeneric(text: string, lines: LineIndex): Hit[] {
  if (!SECRET_NAME.test(text)) return []
  const out: Hit[] = []
  ASSIGNMENT.lastIndex = 0
  for (const m of text.matchAll(ASSIGNMENT)) {
    const name = m[1] ?? ''
    const value = m[3] ?? m[4] ?? ''
    if (OWNED_NAMES.test(name) || NOT_SECRET_NAMES.test(name)) continue
    // `CompositePrivateKey = CompositePrivateKey_1`: a value that repeats its own name is code.
    if (!looksRandom(value) || value.toLowerCase().includes(name.toLowerCase().replace(/^.*\./, ''))) continue
    const start = m.index + m[0].lastIndexOf(value)
    out.push(hit(lines, {
      id: 'secret.generic-assignment', severity: 'medium', category: 'secret', title: 'Secret-like value assigned to a secret name',
      secret: value, start, end: start + value.length, priority: 30, evidence: `${name}=${redact(value)}`,
    }))
  }
  return out
}

/** scheme://user:password@host, including passwords that contain '@' (the last '@' before the host wins). */
const URL_CREDS = /\b([a-z][a-z0-9+.-]{1,20}):\/\/([^\s:/?#@'"`<>[\](){}]{1,128}):([^\s/?#'"`<>]{1,256})@(?=[A-Za-z0-9[_-])/gi

const AUTHORITY = /[^\s/?#]{0,390}/y

/**
 * The regex only around a `://` whose authority holds both ':' and '@': logs and JSON carry URLs on every line and
 * almost none with credentials, and the regex, tried at every word boundary, cost more than the rest of the rules.
 */
function* urlCredentialMatches(text: string): Generator<RegExpMatchArray & {index: number}> {
  const seen = new Set<number>()
  for (let idx = text.indexOf('://'); idx >= 0; idx = text.indexOf('://', idx + 3)) {
    AUTHORITY.lastIndex = idx + 3
    const authority = AUTHORITY.exec(text)?.[0] ?? ''
    if (!authority.includes('@') || !authority.includes(':')) continue
    const from = Math.max(0, idx - 21)
    const window = text.slice(from, idx + 3 + authority.length + 2)
    for (const m of window.matchAll(URL_CREDS)) {
      const at = from + m.index
      if (seen.has(at)) continue
      seen.add(at)
      m.index = at
      yield m as RegExpMatchArray & {index: number}
    }
  }
}

export function detectUrlCredentials(text: string, lines: LineIndex): Hit[] {
  if (!text.includes('://')) return []
  const out: Hit[] = []
  for (const m of urlCredentialMatches(text)) {
    const user = m[2] ?? ''
    const pass = m[3] ?? ''
    // `https://<token>:x-oauth-basic@github.com`: GitHub's form where the user part is the secret.
    const host = /^[A-Za-z0-9.-]*/.exec(text.slice(m.index + m[0].length, m.index + m[0].length + 260))?.[0] ?? ''
    // `https://<token>:x-oauth-basic@github.com`: GitHub's form where the user part is the secret.
    const tokenInUser = /^x-oauth-basic$/i.test(pass)
    const secret = tokenInUser ? user : pass
    const template = /^\$|\$\{|\{\{|^\{|^<|^%[A-Z_]+%$/i.test(pass) || /^\$|\{/.test(user)
    // RFC 2606/6761 names are documentation by definition: reported at info, whatever the password looks like.
    const docHost = /(^|\.)(example\.(com|org|net)|example|test|invalid|localhost\.example)$/i.test(host)
    let note: string | undefined
    if (tokenInUser) {
      if (secret.length < 20) continue
    } else if (docHost) {
      if (template || pass.length < 3) continue
      note = `documentation host ${host} (RFC 2606)`
    } else {
      if (template || pass.length < 6 || pass === user || isPlaceholder(pass) || /^(.)\1+$/.test(pass)) continue
      if (isPlaceholder(user) && pass.length < 10) continue
    }
    const start = m.index
    out.push(hit(lines, {
      id: 'secret.url-credentials', severity: note ? 'info' : 'medium', note, category: 'secret', title: 'Credentials embedded in a URL',
      secret, start, end: start + m[0].length, priority: 8,
      evidence: `${m[1]}://${tokenInUser ? redact(user) : user}:${tokenInUser ? pass : redact(pass)}@…`,
    }))
  }
  return out
}
