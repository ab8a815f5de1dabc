import {execFileSync} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Detection} from '../../src/checks/check.js'
import {CONTENT_CHECKS} from '../../src/checks/secrets/index.js'
import type {WalkEntry} from '../../src/layers/entry.js'
import {awsKeyPair, githubToken, highEntropy, randomFrom, BASE62, crc32, base62} from '../support/fake-secrets.js'

export function entry(path: string, size: number): WalkEntry {
  return {path, type: 'file', mode: 0o644, uid: 0, gid: 0, size, layer: {index: 0, digest: 'sha256:0'}}
}

/** Runs the content checks the way the walk does: ask wants(), cut at maxBytes, hand over. */
export function scanFile(path: string, content: string | Buffer): Detection[] {
  const buf = Buffer.isBuffer(content) ? content : Buffer.from(content)
  const e = entry(path, buf.length)
  return CONTENT_CHECKS.flatMap((c) => {
    if (c.wants(e) !== 'content') return []
    const max = c.maxBytes ?? buf.length
    return c.inspect(e, buf.subarray(0, max), buf.length > max)
  })
}

export function tmp(): {dir: string; done: () => void} {
  const dir = mkdtempSync(join(tmpdir(), 'imgvet-checks-'))
  return {dir, done: () => rmSync(dir, {recursive: true, force: true})}
}

export function sh(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, {cwd, stdio: ['ignore', 'pipe', 'pipe']}).toString('utf8')
}

export function npmToken(): string {
  const body = randomFrom(BASE62, 30)
  return `npm_${body}${base62(crc32(body), 6)}`
}

function b64url(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url')
}

export function jwt(alg: string, exp?: number): string {
  const payload: Record<string, unknown> = {sub: 'svc-deployer', iat: 1_700_000_000}
  if (exp !== undefined) payload.exp = exp
  return `${b64url({alg, typ: 'JWT'})}.${b64url(payload)}.${alg === 'none' ? '' : highEntropy(43)}`
}

export interface Sample {
  name: string
  path: string
  content: string | Buffer
  /** Secrets that must never appear in a detection outside its `secret` field. */
  secrets: string[]
  ids: string[]
}

