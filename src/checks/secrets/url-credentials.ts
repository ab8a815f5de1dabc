import {redact} from '../../findings/finding.js'
import {docStructure, fileKind} from './file-kind.js'
import {hit, isPlaceholder, type Hit, type LineIndex} from './util.js'

/** scheme://user:password@host, including passwords that contain '@' (the last '@' before the host wins). */
const URL_CREDS = /\b([a-z][a-z0-9+.-]{1,20}):\/\/([^\s:/?#@'"`<>[\](){}]{0,128}):([^\s/?#'"`<>]{1,256})@(?=[A-Za-z0-9[_(-])/gi

/** A URI up to where it ends in text: whitespace, a quote, a closing bracket of the surrounding markup. */
const URI_REST = /[^\s'"`<>]{0,600}/y
const AUTHORITY = /[^\s/?#]{0,390}/y

/** Password parameters inside a URI: JDBC (`;password=`), ODBC-like and query strings (`?user=u&password=`). */
const URI_PARAM = /[;?&(,]\s*(password|passwd|pwd|pass)\s*=\s*([^;&)\s"'`,<>]{1,256})/gi

/** Values that are a template or a mask, never a credential (`${PASS}`, `{{ pass }}`, `$(PGPASSWORD)`, `****`). */
function template(v: string): boolean {
  return /^\$|\$\{|\$\(|\{\{|^\{|^<|^%[A-Z_]+%$|^\[|^\*+$|^x+$|^\.\.\.$/i.test(v)
}

interface UriHit {
  scheme: string
  user: string
  pass: string
  start: number
  end: number
  host: string
  /** The password came as a `password=` parameter (JDBC, query string), not in the authority. */
  param?: string
}

/**
 * The regex only around a `://` whose authority holds '@' (or whose rest holds a password parameter): logs and JSON
 * carry URLs on every line and almost none with credentials, and the regex, tried at every word boundary, cost more
 * than the rest of the rules.
 */
function uriCredentials(text: string): UriHit[] {
  const out: UriHit[] = []
  const seen = new Set<number>()
  for (let idx = text.indexOf('://'); idx >= 0; idx = text.indexOf('://', idx + 3)) {
    AUTHORITY.lastIndex = idx + 3
    const authority = AUTHORITY.exec(text)?.[0] ?? ''
    const schemeFrom = Math.max(0, idx - 21)
    if (authority.includes('@') && authority.includes(':')) {
      const window = text.slice(schemeFrom, idx + 3 + authority.length + 2)
      for (const m of window.matchAll(URL_CREDS)) {
        const at = schemeFrom + (m.index ?? 0)
        if (seen.has(at)) continue
        seen.add(at)
        const end = at + m[0].length
        const host = /^[A-Za-z0-9.-]*/.exec(text.slice(end, end + 260))?.[0] ?? ''
        out.push({scheme: m[1] ?? '', user: m[2] ?? '', pass: m[3] ?? '', start: at, end, host})
      }
    }
    URI_REST.lastIndex = idx + 3
    const rest = URI_REST.exec(text)?.[0] ?? ''
    if (!/pass|pwd/i.test(rest)) continue
    const scheme = /([a-z][a-z0-9+.-]{1,20})$/i.exec(text.slice(schemeFrom, idx))?.[1] ?? ''
    const user = /[;?&(,]\s*(?:user|username|user id|uid|login)\s*=\s*([^;&)\s"'`,<>]+)/i.exec(rest)?.[1] ?? ''
    for (const m of rest.matchAll(URI_PARAM)) {
      const pass = m[2] ?? ''
      const start = idx + 3 + (m.index ?? 0) + m[0].length - pass.length
      if (seen.has(start)) continue
      seen.add(start)
      const host = /^[A-Za-z0-9.-]*/.exec(rest)?.[0] ?? ''
      out.push({scheme, user, pass, start, end: start + pass.length, host, param: m[1] ?? 'password'})
    }
  }
  return out
}

/**
 * Credentials in connection URIs of any scheme (databases, brokers, caches, LDAP, FTP, SMTP, JDBC, HTTP basic auth),
 * localhost and documentation hosts included: `postgresql://app:s3cr3t@localhost` baked into an image is a
 * credential every container gets. Templates stay out; a password that is a placeholder word or repeats the user
 * (`user:password@`, `postgres:postgres@`) is kept at info, a default rather than a secret.
 */
/**
 * Placeholder words that, as a URL's password, are what a service really gets: `postgresql://app:secret@localhost`
 * in an image is a credential that ships (the issue's own example), weak as it is. Doc words such as `password`,
 * `changeme` and templates stay info.
 */
const WEAK_BUT_REAL = new Set(['secret', 'admin', 'root', 'test', 'testing', 'default', 'mysecret', 'supersecret',
  'secret123', 'password123', 'qwerty', 'letmein', '123456', '12345678', 'foobar', 'hidden', 'token'])

export function detectUrlCredentials(text: string, lines: LineIndex, path: string): Hit[] {
  if (!text.includes('://')) return []
  const out: Hit[] = []
  let doc: string | null | undefined = null
  for (const u of uriCredentials(text)) {
    const {user, pass} = u
    // `https://<token>:x-oauth-basic@github.com`: GitHub's form where the user part is the secret.
    const tokenInUser = /^x-oauth-basic$/i.test(pass)
    const secret = tokenInUser ? user : pass
    if (template(pass) || /^\$|\{/.test(user) || pass.length < 3) continue
    let note: string | undefined
    if (tokenInUser) {
      if (secret.length < 20) continue
    } else if ((isPlaceholder(pass) && !WEAK_BUT_REAL.has(pass.toLowerCase())) || pass === user || /^(.)\1+$/.test(pass) || pass.length < 4) {
      note = 'placeholder or default password'
    }
    if (doc === null) doc = docStructure(text, path, fileKind(path))
    if (doc) note = note ? `${note}; ${doc}` : `${doc} (by structure)`
    const shown = tokenInUser ? `${redact(user)}:${pass}` : `${user}:${redact(pass)}`
    const evidence = u.param ? `${u.scheme}://${u.host || '…'}…${u.param}=${redact(pass)}` : `${u.scheme}://${shown}@${u.host || '…'}`
    out.push(hit(lines, {
      id: 'secret.url-credentials', severity: note ? 'info' : 'medium', note, category: 'secret',
      title: 'Credentials embedded in a URL', secret, start: u.start, end: u.end, priority: 8,
      evidence,
    }))
  }
  return out
}
