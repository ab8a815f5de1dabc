import {nameWords} from './values.js'

/**
 * How strongly a name says its value is a secret. `password` names are reported even with a human-chosen value
 * (in config files); `secret` names need key-like material; `weak` names (`token`, `credentials`, `auth`) name many
 * things that are not secrets (`ChangeToken`, `cancel_token`, `NextContinuationToken`) and need the most random value.
 */
type NameStrength = 'password' | 'secret' | 'weak' | 'provider-key'

const PASS_PREFIXED = /^(db|root|admin|user|sql|mysql|pg|redis|smtp|mail|ftp|ldap|proxy|bind|sa|svc|app|api|key|store|trust|keystore|truststore|rabbit|mq|vnc|wifi|wpa|sudo|login)pass$/

/** Qualifiers that make a `token` a pagination cursor, an idempotency key, a lexer token or a form nonce. */
const TOKEN_NOT_SECRET = new Set([
  'next', 'continuation', 'page', 'paging', 'pagination', 'change', 'request', 'idempotency', 'cancel', 'cancellation',
  'csrf', 'xsrf', 'purchase', 'action', 'sync', 'resume', 'marker', 'last', 'significant', 'current', 'prev', 'previous',
  'end', 'start', 'eof', 'string', 'word', 'syntax', 'parse', 'parser', 'lexer', 'type', 'kind', 'dot', 'comma', 'semicolon',
  'open', 'close', 'paren', 'brace', 'bracket', 'template', 'literal', 'keyword', 'operator', 'identifier', 'punctuator',
  'punctuation', 'comment', 'whitespace', 'newline', 'unique', 'nonce', 'cursor', 'continue', 'retry', 'max',
  'min', 'num', 'count', 'tokens', 'delimiter', 'separator', 'invalid', 'unexpected', 'expected', 'lifecycle', 'rendering',
  'fencing', 'cache', 'progress', 'stop', 'abort', 'wait', 'lock', 'lease', 'version', 'etag', 'authenticity', 'jsonweb',
])

/** Qualifiers that make a bare `key` a secret one (`api_key`, `signing_key`); a `key` alone is a map key or a field. */
const SECRET_KEY_QUALIFIERS = new Set([
  'api', 'access', 'private', 'secret', 'signing', 'encryption', 'master', 'auth', 'account', 'app', 'client',
  'shared', 'hmac', 'license', 'session', 'storage', 'service', 'admin', 'deploy', 'server', 'subscription',
  'primary', 'secondary', 'webhook', 'cookie', 'jwt', 'aes', 'crypt', 'cipher', 'decryption', 'sign', 'integration',
])

/** Qualifiers that make a `key` a lookup key, a fingerprint, a path or an id: `SORT_KEY`, `GPG_KEY`, `KMS_KEY`. */
const KEY_NOT_SECRET = new Set([
  'sort', 'primary', 'partition', 'cache', 'foreign', 'hot', 'object', 'redis', 'idempotency', 'lookup', 'map', 'dict',
  'hash', 'row', 'route', 'translation', 'gpg', 'pgp', 'gnupg', 'ssh', 'host', 'public', 'group', 'item', 'list',
  'index', 'search', 'composite', 'unique', 'natural', 'shard', 'bucket', 'table', 'column', 'config', 'setting',
  'settings', 'env', 'file', 'cert', 'tls', 'ssl', 'kms', 'blob', 'upload', 'device', 'machine', 'node', 'channel',
  'message', 'event', 'metric', 'label', 'tag', 'feature', 'flag', 'option', 'menu', 'keyboard', 'shortcut', 'press',
  'next', 'prev', 'first', 'last', 'default', 'dns', 'dnssec', 'dkim', 'cosign', 'the', 'this', 'your', 'my', 'our',
  'new', 'old', 'json', 'yaml', 'cursor', 'start', 'end', 'range', 'resource', 'cdn', 'record', 'entry',
  'lock', 'queue', 'stream', 'topic', 'state', 'store', 'bundle', 'repo', 'apt', 'trusted', 'root', 'release',
  'archive', 'debian', 'ubuntu', 'fedora', 'docker', 'python', 'ruby', 'golang', 'sha', 'sha1', 'sha256', 'sha512', 'md5',
  'checksum', 'image', 'uuid', 'guid', 'fingerprint', 'idempotent', 'dedupe', 'correlation', 'trace', 'request',
])

/** Words after the secret word that still name the secret itself (`password_value`, `SECRET_KEY_PROD`). */
const TAIL_OK = new Set([
  'key', 'value', 'val', 'str', 'string', 'text', 'plain', 'cleartext', 'clear', 'raw', 'data', 'b64', 'base64', 'hex',
  'prod', 'production', 'dev', 'development', 'stage', 'staging', 'live', 'secret', 'token', 'pass', 'password', 'pwd',
  'override', 'base',
])

