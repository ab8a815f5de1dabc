import {request as httpGet, type IncomingHttpHeaders, type IncomingMessage} from 'node:http'
import {request as httpsGet} from 'node:https'
import type {Readable} from 'node:stream'
import {ImgvetError} from '../errors.js'
import {pullLimitReached} from './rate-limit.js'
import type {Agents} from './tls.js'

export interface HttpRequest {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  headers?: Record<string, string>
  /** A stream can be sent once: it is never retried (push restarts the whole blob instead). */
  body?: string | Buffer | Readable
  timeoutMs: number
  retries: number
  agents: Agents
  log?: (msg: string) => void
}

/** Response headers as fetch reads them: by lower-case name, repeats joined with ", ". */
export interface HeaderReader {
  get(name: string): string | null
}

export interface HttpResponse {
  status: number
  headers: HeaderReader
  url: string
  /** Body stream guarded by an idle timeout; null for HEAD. */
  body: Readable | null
}

const RETRY_STATUS = new Set([429, 502, 503, 504])
const RETRY_ERRNO = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET'])
// A POST or PATCH cut off after it was sent may have reached the server (a chunk appended, a session opened):
// sending it again is not the same request twice, so the caller restarts from a state it knows instead.
const NOT_IDEMPOTENT = new Set(['POST', 'PATCH'])
const MAX_REDIRECTS = 5
const TLS_TRUST_ERRORS = /^(UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|CERT_|ERR_TLS_CERT_ALTNAME_INVALID)/
const MAX_RETRY_AFTER_MS = 60_000

/** Retry-After as seconds or an HTTP date; capped so a hostile server cannot park us for hours. */
function retryAfterMs(value: string | null, attempt: number): number {
  const backoff = Math.min(200 * 2 ** attempt, 5_000) + Math.floor(Math.random() * 100)
  if (!value) return backoff
  const secs = Number(value)
  if (Number.isFinite(secs) && secs >= 0) return Math.min(secs * 1000, MAX_RETRY_AFTER_MS)
  const at = Date.parse(value)
  if (!Number.isNaN(at)) return Math.min(Math.max(at - Date.now(), 0), MAX_RETRY_AFTER_MS)
  return backoff
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function errnoOf(e: unknown): string | undefined {
  const err = e as {code?: string; errno?: string; cause?: {code?: string}}
  return err.code ?? err.errno ?? err.cause?.code
}

/**
 * One HTTP exchange with the rules every registry call needs: a timeout on headers and on every body read,
 * bounded retries with backoff on 429/502/503/504 and resets (honouring Retry-After), and redirects followed by hand
 * so that Authorization never travels to another host.
 */
export async function httpRequest(url: string, req: HttpRequest): Promise<HttpResponse> {
  let attempt = 0
  const replayable = req.body === undefined || typeof req.body === 'string' || Buffer.isBuffer(req.body)
  for (;;) {
    try {
      const res = await requestFollowingRedirects(url, req)
      const final = await pullLimitReached(res, redactUrl(url))
      if (final) throw final
      if (RETRY_STATUS.has(res.status) && attempt < req.retries && replayable) {
        const wait = retryAfterMs(res.headers.get('retry-after'), attempt)
        req.log?.(`${res.status} from ${url}; retry ${attempt + 1}/${req.retries} in ${wait} ms`)
        res.body?.destroy()
        attempt++
        await sleep(wait)
        continue
      }
      return res
    } catch (e) {
      const code = errnoOf(e)
      const transient = code !== undefined && RETRY_ERRNO.has(code)
      if (transient && attempt < req.retries && !NOT_IDEMPOTENT.has(req.method ?? 'GET') && replayable) {
        const wait = retryAfterMs(null, attempt)
        req.log?.(`${code} on ${url}; retry ${attempt + 1}/${req.retries} in ${wait} ms`)
        attempt++
        await sleep(wait)
        continue
      }
      throw toNetworkError(e, url, req.timeoutMs)
    }
  }
}

function toNetworkError(e: unknown, url: string, timeoutMs: number): ImgvetError {
  if (e instanceof ImgvetError) return e
  const err = e as Error & {type?: string}
  if (err.name === 'AbortError' || err.type === 'aborted') {
    return new ImgvetError('timeout', `no answer within ${Math.round(timeoutMs / 1000)} s`, redactUrl(url))
  }
  const code = errnoOf(e)
  if (code && TLS_TRUST_ERRORS.test(code)) {
    return new ImgvetError('network', `TLS certificate not trusted (${code}); pass --ca-file, or put ca.crt in certs.d/<host>/`, redactUrl(url), {cause: e})
  }
  const what = err.message?.replace(/^request to \S+ failed, reason: /, '') ?? String(e)
  return new ImgvetError('network', code && !what.includes(code) ? `${code}: ${what}` : what, redactUrl(url), {cause: e})
}

/** URLs of presigned redirects carry credentials in the query; never print them. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.search) u.search = '?…'
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    return url
  }
}

// Query values --debug may show: what was asked for. Anything else (presigned signatures, account names) is hidden.
const SHOWN_QUERY = new Set(['service', 'scope', 'n', 'last', 'digest', 'mount', 'from', 'artifactType'])

/** A URL for --debug: the path and the harmless query values; never user info, signatures or tokens. */
function debugUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    for (const k of [...new Set(u.searchParams.keys())]) if (!SHOWN_QUERY.has(k)) u.searchParams.set(k, '…')
    return decodeURIComponent(u.toString())
  } catch {
    return redactUrl(url)
  }
}

