import http from 'node:http'
import {randomBytes} from 'node:crypto'
import {buildBombImage, buildValidImage, OCI_INDEX, sha256, type TestArtifact, type TestImage} from './hostile-image.js'

export {artifactManifest, blob, buildBombImage, buildValidImage, gzipBomb, imageFromLayers, makeTar, sha256, sha256 as digestOf, type GzipBomb, type TestArtifact, type TestBlob, type TestImage} from './hostile-image.js'

/** What a route does instead of answering honestly. */
export type Misbehavior =
  /** same size, wrong bytes (Docker-Content-Digest still claims the right digest) */
  | {kind: 'corrupt'}
  /** Content-Length promises the whole body; after `bytes` (default half) the socket is destroyed */
  | {kind: 'truncate'; bytes?: number}
  /** a complete response whose body (and Content-Length) is shorter than the descriptor says */
  | {kind: 'short-body'; bytes?: number}
  /** another valid manifest, while Docker-Content-Digest claims the requested one */
  | {kind: 'wrong-manifest'}
  /** an error status, e.g. 429 with Retry-After or 503; combine with Rule.times for "then success" */
  | {kind: 'status'; status: number; retryAfter?: string; body?: string}
  /** redirect blob GETs to the second server (another port); it records headers, so Authorization leaks show */
  | {kind: 'redirect'; status?: 301 | 302 | 303 | 307 | 308}
  /** a body of `bytes` (default 64 MiB) of manifest-looking JSON; chunked hides the length up front */
  | {kind: 'huge'; bytes?: number; chunked?: boolean}
  /** accepts the request and never answers */
  | {kind: 'hang'}
  /** sends the headers and the first `bytes` (default half) of the body, then holds the socket open, silent */
  | {kind: 'stall'; bytes?: number}

export type Target = 'ping' | 'manifest' | 'blob' | 'config' | 'layer' | 'catalog' | 'tags' | 'token' | 'referrers'

export interface Rule {
  target: Target
  misbehave: Misbehavior
  method?: 'GET' | 'HEAD'
  /** only this repository */
  repo?: string
  /** misbehave for the first `times` matching requests, then answer honestly; default: always */
  times?: number
}

export type HostileAuth =
  | {scheme: 'basic'; username: string; password: string}
  /** Bearer challenge pointing at this server's /token; credentials are checked when username is set */
  | {scheme: 'bearer'; username?: string; password?: string}

export interface HostileOptions {
  /** repository -> image, served under tag `latest`; default {'hostile/valid': buildValidImage()} */
  images?: Record<string, TestImage>
  /** also serve `hostile/bomb:latest` whose layer is a gzip bomb of this many zero bytes (e.g. 2 GiB) */
  bombSize?: number
  rules?: Rule[]
  auth?: HostileAuth
  /** repository -> manifests held besides its image (referrer artifacts): served by digest, with their blobs */
  artifacts?: Record<string, TestArtifact[]>
  /**
   * Serve the OCI 1.1 referrers API, `GET /v2/<name>/referrers/<digest>`: an index of the held manifests whose
   * `subject.digest` is <digest>. The `sha256-<hex>` fallback tag then 404s, so a test can tell which path a client
   * took. Without this the API 404s (as CNCF distribution does) and that tag lists the same referrers instead.
   */
  referrersApi?: ReferrersApiOptions
  /**
   * Docker Hub's pull limit: manifest answers carry `ratelimit-limit`/`ratelimit-remaining` (`N;w=21600`), every
   * manifest GET (not HEAD) spends one, and a GET with none left gets Hub's 429 (HUB_PULL_LIMIT_BODY). The object is
   * updated in place, so a test reads what is left. With `window` (seconds, default 21600 and never passing), the
   * budget is back to `limit` once that long has passed since the first manifest request of the window.
   */
  rateLimit?: {limit: number; remaining: number; window?: number; since?: number}
}

export const HUB_PULL_LIMIT_BODY = JSON.stringify({errors: [{code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate '
  + 'limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit'}]})

export interface ReferrersApiOptions {
  /** split the listing over this many pages linked by `Link: <...>; rel="next"`; default 1 */
  pages?: number
  /** the last page links back to the first, so a client that follows links blindly never stops */
  loop?: boolean
  /** send `OCI-Filters-Applied` with this value although nothing was filtered */
  filtersApplied?: string
}

export interface RecordedRequest {
  method: string
  /** path and query */
  url: string
  headers: http.IncomingHttpHeaders
  /** index into options.rules of the rule that fired, if any */
  rule?: number
}

export interface HostileRegistry {
  /** 127.0.0.1:PORT */
  host: string
  url: string
  images: Record<string, TestImage>
  requests: RecordedRequest[]
  /** requests that reached the redirect target (the second server) */
  redirectRequests: RecordedRequest[]
  redirectUrl: string
  /** how many times each rule fired, by index */
  hits: number[]
  /** the Bearer token /token hands out (bearer auth only) */
  token?: string
  stop(): Promise<void>
}

