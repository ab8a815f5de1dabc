import type {Severity} from '../../findings/finding.js'
import {redact} from '../../findings/finding.js'
import {docStructure, fileKind, refineKind, type FileKind} from './file-kind.js'
import {followedByOperator, KEYWORDS, keywordMatches, nameCharAt, strengthOf} from './keywords.js'
import {detectHttpAuth} from './http-auth.js'
import {detectNetrc} from './netrc.js'
import {hit, type Hit, type LineIndex} from './util.js'
import {classifyValue} from './values.js'
import type {WordHits} from './detector.js'
import {Prefilter} from './needles.js'

export {detectUrlCredentials} from './url-credentials.js'
export {detectNetrc} from './netrc.js'

/**
 * The names the generic rule looks at; one case-insensitive test gates the whole text rule set. The ENV and
 * Dockerfile checks test names with it too: `Authorization` and `*_AUTH` name secrets there as well, and the
 * curl flags cannot occur in a name.
 */
export const SECRET_NAME =
  /pass(?:wd|word|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|authorization|[_-]auth\b|(?:^|\s)(?:-u|--user)[ \t=]/i

/**
 * Names that contain a secret word but name something public or not secret. The generic rule decides by the words
 * of a name (names.ts); this list stays for the ENV and Dockerfile checks, which judge names alone.
 */
export const NOT_SECRET_NAMES =
  /(?:^|_|\b)(?:public|pub|publishable)[_-]?key|token[_-]?(?:url|uri|endpoint|type|ttl|expir\w*|lifetime|length|file|path|name|header|prefix)$|(?:password|secret|token)[_-]?(?:file|path|dir|policy|length|min|max|hash|field|prompt|label|regex|pattern|hint|reset\w*|url|uri|name|key_name|id|env|ref|version)$|^(?:no|skip|use|has|require|allow|enable|is|show|check|ask)[_-]|_version$|length$|(?:encryption|algorithm|method|type|mode|format|scheme|strategy|provider|store|manager|source|kind|class|handler|callback|field|column|cache|modifiers?|keyword|operator)$/i

/** curl's user flag as SECRET_NAME has it: after whitespace or at the start of the text. */
const CURL_WORDS = ['-u ', '-u\t', '-u=', '--user ', '--user\t', '--user=']
/** Every word the family starts from; `uthorization` is what the header rule looks for. */
export const GENERIC_WORDS: readonly string[] = [...KEYWORDS, 'machine', 'default', 'uthorization', ...CURL_WORDS]
const FALLBACK = new Prefilter([], GENERIC_WORDS)

/** The words of `text`, when a caller has not found them already. */
function findWords(text: string): WordHits {
  return FALLBACK.scan(text).words
}

/**
 * Whether the family has anything to look at: exactly `SECRET_NAME.test(text) || /auth|creds|key|machine|default/i`,
 * from the words' offsets.
 */
export function genericGate(text: string, words: WordHits): boolean {
  for (const w of KEYWORDS) if (words.has(w)) return true
  if (words.has('machine') || words.has('default')) return true
  for (const w of CURL_WORDS) {
    for (const at of words.get(w) ?? []) if (at === 0 || /\s/.test(text[at - 1] ?? '')) return true
  }
  return false
}

/** Names another rule owns: a value of the wrong shape under them is not a secret (an encrypted blob, a KMS ref). */
const OWNED_NAMES = /aws_?secret_?access_?key|secret_?access_?key|aws_?secret_?key/i

interface Assignment {
  name: string
  value: string
  valueStart: number
  quoted: boolean
  /** The separator was a comma between two quoted strings: `getenv("API_TOKEN", "…")`. */
  byComma: boolean
  /** `name:value` with no space: key material only, since `host:port` and `group:artifact` look the same. */
  glued?: boolean
  /** The name to judge, when its context says more than its words (`;Pwd=` in a connection string). */
  judgedAs?: string
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1
}

/** Whether `at` sits inside a string quoted with `q` on its line (`"Server=x;Password=abc"` in C#). */
function insideString(text: string, at: number, q = '"'): boolean {
  let n = 0
  for (let i = lineStart(text, at); i < at; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === q) n++
  }
  return n % 2 === 1
}

