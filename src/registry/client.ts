import type {Readable} from 'node:stream'
import {ImgvetError} from '../errors.js'
import {digestOf, parseDigest, verifyBytes, VerifyingStream} from '../image/digest.js'
import {parseManifest} from '../image/manifest.js'
import {MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, SCHEMA1_TYPES, type Descriptor, type RawManifest} from '../image/types.js'
import {registryEndpoint} from '../reference/reference.js'
import {basicHeader, fetchToken, parseChallenge, type Challenge} from './auth.js'
import {findCredential, type Credential} from './credentials.js'
import {httpRequest, readBounded, redactUrl, type HttpRequest, type HttpResponse} from './http.js'
import {notARegistry, RegistryNotFound} from './not-found.js'
import {PullBudget} from './rate-limit.js'
import {DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, type RegistryOptions} from './options.js'
import {agentsFor, isLoopbackHost, type Agents} from './tls.js'
import {manifestMediaType, nextLink, parseJson, speaksNoTls} from './wire.js'

interface CallOptions {
  method?: HttpRequest['method']
  accept?: string
  /** Token scopes, e.g. `repository:library/nginx:pull`; a mount also needs pull on the repository it mounts from. */
  scope?: string | readonly string[]
  headers?: Record<string, string>
  body?: Buffer | Readable
}

const MAX_ERROR_BODY = 64 * 1024
const MAX_PAGES = 100_000
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const REFERRERS_UNSUPPORTED = new Set([400, 404, 405, 406])
const MAX_REFERRERS_BYTES = 4 * MAX_MANIFEST_BYTES

/**
 * One registry host: decides the scheme once (HTTPS; plain HTTP only for loopback or --plain-http, as docker does),
 * answers the /v2/ challenge with Basic or a Bearer token per scope, and maps HTTP outcomes to coded errors.
 */
export class RegistryClient {
  readonly registry: string
  readonly endpoint: string
  private readonly opts: RegistryOptions
  private readonly agents: Agents
  private base?: string
  private challenge: Challenge | null = null
  private readonly tokens = new Map<string, string>()
  private credential: Credential | null | undefined
  /** Total bytes of blob bodies handed out, for reports. */
  bytesDownloaded = 0
  /** Manifest GETs asked (the requests a pull budget counts). */
  manifestGets = 0
  readonly budget = new PullBudget()
  /** auto: the API, else the fallback tag; api: the API or fail; tag: the API is never asked (`flag` names why). */
  referrers: {mode: 'auto' | 'api' | 'tag'; flag?: string} = {mode: 'auto'}

  constructor(registry: string, opts: RegistryOptions) {
    this.registry = registry
    this.endpoint = registryEndpoint(registry)
    this.opts = opts
    this.agents = agentsFor(this.endpoint, opts)
  }

  private get timeoutMs(): number {
    return this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }

  private http(url: string, method: HttpRequest['method'], headers: Record<string, string>, body?: Buffer | Readable): Promise<HttpResponse> {
    return httpRequest(url, {
      method,
      headers,
      body,
      timeoutMs: this.timeoutMs,
      retries: this.opts.retries ?? DEFAULT_RETRIES,
      agents: this.agents,
      log: this.opts.log,
    })
  }

  private cred(): Credential | null {
    if (this.credential === undefined) {
      this.credential = this.opts.username !== undefined
        ? {username: this.opts.username, password: this.opts.password, from: '--username'}
        : findCredential(this.registry, {authFile: this.opts.authFile, dockerConfigDir: this.opts.dockerConfigDir})
    }
    return this.credential
  }

  /** Ping /v2/ to pick the scheme and learn the auth challenge. */
  private async ping(): Promise<string> {
    if (this.base) return this.base
    const mayUseHttp = isLoopbackHost(this.endpoint) || this.opts.plainHttp
    const attempts = mayUseHttp ? ['https', 'http'] : ['https']
    let lastError: unknown
    for (const scheme of attempts) {
      const base = `${scheme}://${this.endpoint}`
      try {
        const res = await this.http(`${base}/v2/`, 'GET', {})
        res.body?.resume()
        notARegistry(res, `${base}/v2/`)
        if (res.status === 401) this.challenge = parseChallenge(res.headers.get('www-authenticate'))
        this.base = base
        this.opts.log?.(`using ${base} (ping ${res.status}${this.challenge ? `, ${this.challenge.scheme} auth` : ''})`)
        return base
      } catch (e) {
        lastError = e
        // Fall back to http only when the port does not speak TLS at all; an untrusted certificate is an answer.
        if (!(e instanceof ImgvetError) || !speaksNoTls(e)) break
      }
    }
    throw lastError
  }

