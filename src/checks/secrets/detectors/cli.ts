import {redact} from '../../../findings/finding.js'
import type {Detector, WordHits} from '../detector.js'
import {hit, isPlaceholder, shannon, type Hit, type LineIndex} from '../util.js'

/** `$VAR`, `${{ x }}`, `$(cmd)`, `<user:password>`, `[PASSWORD]`: the command names a secret without holding one. */
function templated(v: string): boolean {
  return /^\$|\$\{|\$\(|\{\{|^<.*>$|^\[.*\]$|^%[A-Za-z_]+%$|^\{[A-Za-z_ -]*\}$/.test(v)
}

function unbrace(v: string): string {
  return /^\{[^{}]*\d[^{}]*\}$/.test(v) ? v.slice(1, -1) : v
}

function realPassword(p: string, user: string): boolean {
  if (p.length < 6 || templated(p) || isPlaceholder(p) || p === user || /^(.)\1+$/.test(p)) return false
  if (/^(?:pass(?:word)?|token|secret|yyy+|xxx+)$/i.test(p)) return false
  return shannon(p) >= 2.5
}

// `-u user:pass`, `--user 'user:pass'`, `-u "user":"pass"`, `--user kevin:'pw'`, over `\` continuations; the
// argument is one shell word (quotes joined). Bounded: a minified file may say `curl` thousands of times
// on a line. A value without a colon is a user alone: curl prompts for the password.
const CURL_USER = /\bcurl\b(?:[^\n]|\\\n){0,600}?\s(?:-u|--user)\s+((?:"[^"\n]*"|'[^'\n]*'|[^\s"'])+)/g
const CURL_HEADER = /\bcurl\b[\s\S]{0,400}?(?:-H|--header)\s+(["'])\s*(Authorization|[A-Za-z-]*(?:api-?key|api-?token|token))\s*:\s*(?:(Basic|Bearer|Token|Api-Token|Digest)\s+)?([^"'\s]+)\s*\1/gi
const DOCKER_LOGIN = /\bdocker\s+login\b[^\n]{0,300}?(?:\s-p|\s--password)[ =](["']?)([^\s"']+)\1/g

function curlUser(text: string, lines: LineIndex): Hit[] {
  const out: Hit[] = []
  for (const m of text.matchAll(CURL_USER)) {
    const word = (m[1] ?? '').replace(/["']/g, '')
    if (templated(word)) continue
    const colon = word.indexOf(':')
    if (colon < 0) continue
    // API docs wrap values in braces (`"{key}":"{secret}"`); braces around a random value are still sent as typed.
    const user = unbrace(word.slice(0, colon))
    const pass = unbrace(word.slice(colon + 1))
    // `-u "token:"`: a user part alone is the secret for APIs that take a key as the user name.
    const secret = pass || user
    if (templated(user) || templated(pass) || !realPassword(secret, pass ? user : '')) continue
    const at = text.indexOf(secret, m.index + m[0].length - (m[1] ?? '').length)
    const start = at < 0 ? m.index : at
    out.push(hit(lines, {
      id: 'secret.curl-credentials', severity: 'high', category: 'secret', title: 'Credentials on a curl command line',
      secret, start, end: start + secret.length, priority: 7, evidence: `curl --user ${pass ? `${user}:${redact(pass)}` : redact(user)}`,
    }))
  }
  return out
}

function curlHeader(text: string, lines: LineIndex): Hit[] {
  const out: Hit[] = []
  for (const m of text.matchAll(CURL_HEADER)) {
    const value = m[4] ?? ''
    const scheme = (m[3] ?? '').toLowerCase()
    if (templated(value) || isPlaceholder(value) || /^[.*xX]+$/.test(value) || value.length < 8) continue
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8')
      // Basic is base64 of `user:password` (a password may be empty: an API key as user name).
      if (!/^[^:\s]+:[^\s]*$/.test(decoded)) continue
    } else if (shannon(value) < 2.5) continue
    const start = m.index + m[0].lastIndexOf(value)
    out.push(hit(lines, {
      id: 'secret.curl-credentials', severity: 'high', category: 'secret', title: 'Credentials in a curl request header',
      secret: value, start, end: start + value.length, priority: 7, evidence: `${m[2]}: ${m[3] ? `${m[3]} ` : ''}${redact(value)}`,
    }))
  }
  return out
}

function dockerLogin(text: string, lines: LineIndex): Hit[] {
  const out: Hit[] = []
  for (const m of text.matchAll(DOCKER_LOGIN)) {
    const pw = m[2] ?? ''
    if (!realPassword(pw, '')) continue
    const start = m.index + m[0].lastIndexOf(pw)
    out.push(hit(lines, {
      id: 'secret.docker-login-password', severity: 'high', category: 'secret', title: 'Registry password on a docker login command line',
      secret: pw, start, end: start + pw.length, priority: 7, evidence: `docker login -p ${redact(pw)}`,
    }))
  }
  return out
}

/**
 * Other commands that take a password as an argument: the MySQL clients' `-p<password>` (glued: `-p pw` prompts),
 * `sshpass -p`, PowerShell's `ConvertTo-SecureString "…" -AsPlainText`, and a `--password`/`--token` flag with
 * its value after a space (`--password=…` is an assignment, the generic rule's).
 */
const PASSWORD_ARGS: ReadonlyArray<{needle: string; re: RegExp; what: string}> = [
  {needle: 'mysql', what: 'mysql -p',
    re: /\bmysql(?:dump|admin|import|show|check)?\b[^\n]{0,200}?\s-p(["']?)([^\s"'-][^\s"']{5,200})\1(?=\s|$)/g},
  {needle: 'sshpass', what: 'sshpass -p', re: /\bsshpass\s+-p\s*(["']?)([^\s"'-][^\s"']{5,200})\1(?=\s|$)/g},
  {needle: 'ConvertTo-SecureString', what: 'ConvertTo-SecureString -AsPlainText',
    re: /ConvertTo-SecureString\s+(?:-String\s+)?(["'])([^"'\n]{6,200})\1\s+-AsPlainText/gi},
  {needle: '--', what: '--password', re: new RegExp('(?<=\\s)--(?:[a-z0-9]{1,20}-){0,3}(?:password|passwd|token|secret|api-key)' +
    String.raw`[ \t]+(["']?)([^\s"'\\-][^\s"'\\]{5,200})\1(?=\s|$)`, 'g')},
]

/** Where a `--…password`/`--…token` flag may be: its last dash and word, found by the walk's one pass. */
const FLAG_WORDS = ['-password', '-passwd', '-token', '-secret', '-api-key']

function passwordArgs(text: string, lines: LineIndex, present: ReadonlySet<string>, words: WordHits): Hit[] {
  const out: Hit[] = []
  for (const {needle, re, what} of PASSWORD_ARGS) {
    if (needle === '--' ? !FLAG_WORDS.some((w) => words.has(w)) : !present.has(needle)) continue
    for (const m of text.matchAll(re)) {
      const pw = m[2] ?? ''
      if (!realPassword(pw, '') || /^[A-Z][A-Z0-9_]*$/.test(pw)) continue
      const start = m.index + m[0].lastIndexOf(pw)
      out.push(hit(lines, {
        id: 'secret.cli-password', severity: 'high', category: 'secret', title: 'Password or token on a command line',
        secret: pw, start, end: start + pw.length, priority: 7, evidence: `${what} ${redact(pw)}`,
      }))
    }
  }
  return out
}

/** Credentials typed into commands that build scripts and Dockerfiles keep: curl, docker login, mysql, sshpass. */
export const cliDetector: Detector = {
  id: 'cli', version: 4, needles: ['curl', 'docker login', 'docker  login', 'mysql', 'sshpass', 'ConvertTo-SecureString'],
  words: FLAG_WORDS, gate: (_text, _path, words) => FLAG_WORDS.some((w) => words.has(w)),
  detect: (text, ctx) => [
    ...(ctx.present.has('curl') ? [...curlUser(text, ctx.lines), ...curlHeader(text, ctx.lines)] : []),
    ...(ctx.present.has('docker login') || ctx.present.has('docker  login') ? dockerLogin(text, ctx.lines) : []),
    ...passwordArgs(text, ctx.lines, ctx.present, ctx.words),
  ],
}
