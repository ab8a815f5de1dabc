import type {Severity} from '../../findings/finding.js'
import {redact} from '../../findings/finding.js'
import {hit, isPlaceholder, type Hit, type LineIndex} from './util.js'
import {classifyValue} from './values.js'

/**
 * HTTP credentials written into commands and config: `Authorization: Basic|Bearer|Token …` headers and curl's
 * `-u/--user user:password`. Scripts, Dockerfiles and healthchecks carry them; the value is judged like any assigned
 * literal, and templates (`$TOKEN`, `${{ secrets.X }}`, `$(gcloud auth print-access-token)`) stay out.
 */
const HEADER =
  /\b(?:Proxy-)?Authorization["']?[ \t]*[:=][ \t]*["']?(?:(Basic|Bearer|Token|Api-Token|Digest|SSWS|JWT|ApiKey|GenieKey)[ \t]+)?([A-Za-z0-9._~+/=:@!%-]{6,})/gi
const SCHEME_WORDS = /^(basic|bearer|token|api-token|digest|negotiate|ntlm|ssws|jwt|apikey|geniekey|none|null)$/i
const CURL_USER = /(?:^|[\s'"])(?:-u|--user|--proxy-user)(?:[ \t]+|=)(?=\S)/g

/** One shell word from `at`: bare runs and quoted runs glued together (`kevin:'pRf7…'`). */
function shellWord(text: string, at: number): {word: string; end: number} {
  let word = ''
  let i = at
  while (i < text.length && i - at < 400) {
    const c = text[i] ?? ''
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1)
      if (close < 0 || text.slice(i, close).includes('\n')) break
      word += text.slice(i + 1, close)
      i = close + 1
    } else if (/\s/.test(c)) {
      break
    } else {
      word += c
      i++
    }
  }
  return {word, end: i}
}

function templated(v: string): boolean {
  // `$1:$2`, `${USER}:${PASS}`, `$(cat f)`; a `$` inside a password (`P@ssw0rd$1`) is a character.
  return /(^|:)\$|\$[{(A-Za-z_]|\{\{|<[^>]*>|\[[A-Z_]+\]|%[sd]|^\{/.test(v)
}

interface Found {
  secret: string
  start: number
  severity: Severity
  evidence: string
}

function basic(value: string): {user: string; pass: string} | undefined {
  if (!/^[A-Za-z0-9+/]{4,}={0,2}$/.test(value)) return undefined
  const decoded = Buffer.from(value, 'base64').toString('utf8')
  if (!/^[\x20-\x7e]+$/.test(decoded) || !decoded.includes(':')) return undefined
  const i = decoded.indexOf(':')
  return {user: decoded.slice(0, i), pass: decoded.slice(i + 1)}
}

/** HEADER tried at one place only: the walk knows where `uthorization` occurs, and most texts hold it nowhere near a header. */
const HEADER_AT = new RegExp(HEADER.source, 'iy')

/**
 * The matches HEADER's global scan gives, found from the offsets of `uthorization` instead: a match starts at the
 * `A` before it, or six characters earlier with `Proxy-`, and the scan's matches do not overlap.
 */
function* headerMatches(text: string, at: readonly number[]): Generator<RegExpExecArray> {
  let from = 0
  for (const w of at) {
    for (const start of [w - 7, w - 1]) {
      if (start < from || start < 0) continue
      HEADER_AT.lastIndex = start
      const m = HEADER_AT.exec(text)
      if (!m) continue
      from = start + m[0].length
      yield m
      break
    }
  }
}

function headers(text: string, at: readonly number[]): Found[] {
  const out: Found[] = []
  for (const m of headerMatches(text, at)) {
    const scheme = m[1] ?? ''
    const value = m[2] ?? ''
    if (SCHEME_WORDS.test(value) || isPlaceholder(value) || /^(x+|\.+|\*+)$/i.test(value)) continue
    const start = (m.index ?? 0) + m[0].length - value.length
    let severity: Severity | undefined
    const creds = /^basic$/i.test(scheme) ? basic(value) : undefined
    if (creds) {
      if (creds.pass === '' ? classifyValue(creds.user, []) === 'random' || creds.user.length >= 6 : !isPlaceholder(creds.pass) && creds.pass !== creds.user) {
        severity = creds.pass === '' ? 'low' : 'medium'
      }
    } else if (classifyValue(value, ['authorization']) === 'random' || (value.length >= 20 && /^eyJ/.test(value))) {
      severity = 'medium'
    }
    if (severity) out.push({secret: value, start, severity, evidence: `Authorization: ${scheme ? `${scheme} ` : ''}${redact(value)}`})
  }
  return out
}

function offsetsOf(text: string, re: RegExp): number[] {
  return [...text.matchAll(re)].map((m) => m.index ?? 0)
}

function curlUsers(text: string): Found[] {
  const out: Found[] = []
  for (const m of text.matchAll(CURL_USER)) {
    const at = (m.index ?? 0) + m[0].length
    // `-u` is a flag of many tools (useradd, docker run); only curl's (and wget's) take user:password.
    if (!/\b(curl|wget)\b/.test(text.slice(Math.max(0, at - 300), at))) continue
    const {word} = shellWord(text, at)
    const colon = word.indexOf(':')
    if (colon < 0 || templated(word)) continue
    const user = word.slice(0, colon)
    const pass = word.slice(colon + 1)
    // `-u "d2LkV78zLx!t:"`: an API key as the user name, with an empty password (Stripe, Mailgun, Elastic style).
    const secret = pass === '' ? user : pass
    if (secret === '' || pass === user) continue
    const cls = classifyValue(secret, ['user', 'username', 'password', 'pass', 'token'])
    if (!cls || cls === 'sample' || (pass === '' && cls !== 'random')) continue
    const start = text.indexOf(secret, at)
    out.push({
      secret, start, severity: cls === 'random' ? 'medium' : 'low',
      evidence: pass === '' ? `curl -u ${redact(user)}:` : `curl -u ${user}:${redact(pass)}`,
    })
  }
  return out
}

/** `header`: the offsets of `uthorization` in any case, ascending (the walk knows them from its word pass). */
export function detectHttpAuth(text: string, lines: LineIndex, header: readonly number[] = offsetsOf(text, /uthorization/gi)): Hit[] {
  const found = [
    ...(header.length > 0 ? headers(text, header) : []),
    ...(text.includes('-u') ? curlUsers(text) : []),
  ]
  return found.map((f) => hit(lines, {
    id: 'secret.http-auth', severity: f.severity, category: 'secret', title: 'HTTP credentials in a header or command line',
    secret: f.secret, start: f.start, end: f.start + f.secret.length, priority: 15, evidence: f.evidence,
  }))
}
