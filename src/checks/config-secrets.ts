import {redact} from '../findings/finding.js'
import type {ImageConfig} from '../image/types.js'
import type {Detection} from './check.js'
import {NOT_SECRET_NAMES, SECRET_NAME} from './secrets/generic.js'
import {detectInText} from './secrets/index.js'
import {isPlaceholder} from './secrets/util.js'

/** Names that hold public or build metadata even though some contain "KEY" (GPG_KEY is a key fingerprint). */
const NEVER_SECRET = /^(PATH|HOME|LANG|LC_\w+|TERM|HOSTNAME|SHLVL|PWD|OLDPWD|GPG_KEYS?|\w*_GPG_KEYS?|\w*_(VERSION|SHA256|SHA512|SHA1|MD5|CHECKSUM|HASH|URL|HOME|PATH|DIR|FILE|PORT|HOST|USER|USERNAME))$/i

/**
 * A name-and-value pair from ENV, a label or a build argument: the name alone never decides (GPG_KEY=<fingerprint>,
 * *_VERSION); a secret-named value must also look like a secret (digits or symbols, not a template or a word).
 */
function assignment(name: string, value: string, where: string): Array<Detection & {where: string}> {
  const found = detectInText(`${name}=${value}`, where).map((d) => ({...d, where}))
  if (found.length > 0 || NEVER_SECRET.test(name) || !SECRET_NAME.test(name) || NOT_SECRET_NAMES.test(name)) return found
  const v = value.trim()
  if (v.length < 8 || isPlaceholder(v) || /^[A-Za-z]+$/.test(v) || /^\/|^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return found
  if (!/[0-9]/.test(v) && !/[^A-Za-z0-9]/.test(v)) return found
  return [{
    id: 'secret.config-assignment', severity: 'medium', category: 'secret', rule: 'no-credentials',
    title: 'Secret-like value in image configuration', secret: v, evidence: `${name}=${redact(v)}`, where,
  }]
}

/** Secrets in what `docker inspect` shows anyone who can pull the image: ENV, labels and build history. */
export function detectConfigSecrets(config: ImageConfig): Array<Detection & {where: string}> {
  const out: Array<Detection & {where: string}> = []
  const env = config.config?.Env ?? []
  env.forEach((kv, i) => {
    const eq = kv.indexOf('=')
    const name = eq === -1 ? kv : kv.slice(0, eq)
    if (eq === -1) return
    out.push(...assignment(name, kv.slice(eq + 1), `config.Env[${i}] ${name}`))
  })
  for (const [k, v] of Object.entries(config.config?.Labels ?? {})) {
    if (typeof v === 'string') out.push(...assignment(k, v, `config.Labels[${k}]`))
  }
  ;(config.history ?? []).forEach((h, i) => {
    const cmd = h.created_by ?? ''
    if (!cmd) return
    const where = `history[${i}].created_by`
    const seen = new Set<string>()
    for (const d of detectInText(cmd, where)) {
      seen.add(d.secret)
      out.push({...d, where, line: undefined})
    }
    // BuildKit records build args as `|2 TOKEN=value OTHER=value /bin/sh -c ...`, ENV as `ENV NAME=value`.
    for (const m of cmd.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/g)) {
      const name = m[1] ?? ''
      const value = (m[2] ?? '').replace(/^["']|["']$/g, '')
      if (seen.has(value)) continue
      for (const d of assignment(name, value, where)) {
        if (seen.has(d.secret)) continue
        seen.add(d.secret)
        out.push({...d, line: undefined})
      }
    }
  })
  return out.map(({line, ...d}) => (line === undefined ? d : {...d, line}))
}