  private async authHeader(scope: string | readonly string[] | undefined): Promise<string | undefined> {
    const ch = this.challenge
    if (!ch) return undefined
    if (ch.scheme === 'basic') {
      const cred = this.cred()
      return cred?.username !== undefined ? basicHeader(cred) : undefined
    }
    if (ch.scheme !== 'bearer') return undefined
    const scopes = [...new Set([ch.params.scope, ...(typeof scope === 'string' ? [scope] : scope ?? [])].filter((s): s is string => Boolean(s)))]
    const key = scopes.join(' ')
    let token = this.tokens.get(key)
    if (!token) {
      token = await fetchToken(ch, scopes, this.cred(), {timeoutMs: this.timeoutMs, retries: this.opts.retries ?? DEFAULT_RETRIES, agents: this.agents, log: this.opts.log})
      this.tokens.set(key, token)
    }
    return `Bearer ${token}`
  }

  /**
   * A request with auth: on 401 learn the (new) challenge, get a fresh token once, try again. `target` is a path
   * or a URL the registry handed out (an upload Location): one on another host gets no Authorization, as a redirect
   * does not, and one that would drop from https to http is refused.
   */
  async call(target: string, opts: CallOptions = {}): Promise<HttpResponse> {
    const base = await this.ping()
    const url = this.resolveUrl(base, target)
    const ours = new URL(url).host === new URL(base).host
    const method = opts.method ?? 'GET'
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = {'user-agent': 'imgvet/0.1', ...opts.headers}
      if (opts.accept) headers.accept = opts.accept
      const auth = ours ? await this.authHeader(opts.scope) : undefined
      if (auth) headers.authorization = auth
      const res = await this.http(url, method, headers, opts.body)
      this.budget.observe(res.headers)
      // A streamed body is gone once sent: the caller restarts the whole upload with the fresh token.
      if (res.status !== 401 || attempt > 0 || !ours) return res
      if (opts.body && !Buffer.isBuffer(opts.body)) {
        this.tokens.clear()
        return res
      }
      res.body?.resume()
      const fresh = parseChallenge(res.headers.get('www-authenticate'))
      if (!fresh) return res
      this.challenge = fresh
      this.tokens.clear()
    }
  }

  private resolveUrl(base: string, target: string): string {
    if (target.startsWith('/')) return `${base}${target}`
    let u: URL
    try {
      u = new URL(target, base)
    } catch {
      throw new ImgvetError('registry', 'the registry handed out an unusable URL', this.registry)
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ImgvetError('registry', `URL with scheme ${u.protocol} refused`, this.registry)
    if (base.startsWith('https:') && u.protocol === 'http:') {
      throw new ImgvetError('registry', `refused a downgrade from https to http (${redactUrl(u.toString())})`, this.registry)
    }
    return u.toString()
  }

  /** Turn a non-2xx answer into a coded error naming the registry's own error code. */
  async fail(res: HttpResponse, what: string): Promise<never> {
    let detail = ''
    let registryCode: string | undefined
    try {
      const body = await readBounded(res.body, MAX_ERROR_BODY, what)
      const parsed = JSON.parse(body.toString('utf8')) as {errors?: Array<{code?: string; message?: string}>}
      const first = parsed.errors?.[0]
      if (first) [detail, registryCode] = [`: ${first.code ?? ''}${first.message ? ` ${first.message}` : ''}`, first.code]
    } catch {
      // Not a distribution error body; the status says enough.
    }
    const where = `${this.registry} ${what}`
    if (res.status === 401) {
      const from = this.cred()?.from
      throw new ImgvetError('unauthorized', `authentication required${from ? ` (credentials from ${from} rejected)` : ' (no credentials found for this registry)'}${detail}`, where)
    }
    if (res.status === 403) throw new ImgvetError('unauthorized', `access denied${detail}`, where)
    if (res.status === 404) throw new RegistryNotFound(`not found${detail}`, where, registryCode)
    if (res.status === 429) throw new ImgvetError('registry', `rate limited (429) after retries${detail}`, where)
    throw new ImgvetError('registry', `unexpected HTTP ${res.status}${detail}`, where)
  }

  private async readManifest(res: HttpResponse, where: string): Promise<Buffer> {
    const length = Number(res.headers.get('content-length') ?? NaN)
    if (Number.isFinite(length) && length > MAX_MANIFEST_BYTES) {
      res.body?.destroy()
      throw new ImgvetError('too-large', `manifest of ${length} bytes exceeds the ${MAX_MANIFEST_BYTES}-byte limit`, where)
    }
    return readBounded(res.body, MAX_MANIFEST_BYTES, where)
  }

  /** GET a manifest by tag or digest. Its digest is computed from the raw bytes, never taken from a header. */
  async getManifest(repository: string, reference: string): Promise<RawManifest> {
    const where = `${this.registry}/${repository}${reference.includes(':') ? '@' : ':'}${reference}`
    await this.budget.ready(1, where)
    this.manifestGets++
    const res = await this.call(`/v2/${repository}/manifests/${reference}`, {accept: MANIFEST_ACCEPT, scope: `repository:${repository}:pull`})
    if (res.status !== 200) await this.fail(res, `manifest ${where}`)
    const bytes = await this.readManifest(res, where)
    const mediaType = manifestMediaType(res.headers.get('content-type'), bytes)
    if (SCHEMA1_TYPES.has(mediaType)) {
      throw new ImgvetError('unsupported', 'Docker schema1 manifests are deprecated and not supported; re-push the image with a current client', where)
    }
    let digest: string
    if (reference.includes(':')) {
      verifyBytes(bytes, {digest: reference}, where)
      digest = reference
    } else {
      digest = digestOf(bytes)
      const header = res.headers.get('docker-content-digest')
      if (header?.startsWith('sha256:') && header !== digest) {
        throw new ImgvetError('integrity', `registry says ${header} but the manifest bytes hash to ${digest}`, where)
      }
    }
    return {mediaType, digest, bytes}
  }

  /** HEAD a manifest: its descriptor, or null when it does not exist. */
  async headManifest(repository: string, reference: string): Promise<Descriptor | null> {
    const res = await this.call(`/v2/${repository}/manifests/${reference}`, {method: 'HEAD', accept: MANIFEST_ACCEPT, scope: `repository:${repository}:pull`})
    if (res.status === 404) return null
    if (res.status !== 200) await this.fail(res, `manifest ${repository}:${reference}`)
    const digest = res.headers.get('docker-content-digest')
    const size = Number(res.headers.get('content-length') ?? NaN)
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? ''
    if (!digest || !Number.isFinite(size)) {
      // Some registries omit the digest on HEAD; GET gives the truth.
      const raw = await this.getManifest(repository, reference)
      return {mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length}
    }
    parseDigest(digest, `${this.registry}/${repository}:${reference}`)
    return {mediaType, digest, size}
  }

  /** Open a blob: the stream fails unless exactly `desc.size` bytes hashing to `desc.digest` arrive. */
  async openBlob(repository: string, desc: Pick<Descriptor, 'digest' | 'size'>): Promise<Readable> {
    const where = `${this.registry}/${repository}@${desc.digest}`
    parseDigest(desc.digest, where)
    const res = await this.call(`/v2/${repository}/blobs/${desc.digest}`, {scope: `repository:${repository}:pull`})
    if (res.status !== 200) await this.fail(res, `blob ${desc.digest}`)
    const length = Number(res.headers.get('content-length') ?? NaN)
    if (Number.isFinite(length) && length !== desc.size) {
      res.body?.destroy()
      throw new ImgvetError('integrity', `size mismatch: descriptor says ${desc.size} bytes, server sends ${length}`, where)
    }
    if (!res.body) throw new ImgvetError('registry', 'blob response without body', where)
    const verify = new VerifyingStream({digest: desc.digest, size: desc.size}, where)
    const body = res.body
    body.on('data', (c: Buffer) => {
      this.bytesDownloaded += c.length
    })
    body.on('error', (e) => {
      if (e instanceof ImgvetError) return verify.destroy(e)
      // A body cut short is the blob failing its size, whatever the socket says.
      const got = verify.bytesSeen
      verify.destroy(got < desc.size
        ? new ImgvetError('integrity', `size mismatch: expected ${desc.size} bytes, got ${got} (truncated: ${e.message})`, where, {cause: e})
        : new ImgvetError('network', `blob download failed: ${e.message}`, where, {cause: e}))
    })
    // If the consumer gives up early, release the socket too.
    verify.once('close', () => {
      if (!body.readableEnded) body.destroy()
    })
    return body.pipe(verify)
  }

  /** Every repository, following `Link: <...>; rel="next"` pages. */
  async *catalog(pageSize = 100): AsyncGenerator<string> {
    let path: string | null = `/v2/_catalog?n=${pageSize}`
    const seen = new Set<string>()
    while (path) {
      const res = await this.call(path, {scope: 'registry:catalog:*'})
      if (res.status !== 200) await this.fail(res, 'catalog')
      const body = await readBounded(res.body, MAX_MANIFEST_BYTES, `${this.registry} catalog`)
      const json = parseJson(body, `${this.registry} catalog`) as {repositories?: unknown}
      if (!Array.isArray(json.repositories)) throw new ImgvetError('registry', 'catalog answer without repositories', this.registry)
      for (const r of json.repositories) if (typeof r === 'string') yield r
      path = this.nextPage(res, seen, 'catalog')
    }
  }

  /** All tags of a repository, sorted (the distribution registry returns them unsorted and ignores n/last). */
  async tags(repository: string): Promise<string[]> {
    const out: string[] = []
    let path: string | null = `/v2/${repository}/tags/list`
    const seen = new Set<string>()
    while (path) {
      const res = await this.call(path, {scope: `repository:${repository}:pull`})
      if (res.status !== 200) await this.fail(res, `tags of ${repository}`)
      const body = await readBounded(res.body, MAX_MANIFEST_BYTES, `${this.registry}/${repository} tags`)
      const json = parseJson(body, `${this.registry}/${repository} tags`) as {tags?: unknown}
      if (Array.isArray(json.tags)) for (const t of json.tags) if (typeof t === 'string') out.push(t)
      path = this.nextPage(res, seen, `tags of ${repository}`)
    }
    return [...new Set(out)].sort()
  }

  /**
   * OCI 1.1 referrers API ("Listing Referrers"): an image index whose pages, linked by `Link: <...>; rel="next"`,
   * are merged. Returns null when the registry does not implement it (404/400/405/406 or a first answer that is
   * not an index), so callers fall back to the `sha256-<hex>` tag as go-containerregistry does.
   */
  async referrersApi(repository: string, digest: string): Promise<Descriptor[] | null> {
    if (this.referrers.mode === 'tag') return null
    const first = `/v2/${repository}/referrers/${digest}`
    const what = `referrers of ${digest}`
    const where = `${this.registry}/${repository} ${what}`
    // The first page counts as seen, so a last page linking back to it is caught on the first repeat.
    const seen = new Set<string>([first])
    const merged = new Map<string, Descriptor>()
    let total = 0
    for (let path: string | null = first; path !== null;) {
      const res = await this.call(path, {accept: OCI_INDEX, scope: `repository:${repository}:pull`})
      if (path === first && REFERRERS_UNSUPPORTED.has(res.status)) {
        res.body?.resume()
        return this.noReferrersApi(`HTTP ${res.status}`)
      }
      if (res.status !== 200) await this.fail(res, what)
      const type = res.headers.get('content-type') ?? ''
      if (!type.includes(OCI_INDEX)) {
        res.body?.destroy()
        if (path === first) return this.noReferrersApi(type || 'an untyped answer')
        throw new ImgvetError('registry', `a referrers page is ${type || 'untyped'}, not an image index`, where)
      }
      const body = await this.readManifest(res, where)
      // Bounded over all pages too, so pagination cannot stretch one bounded read into an unbounded one.
      total += body.length
      if (total > MAX_REFERRERS_BYTES) throw new ImgvetError('too-large', `referrers listing exceeds ${MAX_REFERRERS_BYTES} bytes over its pages`, where)
      const parsed = parseManifest({mediaType: OCI_INDEX, digest: '', bytes: body}, where)
      if (parsed.kind !== 'index') throw new ImgvetError('registry', 'referrers answer is not an image index', where)
      for (const d of parsed.index.manifests) if (!merged.has(d.digest)) merged.set(d.digest, d)
      // We never ask for a filter, so a registry saying it filtered changes nothing: we take what it lists.
      const filters = res.headers.get('oci-filters-applied')
      if (filters) this.opts.log?.(`${where}: registry reports OCI-Filters-Applied: ${filters}`)
      path = this.nextPage(res, seen, what)
    }
    return [...merged.values()]
  }

  private noReferrersApi(answer: string): null {
    if (this.referrers.mode !== 'api') return null
    throw new ImgvetError('unsupported', `${this.referrers.flag ?? 'referrers'} api: the registry has no OCI referrers `
      + `API (GET /v2/<name>/referrers/<digest> answered ${answer})`, this.registry)
  }

  /** The next page from a Link header; a registry that links back to a page it already sent is not followed forever. */
  private nextPage(res: HttpResponse, seen: Set<string>, what: string): string | null {
    const next = nextLink(res.headers.get('link'))
    if (next === null) return null
    if (seen.has(next) || seen.size >= MAX_PAGES) throw new ImgvetError('registry', `pagination loops or exceeds ${MAX_PAGES} pages`, `${this.registry} ${what}`)
    seen.add(next)
    return next
  }

  close(): void {
    this.agents.http.destroy()
    this.agents.https.destroy()
  }
}

/** One client per registry host for the life of a command; passed in, never global. */
export class Registries {
  private readonly clients = new Map<string, RegistryClient>()
  constructor(readonly opts: RegistryOptions) {}

  get(registry: string): RegistryClient {
    let c = this.clients.get(registry)
    if (!c) {
      c = new RegistryClient(registry, this.opts)
      this.clients.set(registry, c)
    }
    return c
  }

  get bytesDownloaded(): number {
    let n = 0
    for (const c of this.clients.values()) n += c.bytesDownloaded
    return n
  }

  close(): void {
    for (const c of this.clients.values()) c.close()
  }
}