const ROUTE = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/
const REFERRERS_ROUTE = /^\/v2\/(.+)\/referrers\/([^/]+)$/
const FALLBACK_TAG = /^sha256-[0-9a-f]{64}$/

interface Held {
  manifest: Buffer
  manifestDigest: string
  manifestMediaType: string
}

/** subject digest -> referrer descriptors, in the order the manifests are held (what a registry's index would say). */
function referrersBySubject(held: Held[]): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>()
  for (const m of held) {
    const json = JSON.parse(m.manifest.toString('utf8')) as {subject?: {digest?: string}; artifactType?: string; config?: {mediaType?: string}; annotations?: Record<string, string>}
    const subject = json.subject?.digest
    if (!subject) continue
    // The spec's rule for the descriptor: the manifest's artifactType, else its config's media type.
    const artifactType = json.artifactType ?? json.config?.mediaType
    const d = {
      mediaType: m.manifestMediaType, digest: m.manifestDigest, size: m.manifest.length,
      ...(artifactType ? {artifactType} : {}), ...(json.annotations ? {annotations: json.annotations} : {}),
    }
    out.set(subject, [...(out.get(subject) ?? []), d])
  }
  return out
}

function indexOf(manifests: Record<string, unknown>[]): Buffer {
  return Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: OCI_INDEX, manifests}))
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const a = server.address()
      resolve(typeof a === 'object' && a ? a.port : 0)
    })
  })
}

function hugeBody(res: http.ServerResponse, bytes: number, chunked: boolean, head: boolean): void {
  const prefix = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","annotations":{"pad":"')
  const suffix = Buffer.from('"}}')
  const headers: http.OutgoingHttpHeaders = {'content-type': 'application/vnd.oci.image.manifest.v1+json'}
  if (!chunked) headers['content-length'] = bytes
  res.writeHead(200, headers)
  if (head) return void res.end()
  let left = bytes - prefix.length - suffix.length
  const pad = Buffer.alloc(1024 * 1024, 'A')
  res.write(prefix)
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, pad.length)
      left -= n
      if (!res.write(pad.subarray(0, n))) return void res.once('drain', pump)
    }
    res.end(suffix)
  }
  pump()
}

/**
 * A registry that lies in controlled ways. It speaks just enough of the distribution API (ping, manifests and
 * blobs by tag/digest, GET and HEAD, catalog, tags, opt-in referrers) to serve a small valid image, so every misbehaviour is the only
 * thing wrong with an otherwise working exchange.
 */
