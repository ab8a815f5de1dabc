import http from 'node:http'
import {createPrivateKey, createSign, randomUUID, X509Certificate} from 'node:crypto'
import {makeSigningCert} from './certs.js'
import {makeTempDir, removeDir} from './tmp.js'

/** One parsed `scope` parameter: `repository:name:pull,push` or `registry:catalog:*`. */
export interface Scope {
  type: string
  name: string
  actions: string[]
}

export interface TokenRequestRecord {
  method: string
  url: string
  service: string | null
  scopes: Scope[]
  /** Basic credentials exactly as they arrived; tests assert that credentials reached (or did not reach) us. */
  username?: string
  password?: string
  authorization?: string
  /** Whether the credentials matched a configured user. */
  authenticated: boolean
  granted: Scope[]
  status: number
}

export interface TokenServerOptions {
  /** Must equal the registry's auth.token.service; it becomes the token's `aud`. */
  service?: string
  issuer?: string
  users?: Record<string, string>
  /** Repositories anonymous clients may pull. Everything else is denied to anonymous clients. */
  publicRepos?: string[]
  /** Narrow a valid user's grant; by default a valid user gets every action it asks for. */
  grant?: (user: string, scope: Scope) => string[]
  ttlSeconds?: number
}

export interface TokenServer {
  url: string
  /** The realm URL registries put in their Bearer challenge. */
  realm: string
  service: string
  issuer: string
  /** PEM of the signing certificate: the registry's rootcertbundle. */
  certFile: string
  requests: TokenRequestRecord[]
  /** Mint a token directly, for tests that want a Bearer without a round trip. */
  issue(sub: string, access: Scope[]): string
  stop(): Promise<void>
}

export function parseScope(raw: string): Scope | undefined {
  // Repository names never contain ':' but may carry a port-less host part; the last ':' splits off the actions.
  const first = raw.indexOf(':')
  const last = raw.lastIndexOf(':')
  if (first <= 0 || last === first) return undefined
  const actions = raw.slice(last + 1).split(',').filter((a) => a.length > 0)
  return {type: raw.slice(0, first), name: raw.slice(first + 1, last), actions}
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url')
}

function parseBasic(header: string | undefined): {username: string; password: string} | undefined {
  if (!header || !/^basic /i.test(header)) return undefined
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  return {username: decoded.slice(0, colon), password: decoded.slice(colon + 1)}
}

/**
 * The Docker token protocol (distribution's docs/spec/auth/token.md) as a loopback server: the registry trusts our
 * self-signed cert via rootcertbundle and verifies the x5c chain, so a real registry accepts the tokens we mint.
 */
export async function startTokenServer(opts: TokenServerOptions = {}): Promise<TokenServer> {
  const dir = makeTempDir('imgvet-token')
  const service = opts.service ?? 'imgvet-test-registry'
  const issuer = opts.issuer ?? 'imgvet-test-token-server'
  const users = opts.users ?? {}
  const publicRepos = new Set(opts.publicRepos ?? [])
  const ttl = opts.ttlSeconds ?? 300
  const cert = await makeSigningCert(dir, issuer)
  const key = createPrivateKey(cert.keyPem)
  const x5c = [new X509Certificate(cert.certPem).raw.toString('base64')]
  const requests: TokenRequestRecord[] = []

  const issue = (sub: string, access: Scope[]): string => {
    const now = Math.floor(Date.now() / 1000)
    const header = {alg: 'RS256', typ: 'JWT', x5c}
    const claims = {iss: issuer, sub, aud: service, exp: now + ttl, nbf: now - 10, iat: now, jti: randomUUID(), access}
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`
    const signature = createSign('RSA-SHA256').update(signingInput).sign(key)
    return `${signingInput}.${b64url(signature)}`
  }

  const decide = (user: string | undefined, scope: Scope): string[] => {
    if (user === undefined) {
      return scope.type === 'repository' && publicRepos.has(scope.name) ? scope.actions.filter((a) => a === 'pull') : []
    }
    const allowed = opts.grant ? opts.grant(user, scope) : scope.actions
    return scope.actions.filter((a) => allowed.includes(a) || allowed.includes('*'))
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (d: Buffer) => chunks.push(d))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      // containers/image and some clients use the OAuth2 POST form; its fields mirror the GET query.
      const form = req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : undefined
      const params = form ?? url.searchParams
      const basic = parseBasic(req.headers.authorization)
      const username = basic?.username ?? (form?.get('grant_type') === 'password' ? form.get('username') ?? undefined : undefined)
      const password = basic?.password ?? (form?.get('grant_type') === 'password' ? form.get('password') ?? undefined : undefined)
      const scopes = params.getAll('scope').flatMap((s) => s.split(' ')).map(parseScope).filter((s): s is Scope => s !== undefined)
      const record: TokenRequestRecord = {
        method: req.method ?? '', url: req.url ?? '', service: params.get('service'), scopes, username, password,
        authorization: req.headers.authorization, authenticated: false, granted: [], status: 0,
      }
      requests.push(record)
      const reply = (status: number, body: unknown) => {
        record.status = status
        res.writeHead(status, {'content-type': 'application/json'})
        res.end(JSON.stringify(body))
      }
      if (url.pathname !== '/token') return reply(404, {errors: [{code: 'NOT_FOUND'}]})
      if (params.get('service') !== null && params.get('service') !== service) return reply(400, {errors: [{code: 'INVALID_SERVICE'}]})
      let sub: string | undefined
      if (username !== undefined) {
        if (users[username] === undefined || users[username] !== password) {
          return reply(401, {errors: [{code: 'UNAUTHORIZED', message: 'bad credentials'}]})
        }
        sub = username
        record.authenticated = true
      }
      const granted = scopes.map((s) => ({...s, actions: decide(sub, s)})).filter((s) => s.actions.length > 0)
      record.granted = granted
      const token = issue(sub ?? '', granted)
      reply(200, {token, access_token: token, expires_in: ttl, issued_at: new Date().toISOString()})
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  const url = `http://127.0.0.1:${port}`
  return {
    url, realm: `${url}/token`, service, issuer, certFile: cert.certFile, requests, issue,
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      removeDir(dir)
    },
  }
}
