// A recording proxy in front of a real registry (startRegistry) that misbehaves on the push side the way broken or
// hostile registries do. Everything but the chosen misbehaviour is forwarded, so the registry's real semantics
// (per-repository blob links, MANIFEST_BLOB_UNKNOWN, upload sessions) stay in play. Loopback only.
import http from 'node:http'
import https from 'node:https'
import {readFileSync} from 'node:fs'

export type PushMisbehavior =
  /** the 201 that completes a blob upload names another digest */
  | {kind: 'put-digest-lie'}
  /** GET of a manifest by digest answers re-indented JSON: the same document, other bytes */
  | {kind: 'serve-other-bytes'}
  /** HEAD of a blob says 200 with the asked digest (and no length, as some registries do), whatever it holds */
  | {kind: 'blob-head-lies'}
  /** a cross-repository mount is answered 201 without being done */
  | {kind: 'mount-fake-201'}
  /** upload Locations are rewritten to a second listener on another host name (localhost instead of 127.0.0.1) */
  | {kind: 'location-other-host'}
  /** upload Locations are rewritten to plain http (the proxy itself serves https) */
  | {kind: 'location-downgrade'}
  /** after each PUT of a `sha256-<hex>` tag, a racing writer replaces it with an index holding only `entry` */
  | {kind: 'race-fallback-tag'; entry: object; times?: number}
  /** answer `status` (with Retry-After) to the first `times` requests matching method and path */
  | {kind: 'status'; method: string; path: RegExp; status: number; retryAfter?: string; times?: number}
  /** manifest PUTs are answered with an OCI-Subject header although the registry has no referrers API */
  | {kind: 'oci-subject-lie'}
  /** read the request and never answer */
  | {kind: 'stall'; method: string; path: RegExp}
  /** forward a PATCH to the registry (which takes the chunk), then cut the connection instead of answering */
  | {kind: 'drop-patch-response'; times?: number}
  /**
   * the OCI referrers API, which the CNCF registry 2.8 lacks: manifests PUT through the proxy that name a subject are
   * indexed, `GET /v2/<name>/referrers/<digest>` lists them, and their PUT is answered with OCI-Subject
   */
  | {kind: 'referrers-api'}

export interface Recorded {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  status?: number
}

export interface PushProxy {
  /** `127.0.0.1:PORT` */
  host: string
  url: string
  requests: Recorded[]
  /** The second listener (Location rewrites point there). */
  other: {host: string; requests: Recorded[]}
  /** Requests that change state: POST, PUT, PATCH, DELETE. */
  writes(): Recorded[]
  /** Resolves when a request matching `pred` has been answered. */
  when(pred: (r: Recorded) => boolean): Promise<Recorded>
  stop(): Promise<void>
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

interface Forwarded {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

function forward(upstream: URL, req: http.IncomingMessage, body: Buffer, path = req.url ?? '/',
  method = req.method ?? 'GET'): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    // The registry builds absolute Locations from Host: keeping the client's makes them point back at the proxy.
    const out = http.request({host: upstream.hostname, port: upstream.port, method, path,
      headers: {...req.headers, 'content-length': String(body.length)}}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks)}))
      res.on('error', reject)
    })
    out.on('error', reject)
    out.end(body)
  })
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1',
    () => resolve((server.address() as {port: number}).port)))
}