/** One positive sample per detector family, fresh each run. */
export function positiveSamples(): Sample[] {
  const rsa = generateKeyPairSync('rsa', {modulusLength: 2048})
  const pkcs1 = rsa.privateKey.export({type: 'pkcs1', format: 'pem'}).toString()
  const ec = generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'sec1', format: 'pem'}).toString()
  const aws = awsKeyPair()
  const gh = githubToken()
  const npm = npmToken()
  const slack = `xoxb-${randomFrom('0123456789', 12)}-${randomFrom('0123456789', 13)}-${highEntropy(24)}`
  const stripe = `sk_live_${highEntropy(24)}`
  const openai = `sk-proj-${highEntropy(40)}T3BlbkFJ${highEntropy(40)}`
  const anthropic = `sk-ant-api03-${randomFrom(BASE62 + '_-', 93)}AA`
  const sendgrid = `SG.${highEntropy(22)}.${highEntropy(43)}`
  const gcpKey = rsa.privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  const azureKey = Buffer.from(highEntropy(64)).toString('base64').slice(0, 86) + '=='
  const dbPass = `${highEntropy(20)}!`
  const dockerAuth = Buffer.from(`ci:${highEntropy(24)}`).toString('base64')
  const kubeToken = highEntropy(48)
  const jwtToken = jwt('RS256', Math.floor(Date.now() / 1000) + 3600)
  const urlPass = highEntropy(16)
  const generic = highEntropy(32)
  return [
    {name: 'pkcs1', path: '/root/.ssh/id_rsa', content: pkcs1, secrets: [pkcs1.split('\n')[5] ?? ''], ids: ['private-key.rsa']},
    {name: 'ec', path: '/etc/app/tls.key', content: ec, secrets: [ec.split('\n')[2] ?? ''], ids: ['private-key.ec']},
    {
      name: 'aws', path: '/app/config/settings.ini',
      content: `[aws]\nkey_id = ${aws.accessKeyId}\nsecret = ${aws.secretAccessKey}\n`,
      secrets: [aws.accessKeyId, aws.secretAccessKey], ids: ['secret.aws-access-key'],
    },
    {name: 'github', path: '/app/deploy.sh', content: `git clone https://x:${gh}@github.com/o/r\n`, secrets: [gh], ids: ['secret.github-token']},
    {name: 'npm', path: '/app/ci.sh', content: `NPM=${npm}\n`, secrets: [npm], ids: ['secret.npm-token']},
    {name: 'slack', path: '/app/notify.py', content: `client = WebClient("${slack}")\n`, secrets: [slack], ids: ['secret.slack-token']},
    {name: 'stripe', path: '/app/pay.js', content: `stripe(${JSON.stringify(stripe)})\n`, secrets: [stripe], ids: ['secret.stripe-key']},
    {name: 'openai', path: '/app/ai.py', content: `client = OpenAI(key="${openai}")\n`, secrets: [openai], ids: ['secret.openai-key']},
    {name: 'anthropic', path: '/app/ai2.py', content: `k = "${anthropic}"\n`, secrets: [anthropic], ids: ['secret.anthropic-key']},
    {name: 'sendgrid', path: '/app/mail.rb', content: `SG = '${sendgrid}'\n`, secrets: [sendgrid], ids: ['secret.sendgrid-key']},
    {
      name: 'gcp', path: '/app/sa.json',
      content: JSON.stringify({type: 'service_account', project_id: 'p', private_key: gcpKey, client_email: 'sa@p.iam.gserviceaccount.com'}, null, 2),
      secrets: [gcpKey.split('\n')[3] ?? ''], ids: ['secret.gcp-service-account'],
    },
    {
      name: 'azure', path: '/app/appsettings.json',
      content: `{"Storage": "DefaultEndpointsProtocol=https;AccountName=prodstore;AccountKey=${azureKey};EndpointSuffix=core.windows.net"}\n`,
      secrets: [azureKey], ids: ['secret.azure-storage-key'],
    },
    {name: 'jwt', path: '/app/client.cfg', content: `bearer ${jwtToken}\n`, secrets: [jwtToken], ids: ['secret.jwt']},
    {name: 'url', path: '/app/db.yaml', content: `url: postgres://app:${urlPass}@db.internal:5432/app\n`, secrets: [urlPass], ids: ['secret.url-credentials']},
    {name: 'generic', path: '/app/settings.py', content: `API_KEY = "${generic}"\n`, secrets: [generic], ids: ['secret.generic-assignment']},
    {name: 'dotenv', path: '/app/.env', content: `DB_PASSWORD=${dbPass}\nDEBUG=0\n`, secrets: [dbPass], ids: ['credential-file.dotenv']},
    {
      name: 'docker-config', path: '/root/.docker/config.json',
      content: JSON.stringify({auths: {'reg.internal': {auth: dockerAuth}}}), secrets: [dockerAuth], ids: ['credential-file.docker-config'],
    },
    {
      name: 'kubeconfig', path: '/root/.kube/config',
      content: `apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: ${kubeToken}\n`,
      secrets: [kubeToken], ids: ['credential-file.kubeconfig'],
    },
  ]
}

/** A PKCS#12 made by openssl, as GCP and most tutorials make them. */
export function pkcs12(password: string, extra: string[] = []): Buffer {
  const t = tmp()
  try {
    sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '2', '-subj', '/CN=svc'], t.dir)
    sh('openssl', ['pkcs12', '-export', '-in', 'c.pem', '-inkey', 'k.pem', '-out', 'k.p12', '-passout', `pass:${password}`, ...extra], t.dir)
    return readFileSync(join(t.dir, 'k.p12'))
  } finally {
    t.done()
  }
}