export async function startHostileRegistry(opts: HostileOptions = {}): Promise<HostileRegistry> {
  const images: Record<string, TestImage> = {...(opts.images ?? {'hostile/valid': await buildValidImage()})}
  if (opts.bombSize !== undefined) images['hostile/bomb'] = (await buildBombImage(opts.bombSize)).image
  const rules = opts.rules ?? []
  const hits = rules.map(() => 0)
  const requests: RecordedRequest[] = []
  const redirectRequests: RecordedRequest[] = []
  const token = opts.auth?.scheme === 'bearer' ? randomBytes(24).toString('base64url') : undefined
  const allBlobs = new Map<string, Buffer>()
  for (const img of Object.values(images)) for (const [d, b] of img.blobs) allBlobs.set(d, b)
  const artifacts = opts.artifacts ?? {}
  for (const list of Object.values(artifacts)) for (const a of list) for (const [d, b] of a.blobs) allBlobs.set(d, b)
  const referrers = new Map<string, Map<string, Record<string, unknown>[]>>()
  for (const [repo, img] of Object.entries(images)) referrers.set(repo, referrersBySubject([img, ...(artifacts[repo] ?? [])]))

  /** The manifest a repository answers for a tag or digest: its image, a held artifact, or the referrers fallback tag. */
  const heldManifest = (repo: string, image: TestImage, ref: string): Held | undefined => {
    if (ref === 'latest' || ref === image.manifestDigest) return image
    const artifact = artifacts[repo]?.find((a) => a.manifestDigest === ref)
    if (artifact) return artifact
    if (opts.referrersApi || !FALLBACK_TAG.test(ref)) return undefined
    const list = referrers.get(repo)?.get(ref.replace('-', ':'))
    if (!list) return undefined
    const manifest = indexOf(list)
    return {manifest, manifestDigest: sha256(manifest), manifestMediaType: OCI_INDEX}
  }

  const second = http.createServer((req, res) => {
    redirectRequests.push({method: req.method ?? '', url: req.url ?? '', headers: req.headers})
    const digest = /^\/blobs\/(sha256:[0-9a-f]{64})/.exec(req.url ?? '')?.[1]
    const data = digest ? allBlobs.get(digest) : undefined
    if (!data) return void res.writeHead(404).end()
    res.writeHead(200, {'content-type': 'application/octet-stream', 'content-length': data.length})
    res.end(req.method === 'HEAD' ? undefined : data)
  })
  const secondPort = await listen(second)
  const redirectUrl = `http://127.0.0.1:${secondPort}`
  let host = ''

  const authorized = (req: http.IncomingMessage): boolean => {
    const a = opts.auth
    const header = req.headers.authorization ?? ''
    if (!a) return true
    if (a.scheme === 'basic') return header === `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`
    return header === `Bearer ${token}`
  }
  const challenge = (scope: string | undefined): string => {
    const a = opts.auth
    if (a?.scheme === 'basic') return 'Basic realm="hostile"'
    return `Bearer realm="http://${host}/token",service="hostile"${scope ? `,scope="${scope}"` : ''}`
  }

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET'
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const record: RecordedRequest = {method, url: req.url ?? '', headers: req.headers}
    requests.push(record)
    const head = method === 'HEAD'
    const m = ROUTE.exec(url.pathname)
    const rm = m ? null : REFERRERS_ROUTE.exec(url.pathname)
    const repo = m?.[1] ?? rm?.[1]
    const image = repo !== undefined ? images[repo] : undefined
    let target: Target
    if (url.pathname === '/token') target = 'token'
    else if (url.pathname === '/v2/' || url.pathname === '/v2') target = 'ping'
    else if (url.pathname === '/v2/_catalog') target = 'catalog'
    else if (/^\/v2\/.+\/tags\/list$/.test(url.pathname)) target = 'tags'
    else if (rm) target = 'referrers'
    else if (m?.[2] === 'manifests') target = 'manifest'
    else if (m?.[3] && image && m[3] === image.config.digest) target = 'config'
    else target = m?.[2] === 'blobs' && image?.layers.some((l) => l.digest === m[3]) ? 'layer' : 'blob'

    const ruleIndex = rules.findIndex((r, i) => {
      const kindMatch = r.target === target || (r.target === 'blob' && (target === 'config' || target === 'layer'))
      return kindMatch && (!r.method || r.method === method) && (!r.repo || r.repo === repo) && (r.times === undefined || (hits[i] ?? 0) < r.times)
    })
    const rule = ruleIndex >= 0 ? rules[ruleIndex] : undefined
    if (rule) {
      record.rule = ruleIndex
      hits[ruleIndex] = (hits[ruleIndex] ?? 0) + 1
    }
    const mb = rule?.misbehave
    if (mb?.kind === 'hang') return
    if (mb?.kind === 'status') {
      res.writeHead(mb.status, {'content-type': 'application/json', ...(mb.retryAfter !== undefined ? {'retry-after': mb.retryAfter} : {})})
      return void res.end(head ? undefined : mb.body ?? JSON.stringify({errors: [{code: 'TOOMANYREQUESTS', message: `hostile ${mb.status}`}]}))
    }

    if (target === 'token') {
      const a = opts.auth
      if (a?.scheme === 'bearer' && a.username !== undefined && req.headers.authorization !== `Basic ${Buffer.from(`${a.username}:${a.password ?? ''}`).toString('base64')}`) {
        return void res.writeHead(401, {'content-type': 'application/json'}).end('{"errors":[{"code":"UNAUTHORIZED"}]}')
      }
      return void res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({token, access_token: token, expires_in: 300}))
    }
    if (!authorized(req)) {
      res.writeHead(401, {'content-type': 'application/json', 'www-authenticate': challenge(repo ? `repository:${repo}:pull` : undefined),
        'docker-distribution-api-version': 'registry/2.0'})
      return void res.end(head ? undefined : '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
    }
    const rl = opts.rateLimit
    if (rl && target === 'manifest') {
      const w = rl.window ?? 21600
      if (rl.window !== undefined && Date.now() - (rl.since ??= Date.now()) >= w * 1000) {
        rl.remaining = rl.limit
        rl.since = Date.now()
      }
      const spent = !head && rl.remaining === 0
      if (!head && rl.remaining > 0) rl.remaining--
      res.setHeader('ratelimit-limit', `${rl.limit};w=${w}`)
      res.setHeader('ratelimit-remaining', `${rl.remaining};w=${w}`)
      if (spent) return void res.writeHead(429, {'content-type': 'application/json'}).end(HUB_PULL_LIMIT_BODY)
    }
    if (target === 'ping') {
      return void res.writeHead(200, {'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0'}).end(head ? undefined : '{}')
    }
    if (target === 'catalog') return void res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({repositories: Object.keys(images).sort()}))
    if (target === 'tags') {
      const name = url.pathname.slice(4, -'/tags/list'.length)
      if (!images[name]) return void res.writeHead(404, {'content-type': 'application/json'}).end('{"errors":[{"code":"NAME_UNKNOWN"}]}')
      return void res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({name, tags: ['latest']}))
    }
    if (target === 'referrers') {
      const api = opts.referrersApi
      if (!api) return void res.writeHead(404, {'content-type': 'application/json'}).end('{"errors":[{"code":"UNSUPPORTED","message":"no referrers API"}]}')
      if (!image || !repo) return void res.writeHead(404, {'content-type': 'application/json'}).end('{"errors":[{"code":"NAME_UNKNOWN"}]}')
      const subject = rm?.[2] ?? ''
      const list = referrers.get(repo)?.get(subject) ?? []
      const pages = Math.max(1, api.pages ?? 1)
      const per = Math.ceil(list.length / pages)
      const page = Math.min(Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1), pages)
      const body = indexOf(list.slice((page - 1) * per, page * per))
      const self = `/v2/${repo}/referrers/${subject}`
      const headers: http.OutgoingHttpHeaders = {'content-type': OCI_INDEX, 'content-length': body.length}
      if (page < pages) headers['link'] = `<${self}?page=${page + 1}>; rel="next"`
      else if (api.loop) headers['link'] = `<${self}>; rel="next"`
      if (api.filtersApplied !== undefined) headers['oci-filters-applied'] = api.filtersApplied
      res.writeHead(200, headers)
      return void res.end(head ? undefined : body)
    }
    const ref = m?.[3] ?? ''
    if (!image || !repo) return void res.writeHead(404, {'content-type': 'application/json'}).end('{"errors":[{"code":"NAME_UNKNOWN"}]}')

    let body: Buffer
    let contentType: string
    let digest: string
    if (target === 'manifest') {
      const held = heldManifest(repo, image, ref)
      if (!held) {
        return void res.writeHead(404, {'content-type': 'application/json'}).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
      }
      if (mb?.kind === 'huge') return hugeBody(res, mb.bytes ?? 64 * 1024 * 1024, mb.chunked ?? false, head)
      digest = held.manifestDigest
      contentType = held.manifestMediaType
      body = held.manifest
      if (mb?.kind === 'wrong-manifest') {
        // Valid JSON and a valid image, just not the one whose digest we claim.
        const other = JSON.parse(held.manifest.toString('utf8')) as Record<string, unknown>
        other['annotations'] = {'org.opencontainers.image.title': 'not the manifest you asked for'}
        body = Buffer.from(JSON.stringify(other))
      }
    } else {
      const data = allBlobs.get(ref)
      if (!data) return void res.writeHead(404, {'content-type': 'application/json'}).end('{"errors":[{"code":"BLOB_UNKNOWN"}]}')
      if (mb?.kind === 'redirect' && !head) {
        return void res.writeHead(mb.status ?? 307, {location: `${redirectUrl}/blobs/${ref}?X-Amz-Signature=${randomBytes(8).toString('hex')}`}).end()
      }
      digest = ref
      contentType = 'application/octet-stream'
      body = data
    }
    if (mb?.kind === 'corrupt') {
      body = Buffer.from(body)
      // Flip bytes in the middle and at the end so both streaming and buffered readers see a digest mismatch.
      for (const i of [Math.floor(body.length / 2), body.length - 1]) body[i] = (body[i] ?? 0) ^ 0xff
    }
    if (mb?.kind === 'short-body') body = body.subarray(0, mb.bytes ?? Math.floor(body.length / 2))
    const headers = {'content-type': contentType, 'content-length': body.length, 'docker-content-digest': digest, 'docker-distribution-api-version': 'registry/2.0'}
    if (mb?.kind === 'stall') {
      res.writeHead(200, headers)
      return void (head ? res.end() : res.write(body.subarray(0, mb.bytes ?? Math.floor(body.length / 2))))
    }
    if (mb?.kind === 'truncate') {
      res.writeHead(200, headers)
      if (head) return void res.end()
      res.write(body.subarray(0, mb.bytes ?? Math.floor(body.length / 2)), () => res.socket?.destroy())
      return
    }
    if (mb?.kind === 'huge') return hugeBody(res, mb.bytes ?? 64 * 1024 * 1024, mb.chunked ?? false, head)
    res.writeHead(200, headers)
    res.end(head ? undefined : body)
  })
  const port = await listen(server)
  host = `127.0.0.1:${port}`
  return {
    host, url: `http://${host}`, images, requests, redirectRequests, redirectUrl, hits, token,
    stop: async () => {
      server.closeAllConnections()
      second.closeAllConnections()
      await Promise.all([new Promise<void>((r) => server.close(() => r())), new Promise<void>((r) => second.close(() => r()))])
    },
  }
}