/** Starts the proxy in front of `upstream` (`http://127.0.0.1:PORT` of a plain or htpasswd registry). */
export async function startPushProxy(upstreamUrl: string, rules: PushMisbehavior[] = [],
  tls?: {certFile: string; keyFile: string}): Promise<PushProxy> {
  const upstream = new URL(upstreamUrl)
  const requests: Recorded[] = []
  const otherRequests: Recorded[] = []
  const waiters: Array<{pred: (r: Recorded) => boolean; resolve: (r: Recorded) => void}> = []
  const counts = new Map<PushMisbehavior, number>()
  const stalled: http.ServerResponse[] = []
  const fires = (r: PushMisbehavior) => {
    const n = (counts.get(r) ?? 0) + 1
    counts.set(r, n)
    const times = 'times' in r ? r.times : undefined
    return times === undefined || n <= times
  }
  const find = <K extends PushMisbehavior['kind']>(kind: K) => rules.find((r): r is Extract<PushMisbehavior, {kind: K}> => r.kind === kind)
  // The referrers API's index: repository and subject digest to the descriptors of the manifests naming it.
  const referrers = new Map<string, Map<string, object>>()
  let self = ''
  let otherHost = ''

  const answer = (res: http.ServerResponse, rec: Recorded, f: Forwarded) => {
    rec.status = f.status
    const {'transfer-encoding': _te, connection: _c, ...headers} = f.headers
    // A HEAD answer has no body but keeps the length of the one it describes.
    res.writeHead(f.status, rec.method === 'HEAD' ? headers : {...headers, 'content-length': String(f.body.length)})
    res.end(f.body)
    for (const w of waiters.splice(0)) {
      if (w.pred(rec)) w.resolve(rec)
      else waiters.push(w)
    }
  }

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const method = req.method ?? 'GET'
    const url = req.url ?? '/'
    const rec: Recorded = {method, url, headers: req.headers}
    requests.push(rec)
    const body = await readBody(req)
    for (const r of rules) {
      if (r.kind === 'stall' && r.method === method && r.path.test(url)) {
        stalled.push(res)
        return
      }
      if (r.kind === 'status' && r.method === method && r.path.test(url) && fires(r)) {
        return answer(res, rec,
          {status: r.status,
            headers: {'content-type': 'application/json', ...(r.retryAfter ? {'retry-after': r.retryAfter} : {})},
          body: Buffer.from(JSON.stringify({errors: [{code: 'TOOMANYREQUESTS', message: 'slow down'}]}))})
      }
    }
    const api = find('referrers-api')
    const listing = /^\/v2\/(.+)\/referrers\/(sha256:[0-9a-f]{64})(\?.*)?$/.exec(url)
    if (api && listing && method === 'GET') {
      const manifests = [...(referrers.get(`${listing[1]} ${listing[2]}`)?.values() ?? [])]
      return answer(res, rec, {status: 200, headers: {'content-type': 'application/vnd.oci.image.index.v1+json'},
        body: Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests}))})
    }
    const drop = find('drop-patch-response')
    if (drop && method === 'PATCH' && /\/blobs\/uploads\//.test(url) && fires(drop)) {
      const f = await forward(upstream, req, body)
      rec.status = f.status
      res.socket?.destroy()
      return
    }
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url)
    if (blob && method === 'HEAD' && find('blob-head-lies')) {
      return answer(res, rec, {status: 200, headers: {'docker-content-digest': blob[2]}, body: Buffer.alloc(0)})
    }
    if (method === 'POST' && /[?&]mount=/.test(url) && find('mount-fake-201')) {
      const d = /mount=([^&]+)/.exec(url)?.[1] ?? ''
      return answer(res, rec,
        {status: 201,
          headers: {location: `/v2/x/blobs/${decodeURIComponent(d)}`,
            'docker-content-digest': decodeURIComponent(d)}, body: Buffer.alloc(0)})
    }
    const f = await forward(upstream, req, body)
    const loc = f.headers.location
    if (typeof loc === 'string' && /\/blobs\/uploads\//.test(loc)) {
      if (find('location-other-host')) f.headers.location = loc.replace(/^https?:\/\/[^/]+/, '').replace(/^/, `http://${otherHost}`)
      if (find('location-downgrade')) f.headers.location = `http://${self}${loc.replace(/^https?:\/\/[^/]+/, '')}`
    }
    if (method === 'PUT' && /\/blobs\/uploads\//.test(url) && f.status === 201 && find('put-digest-lie')) {
      f.headers['docker-content-digest'] = `sha256:${'0'.repeat(64)}`
    }
    if (method === 'PUT' && /\/manifests\//.test(url) && f.status === 201 && find('oci-subject-lie')) {
      f.headers['oci-subject'] = `sha256:${'1'.repeat(64)}`
    }
    const putPath = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(url)
    if (api && putPath && method === 'PUT' && f.status === 201) {
      const m = JSON.parse(body.toString('utf8')) as {mediaType?: string; artifactType?: string;
        subject?: {digest?: string}; config?: {mediaType?: string}; annotations?: Record<string, string>}
      if (m.subject?.digest) {
        const digest = f.headers['docker-content-digest']
        const key = `${putPath[1]} ${m.subject.digest}`
        const list = referrers.get(key) ?? new Map<string, object>()
        list.set(String(digest), {mediaType: m.mediaType ?? req.headers['content-type'], digest, size: body.length,
          artifactType: m.artifactType ?? m.config?.mediaType, ...(m.annotations ? {annotations: m.annotations} : {})})
        referrers.set(key, list)
        f.headers['oci-subject'] = m.subject.digest
      }
    }
    if (method === 'GET' && /\/manifests\/sha256:[0-9a-f]{64}$/.test(url) && f.status === 200 && find('serve-other-bytes')) {
      f.body = Buffer.from(JSON.stringify(JSON.parse(f.body.toString('utf8')), null, 3))
    }
    const race = find('race-fallback-tag')
    const tag = /^\/v2\/(.+)\/manifests\/(sha256-[0-9a-f]{64})$/.exec(url)
    if (race && tag && method === 'PUT' && f.status === 201 && fires(race)) {
      const index = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [race.entry]}))
      const put = {...req,
        headers: {...req.headers, 'content-type': 'application/vnd.oci.image.index.v1+json'}} as http.IncomingMessage
      await forward(upstream, put, index, url, 'PUT')
    }
    answer(res, rec, f)
  }
  const wrap = (h: typeof handler) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    h(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(502)
      res.end(String(e))
    })
  }
  const server = tls
    ? https.createServer({cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile)}, wrap(handler))
    : http.createServer(wrap(handler))
  const other = http.createServer(wrap(async (req, res) => {
    const rec: Recorded = {method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers}
    otherRequests.push(rec)
    const body = await readBody(req)
    answer(res, rec, await forward(upstream, req, body))
  }))
  const port = await listen(server)
  const otherPort = await listen(other)
  self = `127.0.0.1:${port}`
  otherHost = `localhost:${otherPort}`
  return {
    host: self,
    url: `${tls ? 'https' : 'http'}://${self}`,
    requests,
    other: {host: otherHost, requests: otherRequests},
    writes: () => requests.filter((r) => WRITES.has(r.method)),
    when: (pred) => new Promise((resolve) => {
      const done = requests.find((r) => r.status !== undefined && pred(r))
      if (done) resolve(done)
      else waiters.push({pred, resolve})
    }),
    stop: async () => {
      for (const s of stalled) s.destroy()
      server.closeAllConnections()
      other.closeAllConnections()
      await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => other.close(r))])
    },
  }
}
