import {detectConfigSecrets} from '../../checks/config-secrets.js'
import {credentialFileKind} from '../../checks/secrets/credential-files.js'
import {NOT_SECRET_NAMES, SECRET_NAME} from '../../checks/secrets/generic.js'
import {detectInText} from '../../checks/secrets/index.js'
import {judgeTime} from '../../findings/time.js'
import {redact, type Finding} from '../../findings/finding.js'
import {dfFinding, type DockerfileRule, type RuleContext} from './types.js'

/**
 * Secrets in ENV/ARG/LABEL values go through the same name-and-value rule as an image config's (config-secrets),
 * since that is exactly where these values end up; RUN lines go through the text detectors.
 */
const secretValueRule: DockerfileRule = {
  id: 'dockerfile.secret',
  findingIds: ['dockerfile.secret.env', 'dockerfile.secret.arg', 'dockerfile.secret.label', 'dockerfile.secret.run'],
  run({df}: RuleContext): Finding[] {
    const out: Finding[] = []
    const seen = new Set<string>()
    const push = (kw: string, line: number, found: {title: string; severity: Finding['severity']; category: Finding['category']; secret: string; evidence?: string; note?: string; expires?: string}) => {
      const d = judgeTime(found)
      const id = `dockerfile.secret.${kw.toLowerCase()}`
      const key = `${id}\0${line}\0${d.secret}`
      if (seen.has(key)) return
      seen.add(key)
      out.push(dfFinding(df.path, {id, severity: d.severity, category: d.category, rule: 'no-credentials', line, subject: d.secret,
        title: `${d.title} in ${kw}`, evidence: d.evidence ?? redact(d.secret), note: d.note}))
    }
    const globals = [...df.globalArgs].map(([name, value]) => ({keyword: 'ARG', line: 0, props: [{name, value, line: 0}], raw: ''}))
    const all = [...globals.filter((g) => g.props[0]?.value), ...df.stages.flatMap((s) => s.instructions)]
    for (const ins of all) {
      if (ins.keyword === 'ENV' || ins.keyword === 'ARG') {
        for (const p of ins.props) {
          if (p.value === null || p.value === '') continue
          for (const d of detectConfigSecrets({config: {Env: [`${p.name}=${p.value}`]}})) push(ins.keyword, p.line || ins.line, d)
        }
      } else if (ins.keyword === 'LABEL') {
        for (const p of ins.props) {
          if (p.value === null || p.value === '') continue
          for (const d of detectConfigSecrets({config: {Labels: {[p.name]: p.value}}})) push('LABEL', p.line || ins.line, d)
        }
      } else if (ins.keyword === 'RUN') {
        for (const d of detectInText(ins.raw, df.path)) push('RUN', ins.line, d)
      }
    }
    return out
  },
}

/** Build-argument names that carry credentials; GPG_KEY and *_VERSION style names hold public data. */
const PUBLIC_ARG = /^(GPG_KEYS?|\w*_GPG_KEYS?|\w*_(VERSION|SHA256|SHA512|SHA1|MD5|CHECKSUM|HASH|URL|HOME|PATH|DIR|FILE|PORT|HOST|USER|USERNAME))$/i
const CREDENTIAL_ARG = /(^|_)(AUTH|CREDENTIALS?|KEY|PAT)$/i

function isSecretArgName(name: string): boolean {
  if (PUBLIC_ARG.test(name) || NOT_SECRET_NAMES.test(name)) return false
  return SECRET_NAME.test(name) || CREDENTIAL_ARG.test(name)
}

const secretArgRule: DockerfileRule = {
  id: 'dockerfile.arg.secret',
  findingIds: ['dockerfile.arg.secret'],
  run({df}: RuleContext): Finding[] {
    const out: Finding[] = []
    const globals = [...df.globalArgs.keys()].map((name) => ({name, line: 0}))
    const staged = df.stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'ARG').flatMap((i) => i.props.map((p) => ({name: p.name, line: p.line || i.line}))))
    for (const {name, line} of [...globals, ...staged]) {
      if (!isSecretArgName(name)) continue
      out.push(dfFinding(df.path, {id: 'dockerfile.arg.secret', severity: 'medium', category: 'secret', rule: 'no-credentials', line: line || 1, subject: name,
        title: 'Secret passed as a build argument',
        evidence: `ARG ${name}: build arguments are recorded in the image history where anyone who pulls it can read them; use RUN --mount=type=secret,id=${name.toLowerCase()} and pass it with --secret`}))
    }
    return out
  },
}