/** Whether `at` sits inside a Python triple-quoted string: a docstring or an EXAMPLES block (ansible modules). */
function insideTripleQuoted(text: string, at: number): boolean {
  let n = 0
  const re = /"""|\'\'\'/g
  for (let m = re.exec(text); m && m.index < at; m = re.exec(text)) n++
  return n % 2 === 1
}

function readQuoted(text: string, at: number): {value: string; end: number} | undefined {
  const q = text[at]
  for (let i = at + 1; i < text.length && i - at < 402; i++) {
    const c = text[i]
    if (c === '\\') i++
    else if (c === '\n') return undefined
    else if (c === q) return {value: text.slice(at + 1, i), end: i + 1}
  }
  return undefined
}

/** The `name op value` around one keyword hit, or undefined when the keyword is not in an assigned name. */
function assignmentAt(text: string, kwStart: number, kwEnd: number, kind: FileKind, path: string): Assignment | undefined {
  let s = kwStart
  while (s > 0 && kwStart - s < 80 && nameCharAt(text, s - 1)) s--
  // `//user:password@host`: inside a URL's authority; the URL rule reads those (a Ruby `:symbol` is a name).
  if (text[s - 1] === '/' || (text[s - 1] === ':' && /[\w.-]/.test(text[s - 2] ?? ''))) return undefined
  let e = kwEnd
  while (e < text.length && e - kwEnd < 80 && nameCharAt(text, e)) e++
  const name = text.slice(s, e).replace(/^[$@.-]+|[.-]+$/g, '')
  let i = e
  const before = text[s - 1]
  const nameQuoted = before === '"' || before === "'"
  if (nameQuoted && text[i] === before) i++
  if (text[i] === ']' || (text[i] === "'" || text[i] === '"') && text[i + 1] === ']') i += text[i] === ']' ? 1 : 2
  // PHP's and Objective-C's `apikey[] = …`.
  else if (text[i] === '[' && text[i + 1] === ']') i += 2
  while (text[i] === ' ' || text[i] === '\t') i++
  let byComma = false
  let glued = false
  // The name is itself the value of a name field, and the secret is in the value field beside it: XML's
  // <add key="Password" value="…"/>, an ECS task's {"name": "DB_PASSWORD", "value": "…"}, a pod's env list
  // (`- name: DB_PASSWORD` over `value: …`). Without the value field it is a label.
  let k = (nameQuoted ? s - 1 : s) - 1
  while (text[k] === ' ' || text[k] === '\t') k--
  const pair = (text[k] === ':' || text[k] === '=') &&
    PAIR_NAME.exec(text.slice(Math.max(0, s - (nameQuoted ? 17 : 16)), nameQuoted ? s - 1 : s))
  if (pair) {
    const m = PAIR_VALUE.exec(text.slice(i, i + 200))
    if (!m || (pair[1] === '=' && !/["']/.test(text[i + m[0].length] ?? ''))) return undefined
    i += m[0].length
  } else if (before === '<' && text[i] === '>') {
    const close = text.indexOf('<', i + 1)
    if (close < 0 || close - i > 400) return undefined
    return {name, value: text.slice(i + 1, close), valueStart: i + 1, quoted: true, byComma: false}
  } else {
    const op = /^(?::=|=>|\?=|=(?![=~>])|:(?![:=])|,)/.exec(text.slice(i, i + 2))?.[0]
    if (!op) return spacedAssignment(text, s, i, e, name, path)
    if (text[i - 1] === '=' || text[i - 1] === '!' || text[i - 1] === '<') return undefined
    if (op === ',' && !nameQuoted) return undefined
    byComma = op === ','
    i += op.length
    const spaced = text[i] === ' ' || text[i] === '\t'
    while (text[i] === ' ' || text[i] === '\t') i++
    // `group:artifact`, `host:port`, `user:pass`: a bare value glued to a colon is not YAML's `key: value`
    // (Java properties do take `key:value`).
    glued = op === ':' && !spaced && !nameQuoted && !/["'`]/.test(text[i] ?? '') && !PROPERTIES.test(path)
    // In code `{token:e.token}` is an object literal: a bare value there is an expression.
    if (glued && kind === 'source') return undefined
    if (op === ':' && (text[i] === '|' || text[i] === '>')) return blockScalar(text, s, i, name)
  }
  // Python's r"…", b'…' prefixes, Objective-C's @"…".
  if (kind === 'source' && /[rbuRBU@]/.test(text[i] ?? '') && /["']/.test(text[i + 1] ?? '')) i++
  const c = text[i]
  if (c === '"' || c === "'" || c === '`') {
    // `"Unexpected token =",Dup…`: the name sits in a string, and the quote after it closes that string.
    // A quoted name (`'password' => '…'`, `define('API_KEY', '…')`) opens a string itself: ask about its quote.
    if (kind === 'source' && (nameQuoted ? insideString(text, s - 1, before) : insideString(text, s, c))) return undefined
    const q = readQuoted(text, i)
    if (!q) return undefined
    // `"abc" + x`, `"%s" % pw`, `"{}".format(…)`: the literal is only a part of the value.
    if (kind === 'source' && /^\s*(\+|%|\.\s*(format|replace|join|concat)\b)/.test(text.slice(q.end, q.end + 12))) return undefined
    return {name, value: q.value, valueStart: i + 1, quoted: true, byComma}
  }
  if (byComma) return undefined
  const m = bareValue(text.slice(i, i + 401))
  if (!m) return undefined
  // `passwd: elevated-privileges 2755 root/shadow`: more words after a bare value make a table or prose line; only
  // command lines put several values on one line.
  if (kind !== 'shell' && kind !== 'source') {
    const after = text.slice(i + m[0].length, i + m[0].length + 200)
    if (!/^[ \t]*([,;)\]}"'`#]|\/\/|\r?\n|$)/.test(after)) return undefined
  }
  return {name, value: m[0], valueStart: i, quoted: false, byComma, glued}
}

/**
 * A bare value: up to a space, a separator or a quote, less the closing brackets it did not open (`{password: x}`,
 * `f(token=x)`); brackets it opens and closes are its own characters.
 */
function bareValue(rest: string): [string] | undefined {
  let v = /^[^\s,;"'`<]{1,400}/.exec(rest)?.[0]
  if (!v) return undefined
  if (!/[)\]}]/.test(v)) return [v]
  let depth = 0
  let cut = v.length
  for (let k = 0; k < v.length; k++) {
    const c = v[k] ?? ''
    if ('([{'.includes(c)) depth++
    else if (')]}'.includes(c) && --depth < 0) {
      cut = k
      break
    }
  }
  v = v.slice(0, cut)
  return v ? [v] : undefined
}

const PROPERTIES = /\.properties$/i
const DOCKERFILE = /(?:^|\/)(?:Dockerfile|Containerfile)[^/]*$|\.dockerfile$/i
const PAIR_NAME = /(?:^|[\s{,"'-])(?:name|key)["']?[ \t]*([:=])[ \t]*$/i
const PAIR_VALUE = /^[ \t]*(?:,[ \t]*|\r?\n[ \t]*|[ \t]+)?["']?value["']?[ \t]*[:=][ \t]*/i

/**
 * The forms with no operator: Dockerfile's `ENV NAME value` and a Java properties `key value`. The value is the
 * rest of the line, taken only when it is one token (quoted or not).
 */
function spacedAssignment(text: string, s: number, i: number, e: number, name: string, path: string): Assignment | undefined {
  if (i === e) return undefined
  const q = text[i]
  // Cheap tests first: a keyword followed by a space is everywhere in prose and code.
  if (q !== '"' && q !== "'" && !DOCKERFILE.test(path) && !PROPERTIES.test(path)) return undefined
  // nginx-, HCL- and C-like `private_key "…";`: a quoted literal closed by a semicolon.
  const statement = q === '"' || q === "'" ? /^(["'])[^"'\s]{1,400}\1;/.exec(text.slice(i, i + 404)) : null
  if (statement) {
    const lit = statement[0]
    return {name, value: lit.slice(1, lit.length - 2), valueStart: i + 1, quoted: true, byComma: false}
  }
  // The line before the name, when it is short (`ENV `, `#define `): looked for in 40 characters, not the line.
  const window = text.slice(Math.max(0, s - 40), s)
  const nl = window.lastIndexOf('\n')
  if (nl < 0 && s > 40) return undefined
  const head = window.slice(nl + 1)
  const dockerEnv = /^[ \t]*ENV[ \t]+$/i.test(head) && DOCKERFILE.test(path)
  // C's `#define API_KEY "…"` takes a quoted literal only: `#define TOKEN_MAX 64` is a constant.
  const define = /^[ \t]*#[ \t]*define[ \t]+$/.test(head)
  if (!dockerEnv && !define && !(PROPERTIES.test(path) && /^[ \t]*$/.test(head))) return undefined
  const m = /^(["']?)([^\s"']{1,400})\1[ \t]*\r?(?:\n|$)/.exec(text.slice(i, i + 404))
  if (!m?.[2] || (define && m[1] !== '"')) return undefined
  return {name, value: m[2], valueStart: i + m[1]!.length, quoted: m[1] !== '', byComma: false}
}

/**
 * YAML's block scalar (`password: |` with the value on the next, deeper line). A one-line block is a value like any
 * other; a longer block is a key or a certificate, which their own rules read.
 */
function blockScalar(text: string, s: number, i: number, name: string): Assignment | undefined {
  const header = /^[|>][-+0-9]*[ \t]*(?:#[^\n]*)?\r?\n/.exec(text.slice(i, i + 80))
  if (!header) return undefined
  const indent = s - lineStart(text, s)
  const at = i + header[0].length
  const m = /^([ \t]+)(\S[^\r\n]{0,400})\r?(?:\n|$)/.exec(text.slice(at, at + 500))
  if (!m?.[1] || !m[2] || m[1].length <= indent) return undefined
  const next = text.slice(at + m[0].length, at + m[0].length + m[1].length + 1)
  if (next.startsWith(m[1]) && /\S/.test(next.slice(m[1].length))) return undefined
  const value = m[2].trimEnd()
  return {name, value, valueStart: at + m[1].length, quoted: true, byComma: false}
}

const SPELLS_NAME =
  /Pass(?:wd|[Ww]or[dt]|phrase)|PASS(?:WD|WOR[DT])|Secret|SECRET|Token|TOKEN|Api_?Key|API_?KEY|(?:^|[_-])(?:pass(?:wd|word)|secret|token)(?:[_-]|\d|$)/

interface Verdict {
  severity: Severity
  note?: string
}

function judge(a: Assignment, kind: FileKind, text: string): Verdict | undefined {
  if (OWNED_NAMES.test(a.name)) return undefined
  const named = strengthOf(a.judgedAs ?? a.name)
  if (!named) return undefined
  // `cacheKey = …` is everywhere in code: a provider key is only ever a long literal.
  if (named.strength === 'provider-key' && (a.value.length < 20 || (kind === 'source' && !a.quoted))) return undefined
  // In code a bare right-hand side is an expression (`credential = New-Object …`, `token = config.get(…)`),
  // unless the assignment itself sits inside a string literal (a connection string, a URL, a command line).
  if (kind === 'source' && !a.quoted && !insideString(text, a.valueStart)) return undefined
  const cls = classifyValue(a.value, named.words)
  const weak = named.strength === 'weak' || named.strength === 'provider-key'
  if (!cls || (a.glued && (cls !== 'random' || weak || insideString(text, a.valueStart)))) return undefined
  // `<provider>_KEY`: only long key material counts, the name alone says too little.
  // Upper-case hex of 40 is an OpenPGP fingerprint (`NODE_KEY=4ED7…`), the form release keys are pinned by.
  if (named.strength === 'provider-key' && (cls !== 'random' || a.value.length < 20 || kind === 'docs' ||
    /^[0-9A-F]{40}$/.test(a.value))) return undefined
  // `CleartextPassword1`, `PassWordMustBeAtLeast6Chars`, `my_secret_1`: a value that spells its name as a word of
  // its own is a sample (`thisismypassword` is one run of letters someone typed as a password, and stays one).
  if (SPELLS_NAME.test(a.value)) return {severity: 'info', note: 'the value spells its own name: a sample'}
  if (cls === 'sample') return {severity: 'info', note: 'runs of the alphabet or digits: a sample'}
  if (cls === 'random') {
    if (a.byComma && named.strength === 'weak') return undefined
    if (named.strength === 'weak' && a.value.length < 16) return {severity: 'low', note: 'short value under a generic name'}
    return {severity: 'medium'}
  }
  // A human-chosen password is still a password in a config file, a script or a .env; in code it is as often a
  // label, a test value or an argument name, and only key-like literals are reported there (so too in text of
  // unknown kind, and in image ENV, where config-secrets.ts judges words by its own rule).
  if (named.strength !== 'password' || a.byComma || !(kind === 'config' || kind === 'env' || kind === 'shell')) return undefined
  return {severity: 'low', note: 'low-entropy literal password'}
}

/** The generic family: `key = value` assignments, netrc entries and HTTP credentials, in any file. */
export function detectGeneric(text: string, lines: LineIndex, path: string, words: WordHits = findWords(text)): Hit[] {
  const out: Hit[] = []
  // Without a keyword the assignment loop has nothing to start from (the curl words alone start none).
  const keywords = keywordMatches(words)
  if (keywords.length > 0) out.push(...detectAssignments(text, lines, path, keywords))
  const more = [
    // The word pass found them in any case already; netrc's own rule reads their case (a scan of the text cost more).
    ...(words.has('machine') || words.has('default') ? detectNetrc(text, lines, path) : []),
    ...detectHttpAuth(text, lines, words.get('uthorization') ?? []),
  ]
  if (more.length === 0) return out
  const doc = docStructure(text, path, refineKind(fileKind(path), text))
  for (const h of more) out.push(doc ? {...h, severity: 'info', note: `${doc} (by structure)`} : h)
  return out
}

function detectAssignments(text: string, lines: LineIndex, path: string, keywords: ReadonlyArray<[number, number]>): Hit[] {
  const kind = refineKind(fileKind(path), text)
  let doc: string | null | undefined = null
  const out: Hit[] = []
  let nameEnd = -1
  // Where the regex this loop replaced would search next: after its last match, or past a value it took.
  let from = 0
  const precheck = !DOCKERFILE.test(path) && !PROPERTIES.test(path)
  for (const [start, end] of keywords) {
    if (start < from) continue
    from = end
    if (start < nameEnd) continue
    if (precheck && !followedByOperator(text, end)) continue
    const a = assignmentAt(text, start, end, kind, path)
    if (!a) continue
    // ODBC and ADO.NET spell the password `Pwd` (`Uid=sa;Pwd=…;`); alone, `PWD=` is the shell's working directory.
    if (/^pwd$/i.test(a.name) && text[a.valueStart - a.name.length - 2] === ';') a.judgedAs = 'password'
    nameEnd = a.valueStart
    const v = judge(a, kind, text)
    if (!v) continue
    if (doc === null) doc = docStructure(text, path, kind)
    const inDoc = doc ?? (kind === 'source' && /\.pyi?$/.test(path) && insideTripleQuoted(text, a.valueStart)
      ? 'a docstring or EXAMPLES block' : undefined)
    const note = inDoc ? `${inDoc} (by structure): sample values, not a deployed secret` : v.note
    out.push(hit(lines, {
      id: 'secret.generic-assignment', severity: inDoc ? 'info' : v.severity, note, category: 'secret',
      title: 'Secret-like value assigned to a secret name', secret: a.value, start: a.valueStart,
      end: a.valueStart + a.value.length, priority: 30, evidence: `${a.name}=${redact(a.value)}`,
    }))
    nameEnd = a.valueStart + a.value.length
    from = Math.max(from, nameEnd)
  }
  return out
}