async function requestFollowingRedirects(url: string, req: HttpRequest): Promise<HttpResponse> {
  const origin = new URL(url).host
  let current = url
  let headers = {...(req.headers ?? {})}
  for (let hop = 0; ; hop++) {
    const res = await requestOnce(current, {...req, headers})
    if (res.status >= 300 && res.status < 400 && res.status !== 304) {
      const location = res.headers.get('location')
      res.body?.destroy()
      if (!location) throw new ImgvetError('registry', `redirect ${res.status} without Location`, redactUrl(current))
      if (hop >= MAX_REDIRECTS) throw new ImgvetError('registry', `more than ${MAX_REDIRECTS} redirects`, redactUrl(url))
      const next = new URL(location, current)
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new ImgvetError('registry', `redirect to unsupported scheme ${next.protocol}`, redactUrl(current))
      }
      if (next.host !== origin) {
        // The registry's credentials are for the registry only: a blob store on another host gets none.
        const {authorization: _drop, Authorization: _drop2, ...rest} = headers
        headers = rest
      }
      req.log?.(`redirect ${res.status} to ${redactUrl(next.toString())}`)
      current = next.toString()
      continue
    }
    return res
  }
}

function headerReader(h: IncomingHttpHeaders): HeaderReader {
  return {
    get: (name) => {
      const v = h[name.toLowerCase()]
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
    },
  }
}

/**
 * node:http itself rather than a fetch layer: the body is the socket's own IncomingMessage (no extra stream per
 * chunk) and start-up loads no fetch polyfill. Nothing is decompressed: no Accept-Encoding is sent.
 */
function requestOnce(url: string, req: HttpRequest): Promise<HttpResponse> {
  const u = new URL(url)
  const https = u.protocol === 'https:'
  return new Promise((resolve, reject) => {
    let answered = false
    const r = (https ? httpsGet : httpGet)(u, {method: req.method ?? 'GET', headers: req.headers, agent: https ? req.agents.https : req.agents.http})
    // No answer (headers) within the timeout: the same error an aborted fetch gave.
    const abort = () => r.destroy(Object.assign(new Error('The operation was aborted.'), {name: 'AbortError'}))
    const timer = setTimeout(abort, req.timeoutMs)
    const started = Date.now()
    const method = req.method ?? 'GET'
    r.on('error', (e) => {
      clearTimeout(timer)
      if (answered) return
      req.log?.(`${method} ${debugUrl(url)} failed after ${Date.now() - started} ms (${errnoOf(e) ?? e.name})`)
      reject(e)
    })
    r.once('response', (res: IncomingMessage) => {
      answered = true
      clearTimeout(timer)
      req.log?.(`${method} ${debugUrl(url)} ${res.statusCode ?? 0} ${Date.now() - started} ms`)
      const head = req.method === 'HEAD'
      if (head) res.resume()
      else {
        // Idle timeout on the socket (any bytes re-arm it): a server that stops sending mid-body must not hang us.
        // A 'data' listener here would start the flow before the caller is reading, and lose the first chunks.
        r.setTimeout(req.timeoutMs, () => {
          res.destroy(new ImgvetError('timeout', `body stalled for ${Math.round(req.timeoutMs / 1000)} s`, redactUrl(url)))
        })
      }
      resolve({status: res.statusCode ?? 0, headers: headerReader(res.headers), url, body: head ? null : res})
    })
    const body = req.body
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) r.end(body)
    else {
      // A failing source stream must fail the request, not leave it waiting for bytes that never come.
      body.once('error', (e) => r.destroy(e))
      body.pipe(r)
    }
  })
}

export {readBounded} from '../image/bounded.js'
