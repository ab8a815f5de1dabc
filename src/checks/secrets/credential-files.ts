import {redact} from '../../findings/finding.js'
import {SECRET_NAME} from './generic.js'
import {basename, hit, isPlaceholder, type Hit, type LineIndex} from './util.js'

type Kind = 'docker-config' | 'npmrc' | 'pypirc' | 'git-credentials' | 'netrc' | 'aws-credentials' | 'kubeconfig' |
  'dotenv' | 'shadow' | 'htpasswd'

// The walk asks for each file several times in a row (its checks' wants, the detectors' gate): the last answer.
let last: {path: string; kind: Kind | undefined} = {path: '', kind: undefined}

/** Which credential file a path is, by name alone; the content decides whether it holds a credential. */
export function credentialFileKind(path: string): Kind | undefined {
  if (last.path !== path) last = {path, kind: kindOf(path)}
  return last.kind
}

function kindOf(path: string): Kind | undefined {
  const b = basename(path)
  if (b === 'config.json' && /\/\.docker\/config\.json$/.test(path)) return 'docker-config'
  if (b === '.dockercfg') return 'docker-config'
  if (b === '.npmrc' || path === '/etc/npmrc' || /\/etc\/npmrc$/.test(path)) return 'npmrc'
  if (b === '.pypirc') return 'pypirc'
  if (b === '.git-credentials' || /\/git\/credentials$/.test(path)) return 'git-credentials'
  if (b === '.netrc' || b === '_netrc') return 'netrc'
  if (/\/\.aws\/(credentials|config)$/.test(path)) return 'aws-credentials'
  if (/\/\.kube\/config$/.test(path) || /kubeconfig(\.ya?ml)?$/i.test(b) || /^\/etc\/kubernetes\/[^/]+\.conf$/.test(path)) {
    return 'kubeconfig'
  }
  if (/^\.env(\.[A-Za-z0-9_-]+)?$/.test(b) && !/\.(example|sample|template|dist|defaults?|tpl)$/i.test(b)) return 'dotenv'
  if (path === '/etc/shadow' || path === '/etc/shadow-' || path === '/etc/gshadow' || path === '/etc/gshadow-') return 'shadow'
  if (b === '.htpasswd' || b === 'htpasswd' || b.endsWith('.htpasswd')) return 'htpasswd'
  return undefined
}

const TITLES: Record<Kind, string> = {
  'docker-config': 'Docker registry credentials (config.json)',
  npmrc: 'npm registry credentials (.npmrc)',
  pypirc: 'PyPI credentials (.pypirc)',
  'git-credentials': 'Git credentials store',
  netrc: 'netrc password',
  'aws-credentials': 'AWS credentials file',
  kubeconfig: 'Kubernetes credentials (kubeconfig)',
  dotenv: 'Secret in a .env file',
  shadow: 'Password hash in shadow file',
  htpasswd: 'Password hash in htpasswd file',
}

interface Found {
  secret: string
  start: number
  evidence: string
  severity?: 'critical' | 'high' | 'medium' | 'low'
  id?: string
  title?: string
  note?: string
}

function realValue(v: string): boolean {
  return v.length >= 4 && !isPlaceholder(v)
}

function byLines(text: string, re: RegExp, evidence: (m: RegExpMatchArray) => Found | undefined): Found[] {
  const out: Found[] = []
  for (const m of text.matchAll(re)) {
    const f = evidence(m)
    if (f) out.push(f)
  }
  return out
}

function valueAt(m: RegExpMatchArray, group: number): number {
  const v = m[group] ?? ''
  return (m.index ?? 0) + m[0].lastIndexOf(v)
}

const SHADOW_LOCKED = new Set(['*', '!', '!!', '!*', '*LK*', 'x'])