/** Key and credential files by name; credentialFileKind adds the ones recognised by path (.aws/credentials...). */
const KEY_FILE = /^(id_(rsa|dsa|ecdsa|ed25519)(_sk)?|.*\.(pem|key|p12|pfx|jks|keystore|ppk|asc|gpg|kdbx|ovpn)|\.npmrc|\.pypirc|\.netrc|_netrc|\.git-credentials|\.dockercfg|credentials(\.json)?|kubeconfig(\.ya?ml)?|\.env(\.(?!example$|sample$|template$|dist$|defaults?$|tpl$)[A-Za-z0-9_-]+)?|service-account.*\.json|.*-sa-key\.json|htpasswd|\.htpasswd|secrets?\.(ya?ml|json|env))$/i

export function credentialSource(src: string): string | undefined {
  const clean = src.replace(/\/+$/, '')
  const base = clean.split('/').pop() ?? clean
  if (/\.pub$/i.test(base)) return undefined
  if (KEY_FILE.test(base)) return base
  if (/(^|\/)\.docker\/config\.json$|(^|\/)\.kube\/config$|(^|\/)\.ssh(\/|$)|(^|\/)\.aws(\/|$)|(^|\/)\.gnupg(\/|$)/.test(clean)) return clean
  const kind = credentialFileKind(`/${clean.replace(/^\.?\//, '')}`)
  return kind ? clean : undefined
}

const copyRule: DockerfileRule = {
  id: 'dockerfile.copy',
  findingIds: ['dockerfile.copy.credential-file', 'dockerfile.add.url-unchecked'],
  run({df}: RuleContext): Finding[] {
    const out: Finding[] = []
    for (const ins of df.stages.flatMap((s) => s.instructions)) {
      if (ins.keyword !== 'COPY' && ins.keyword !== 'ADD') continue
      const sources = ins.args.slice(0, -1)
      for (const src of sources) {
        const isUrl = /^(https?|ftp):\/\//i.test(src) || /^git@|\.git(#.*)?$/.test(src)
        if (isUrl && ins.keyword === 'ADD' && !ins.flags.has('checksum')) {
          out.push(dfFinding(df.path, {id: 'dockerfile.add.url-unchecked', severity: 'medium', category: 'integrity', rule: 'trust-external', line: ins.line, subject: src,
            title: 'ADD downloads a URL without --checksum', evidence: `ADD ${src.slice(0, 200)}: whatever the server returns goes into the image; add --checksum=sha256:<digest>`}))
        }
        const cred = isUrl ? undefined : credentialSource(src)
        if (cred) {
          out.push(dfFinding(df.path, {id: 'dockerfile.copy.credential-file', severity: 'high', category: 'credential-file', rule: 'no-credentials', line: ins.line, subject: src,
            title: `${ins.keyword} of a key or credential file`,
            evidence: `${ins.keyword} ${src.slice(0, 200)}: the file stays in the layer even if a later step deletes it; mount it with RUN --mount=type=secret instead`}))
        }
      }
    }
    return out
  },
}

/** `curl ... | sh`, `wget -O- ... | sudo bash`, `sh -c "$(curl ...)"`, `bash <(curl ...)`, `| python`. */
const PIPE_TO_SHELL = [
  /\b(curl|wget|fetch)\b[^|;&\n]*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+\S+\s+)?(ba|da|z|k|a)?sh\b/,
  /\b(curl|wget|fetch)\b[^|;&\n]*\|\s*(sudo\s+)?(python[0-9.]*|perl|ruby|node|php)\b/,
  /\b(ba|da|z|k|a)?sh\s+(-\S+\s+)*("|')?\$\(\s*(curl|wget)\b/,
  /\b(ba|da|z|k|a)?sh\s+<\(\s*(curl|wget)\b/,
  /\bsource\s+<\(\s*(curl|wget)\b/,
]

const pipeToShellRule: DockerfileRule = {
  id: 'dockerfile.run',
  findingIds: ['dockerfile.run.pipe-to-shell'],
  run({df}: RuleContext): Finding[] {
    const out: Finding[] = []
    for (const ins of df.stages.flatMap((s) => s.instructions)) {
      if (ins.keyword !== 'RUN') continue
      const cmd = ins.raw.replace(/\\\r?\n/g, ' ')
      const m = PIPE_TO_SHELL.map((r) => r.exec(cmd)).find((x) => x !== null)
      if (!m) continue
      out.push(dfFinding(df.path, {id: 'dockerfile.run.pipe-to-shell', severity: 'medium', category: 'integrity', rule: 'trust-external', line: ins.line, subject: m[0],
        title: 'Downloaded script is run without verification',
        evidence: `RUN ${m[0].slice(0, 160)}: download to a file, check its sha256 (or signature), then run it`}))
    }
    return out
  },
}

export const CONTENT_RULES: readonly DockerfileRule[] = [secretValueRule, secretArgRule, copyRule, pipeToShellRule]
