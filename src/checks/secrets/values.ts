import {isPlaceholder, looksLikeIdentifier, looksLikeWords, shannon} from './util.js'

/**
 * What an assigned literal is: key material (`random`), a human-chosen word (`word`: `thisismypassword`,
 * `hunter22`), a typed sample (`12345678-ABCD-…`), or nothing worth reporting (undefined: placeholders, references, paths, code, dates, versions).
 */
type ValueClass = 'random' | 'word' | 'sample'

/**
 * References to a secret kept elsewhere: template engines, shells, secret managers, Jasypt, ARNs. A template is
 * closed (`${X}`, `{{ x }}`); a brace that never closes (`m{{h}o)p${e]nob(ase`) is a character of a password.
 */
const REFERENCE =
  /\$\{[^}]*\}|\{\{[^}]*\}\}|\$\([^)]*\)|%\([A-Za-z_]\w*\)|#\{[^}]*\}|<%.*%>|\{%.*%\}|\[\[[^\]]*\]\]|^\$[A-Za-z_]|^%[A-Za-z_]+%$|^\{\w*\}$|\{\}|%[sdr]|^ENC\(|^vault:|^arn:|^op:\/\/|^ref\+|^!Ref|^secretsmanager:|^projects\/[^/]+\/secrets\/|^@Microsoft\.KeyVault|^sops:|^\*\*\*|^&lt;|^<|^\(|^\[/i

/** A template expression as engines write them: a name or a filter chain inside, never `]`, `>`, `#` or `$`. */
const TEMPLATE = /\$\{[\w.:?=+\/ $-]*\}|\{\{[^{}]*\}\}|\$\([^()]*\)|#\{[\w. ]*\}/

/** A value that names a file, not the secret in it (`s_rsa1024_priv.pem`, `env/cert.p12`). */
const FILE_NAME = /\.(pem|p12|pfx|key|crt|cer|der|jks|keystore|txt|json|ya?ml|conf|cfg|ini|properties|xml|gpg|asc|keytab|pub|env|sh|py|js|ts|html?)$/i

const NOT_SECRET_WORDS = new Set([
  'true', 'false', 'yes', 'no', 'on', 'off', 'null', 'nil', 'none', 'undefined', 'nan', 'required', 'optional',
  'enabled', 'disabled', 'auto', 'prompt', 'ask', 'env', 'file', 'string', 'str', 'bool', 'boolean', 'int', 'any',
  'object', 'secret', 'secrets', 'password', 'token', 'fake', 'mock', 'stub', 'random', 'generated', 'hidden',
  'masked', 'encrypted', 'plain', 'plaintext', 'basic', 'bearer', 'digest', 'oauth', 'ntlm', 'kerberos',
])

/** The words a name is made of: `DB_PASSWORD` → db, password; `nextLastSignificantToken` → next, last, … */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
}