/** Words anywhere in a name that make it metadata about a secret, not the secret. */
const NEVER = new Set([
  'public', 'pub', 'publishable', 'policy', 'length', 'len', 'size', 'hint', 'prompt', 'label', 'placeholder', 'message',
  'msg', 'error', 'field', 'input', 'regex', 'pattern', 'format', 'hash', 'hashed', 'digest', 'salted', 'encrypted',
  'expiry', 'expires', 'expiration', 'ttl', 'lifetime', 'timeout', 'url', 'uri', 'endpoint', 'path', 'file', 'dir',
  'filename', 'name', 'type', 'mode', 'method', 'kind', 'class', 'handler', 'callback', 'provider', 'manager', 'store',
  'strategy', 'scheme', 'header', 'prefix', 'suffix', 'env', 'var', 'ref', 'version', 'algorithm', 'cipher', 'reset',
  'forgot', 'validator', 'validation', 'strength', 'complexity', 'rotation', 'required', 'enabled', 'enable', 'disable',
  'allow', 'check', 'count', 'column', 'mask', 'masked', 'id', 'ids', 'arn', 'source', 'last', 'used',
  'changed', 'set', 'age', 'history', 'reuse', 'auth0', 'through', 'thru', 'word', 'words', 'chars', 'alphabet',
])

const NEVER_FIRST = new Set(['no', 'has', 'is', 'use', 'uses', 'should', 'can', 'show', 'ask', 'min', 'max', 'num', 'get',
  'set', 'on', 'handle', 'validate', 'verify', 'confirm', 'check', 'need', 'needs', 'require', 'requires', 'with'])

function secretAt(words: readonly string[], i: number): NameStrength | undefined {
  const w = words[i] ?? ''
  const prev = words[i - 1]
  if (w === 'password' || w === 'passwd' || w === 'passphrase' || w === 'passwort' || w === 'pass' || w === 'pwd' ||
    /.(password|passwd|passphrase)$/.test(w) || PASS_PREFIXED.test(w) || /^(db|sql|admin|root)pwd$/.test(w)) {
    return 'password'
  }
  if (w === 'secret' || /.secret$/.test(w) || /apikey$/.test(w) || /^(x|private|secret|access|auth)?(api)?key$/.test(w) && w !== 'key') {
    return 'secret'
  }
  if (w === 'key') {
    if (prev !== undefined && SECRET_KEY_QUALIFIERS.has(prev)) return 'secret'
    // `MAPBOX_KEY`, `ACME_KEY`: a provider's name before `key` is how many services name their API key.
    return prev !== undefined && /^[a-z][a-z0-9]{2,}$/.test(prev) && !KEY_NOT_SECRET.has(prev) ? 'provider-key' : undefined
  }
  if (w === 'token' || /.token$/.test(w)) {
    if (prev !== undefined && TOKEN_NOT_SECRET.has(prev)) return undefined
    if (TOKEN_NOT_SECRET.has(w.slice(0, -5))) return undefined
    if (w !== 'token' || (prev !== undefined && /^(access|auth|api|bearer|refresh|session|secret|private|oauth|bot|app|personal|service|deploy|registry|npm|github|gitlab|slack|vault|ci|runner|webhook|admin|master|user|id|security|integration)$/.test(prev))) {
      return 'secret'
    }
    return 'weak'
  }
  if (w === 'credential' || w === 'credentials' || w === 'creds' || w === 'cred' || w === 'auth') return 'weak'
  return undefined
}

/** `PassWord`, `PassPhrase`: one word written in two humps. */
function joinHumps(words: string[]): string[] {
  const out: string[] = []
  for (const w of words) {
    if ((w === 'word' || w === 'phrase') && out[out.length - 1] === 'pass') out[out.length - 1] = `pass${w}`
    else out.push(w)
  }
  return out
}

/** The strength of a name, or undefined when it does not name a secret (including metadata such as `token_url`). */
export function nameStrength(name: string): {strength: NameStrength; words: string[]} | undefined {
  const words = joinHumps(nameWords(name))
  if (words.length === 0 || words.length > 10) return undefined
  if (NEVER_FIRST.has(words[0] ?? '') && words.length > 1) return undefined
  if (words.some((w) => NEVER.has(w))) return undefined
  // `pwd`/`oldpwd` on their own are the shell's working directory.
  if (words.length === 1 && (words[0] === 'pwd' || words[0] === 'oldpwd')) return undefined
  for (let i = words.length - 1; i >= 0; i--) {
    const s = secretAt(words, i)
    if (!s) continue
    if (!words.slice(i + 1).every((w) => TAIL_OK.has(w) || /^\d+$/.test(w))) return undefined
    return {strength: s, words}
  }
  return undefined
}