function scan(kind: Kind, text: string): Found[] {
  switch (kind) {
    case 'docker-config':
      return byLines(text, /"(auth|identitytoken|registrytoken|password)"\s*:\s*"([^"]{4,})"/g, (m) =>
        realValue(m[2] ?? '')
          ? {secret: m[2] ?? '', start: valueAt(m, 2), evidence: `"${m[1]}": ${redact(m[2] ?? '')}`}
          : undefined)
    case 'npmrc':
      return byLines(text, /^[ \t]*([^\s=#;]*?(_authToken|_auth|_password))[ \t]*=[ \t]*"?([^\s"]+)"?/gm, (m) =>
        realValue(m[3] ?? '') ? {secret: m[3] ?? '', start: valueAt(m, 3), evidence: `${m[1]}=${redact(m[3] ?? '')}`} : undefined)
    case 'pypirc':
      return byLines(text, /^[ \t]*password[ \t]*[=:][ \t]*(\S(?:[^\r\n]*\S)?)/gm, (m) =>
        realValue(m[1] ?? '') ? {secret: m[1] ?? '', start: valueAt(m, 1), evidence: `password = ${redact(m[1] ?? '')}`} : undefined)
    case 'git-credentials':
      return byLines(text, /^[ \t]*([a-z][a-z0-9+.-]*):\/\/([^:\s/@]+):([^\s@]+)@(\S+)/gm, (m) =>
        realValue(m[3] ?? '')
          ? {secret: m[3] ?? '', start: valueAt(m, 3), evidence: `${m[1]}://${m[2]}:${redact(m[3] ?? '')}@${m[4]}`}
          : undefined)
    case 'netrc':
      return byLines(text, /\bpassword[ \t]+(\S+)/g, (m) =>
        realValue(m[1] ?? '') ? {secret: m[1] ?? '', start: valueAt(m, 1), evidence: `password ${redact(m[1] ?? '')}`} : undefined)
    case 'aws-credentials':
      return byLines(text, /^[ \t]*(aws_secret_access_key|aws_session_token)[ \t]*=[ \t]*(\S+)/gm, (m) =>
        realValue(m[2] ?? '') ? {secret: m[2] ?? '', start: valueAt(m, 2), evidence: `${m[1]} = ${redact(m[2] ?? '')}`} : undefined)
    case 'kubeconfig':
      return byLines(text, /^[ \t]*(token|client-key-data|password|auth-provider-token)[ \t]*:[ \t]*["']?([^\s"']+)/gm, (m) =>
        realValue(m[2] ?? '') ? {secret: m[2] ?? '', start: valueAt(m, 2), evidence: `${m[1]}: ${redact(m[2] ?? '')}`} : undefined)
    case 'dotenv':
      return byLines(text, /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*(?:"([^"\r\n]*)"|'([^'\r\n]*)'|([^\s#]*))/gm, (m) => {
        const name = m[1] ?? ''
        const v = m[2] ?? m[3] ?? m[4] ?? ''
        if (!SECRET_NAME.test(name) || /(_|^)(FILE|PATH|URL|HOST|PORT|USER(NAME)?|VERSION)$/i.test(name)) return undefined
        if (v.length < 6 || isPlaceholder(v)) return undefined
        return {secret: v, start: valueAt(m, m[2] !== undefined ? 2 : m[3] !== undefined ? 3 : 4), evidence: `${name}=${redact(v)}`}
      })
    case 'shadow':
      return byLines(text, /^([^:\s]+):([^:\n]*):/gm, (m) => {
        const user = m[1] ?? ''
        const pw = m[2] ?? ''
        if (SHADOW_LOCKED.has(pw)) return undefined
        if (pw === '') {
          return {
            secret: `${user}:<empty>`, start: m.index ?? 0, id: 'credential-file.shadow-empty-password', severity: 'high',
            title: 'Account with an empty password', evidence: `${user}: empty password (login without a password)`,
          }
        }
        const locked = pw.startsWith('!')
        const hash = pw.replace(/^!+/, '')
        if (!/^\$(1|2[abxy]?|5|6|7|y|gy|sha1|md5)\$/.test(hash) && !/^[A-Za-z0-9./]{13}$/.test(hash)) return undefined
        return {
          secret: hash, start: (m.index ?? 0) + user.length + 1, severity: locked ? 'medium' : 'high',
          evidence: `${user}: ${hashKind(hash)} hash ${redact(hash)}${locked ? ' (account locked)' : ''}`,
          note: 'a hash baked into an image is the same in every container and can be cracked offline',
        }
      })
    case 'htpasswd':
      return byLines(text, /^([^:\s#]+):(\$apr1\$\S+|\$2[aby]?\$\S+|\{SHA\}\S+|\$[156]\$\S+|[A-Za-z0-9./]{13})$/gm, (m) => ({
        secret: m[2] ?? '', start: valueAt(m, 2), evidence: `${m[1]}: ${hashKind(m[2] ?? '')} hash ${redact(m[2] ?? '')}`,
      }))
  }
}

function hashKind(h: string): string {
  if (h.startsWith('$y$') || h.startsWith('$gy$')) return 'yescrypt'
  if (h.startsWith('$6$')) return 'sha512crypt'
  if (h.startsWith('$5$')) return 'sha256crypt'
  if (h.startsWith('$1$')) return 'md5crypt'
  if (h.startsWith('$apr1$')) return 'apr1-md5'
  if (/^\$2[abxy]?\$/.test(h)) return 'bcrypt'
  if (h.startsWith('{SHA}')) return 'sha1'
  return 'crypt'
}

export function detectCredentialFile(text: string, path: string, lines: LineIndex): Hit[] {
  const kind = credentialFileKind(path)
  if (!kind) return []
  return scan(kind, text).map((f) => hit(lines, {
    id: f.id ?? `credential-file.${kind}`, severity: f.severity ?? 'high', category: 'credential-file',
    title: f.title ?? TITLES[kind], secret: f.secret, start: f.start, end: f.start + Math.max(1, f.secret.length),
    evidence: f.evidence, note: f.note, priority: 1,
  }))
}