export function classifyValue(value: string, keyWords: readonly string[]): ValueClass | undefined {
  const v = value.trim()
  if (v.length < 5 || v.length > 400 || v !== value) return undefined
  const lower = v.toLowerCase()
  // `{{ … }}` around the whole value is a template whatever is inside; `${`, `{{` that open no template
  // (`m{{h}o)p${e]nob(…`) are characters of a password, and are not read as one.
  if (/^\{\{[\s\S]*\}\}$/.test(v)) return undefined
  const t = /\$\{|\{\{|\$\(|#\{/.test(v) && !TEMPLATE.test(v) ? v.replace(/[{}$]/g, '~') : v
  if (NOT_SECRET_WORDS.has(lower) || isPlaceholder(t) || /fake|dummy/i.test(v)) return undefined
  // `token = token`, `apiKey: "apiKey"`: the value repeats a word of its own name.
  const squashed = lower.replace(/[^a-z0-9]/g, '')
  if (keyWords.includes(squashed) || keyWords.join('') === squashed) return undefined
  if (REFERENCE.test(t) || /\s/.test(v)) return undefined
  // `some/dir/aint/a/secret`: a path of lower-case words.
  if (/^[a-z][a-z0-9_.-]*(?:\/[a-z0-9_.-]+){3,}\/?$/.test(v)) return undefined
  if (new Set(v).size <= 2) return undefined
  if (/^\d{1,7}$/.test(v) || /^\d{4}-\d{2}-\d{2}/.test(v) || /^v?\d+(\.\d+){1,3}([-+._][\w.]*)?$/.test(v)) return undefined
  if (/^(\/|\.\.?\/|~\/|[A-Za-z]:\\)/.test(v) || FILE_NAME.test(v)) return undefined
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || v.includes('-----BEGIN')) return undefined
  // `sha256:e3b0…`: a content digest names bytes anyone can hash.
  if (/^(?:sha(?:1|224|256|384|512)|md5|blake2b?)[:-][0-9a-f]{32,128}$/i.test(v)) return undefined
  if (/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(v)) return undefined
  // `CompositePrivateKey`, `asn1js.OctetString`, `aes-256-cbc`, `K8S_CRED`: names of things, not values; a single
  // lowercase word (`rootpasswd`) is left to be judged as a human-chosen password.
  const shaped = /[._:]|[a-z][A-Z]/.test(v)
  if ((shaped && looksLikeIdentifier(v) && !randomHumps(v)) || looksLikeWords(v) || /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(v)) return undefined
  // Calls and member access (`config.get(…)`, `os.environ["X"]`, `New-Object …`) are code.
  if (/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*\s*[([]/.test(v) || /^New-[A-Z]/.test(v)) return undefined
  // `cGFzc3dvcmQ=` (k8s data, Basic auth): a base64 text is judged by what it says; key material decodes to bytes.
  const text = decodedText(v)
  if (text !== undefined && text !== v) return classifyValue(text, keyWords)
  // Kept, at info: test suites of other scanners use such values as stand-ins for real tokens.
  if (sequential(v.replace(/[^A-Za-z0-9]/g, ''))) return 'sample'
  if (isRandom(v)) return 'random'
  // A word only counts when it could be a chosen password: long enough, or with a digit or a symbol. `files`,
  // `compat`, `elevated-privileges` are settings.
  if (/^[a-z]+([-_][a-z]+)+$/.test(v) || (v.length < 8 && /^[A-Za-z]+$/.test(v))) return undefined
  return 'word'
}

/** The printable ASCII text a padded base64 value encodes, if it encodes one. */
function decodedText(v: string): string | undefined {
  if (v.length < 8 || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(v) || !/[=+/]|[a-z][A-Z0-9]/.test(v)) return undefined
  const t = Buffer.from(v, 'base64').toString('latin1')
  return /^[\x20-\x7e]+$/.test(t) ? t : undefined
}

/**
 * `gDsiEzuvydqtqVqIovck`: random letters flip case every few characters and leave one- and two-letter humps, where
 * `ServerCancellationToken` has none.
 */
function randomHumps(v: string): boolean {
  const humps = v.split(/(?<=[a-z])(?=[A-Z])|[._:]/).filter((h) => h.length > 0 && h.length <= 2)
  return v.length >= 16 && humps.length >= 2
}

/** `AbCdEF123`, `0123456789abcdef`, `qwertyuiop`: runs of the alphabet or the keyboard, typed as a sample. */
function sequential(v: string): boolean {
  const s = v.toLowerCase()
  let runs = 0
  for (let i = 1; i < s.length; i++) {
    const d = s.charCodeAt(i) - s.charCodeAt(i - 1)
    if (d === 1 || 'qwertyuiopasdfghjklzxcvbnm'.includes(s.slice(i - 1, i + 1))) runs++
  }
  return runs >= (s.length - 1) * 0.6
}

/** A value typed as a sample (`12345678-ABCD-…`, `AbCdEFG123`) rather than generated: any detector's match. */
export function isTypedSample(v: string): boolean {
  return v.length >= 8 && sequential(v.replace(/[-_.:/\s]/g, ''))
}

/** Key material: long and high-entropy, or shorter with three character classes (`P@ssw0rd$1`, `h0pk1ns~21s`). */
function isRandom(v: string): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(v)).length
  const e = shannon(v)
  if (v.length >= 20) return e >= 3.3 && classes >= 2
  if (v.length >= 12 && /\d/.test(v) && /[A-Za-z]/.test(v)) return e >= 3.0
  return v.length >= 8 && e >= 2.8 && classes >= 3
}
