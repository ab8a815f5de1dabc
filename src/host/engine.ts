import {createWriteStream} from 'node:fs'
import {request as httpRequest, type IncomingMessage} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {connect as tlsConnect, type PeerCertificate, type TLSSocket} from 'node:tls'
import {ImgvetError} from '../errors.js'

/** Where the engine API is and what the client holds to speak to it. */
export interface EngineTarget {
  /** unix:///path or tcp://host:port, as given. */
  url: string
  ca?: Buffer
  cert?: Buffer
  key?: Buffer
}

export type Transport = 'unix' | 'plain-http' | 'tls-no-verify' | 'mutual-tls'

export interface ServerCert {
  subject: string
  issuer: string
  notAfter: string
  daysLeft: number
}

/** How an attacker with no credentials fares against a TCP endpoint. */
export interface Probe {
  transport: Exclude<Transport, 'unix'> | 'unreachable'
  /** What answered, or why nothing did. */
  detail: string
  serverCert?: ServerCert
  /** Protocol versions the server negotiates (TLS endpoints only); ones this client cannot offer are left out. */
  tlsVersions?: string[]
}

interface Answer {
  status: number
  body: string
  cert?: PeerCertificate
}

/** Bodies from an engine are untrusted; an /info or inspect larger than this is not a real engine's. */
const MAX_BODY = 32 * 1024 * 1024
const TIMEOUT_MS = 10_000

type Mode = {kind: 'unix'; path: string} | {kind: 'http'} | {kind: 'https'; withClientCert: boolean}

export function parseHost(url: string): {kind: 'unix'; path: string} | {kind: 'tcp'; host: string; port: number} {
  const unix = /^unix:\/\/(\/.+)$/.exec(url)
  if (unix?.[1]) return {kind: 'unix', path: unix[1]}
  const tcp = /^tcp:\/\/(\[[0-9a-fA-F:]+\]|[^:/\s]+):(\d{1,5})\/?$/.exec(url)
  if (tcp?.[1] && tcp[2] && Number(tcp[2]) > 0 && Number(tcp[2]) < 65536)
    return {kind: 'tcp', host: tcp[1].replace(/^\[|\]$/g, ''), port: Number(tcp[2])}
  throw new ImgvetError('usage', `--host must be unix:///path or tcp://host:port, not ${JSON.stringify(url)}`)
}

/** An image export is a whole image: streamed to a file, bounded, never held in memory. */
const MAX_EXPORT = 16 * 1024 ** 3

function get(target: EngineTarget, mode: Mode, path: string, toFile?: string): Promise<Answer> {
  const addr = parseHost(target.url)
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => {
      if (toFile && res.statusCode === 200) {
        const out = createWriteStream(toFile)
        let written = 0
        res.on('data', (d: Buffer) => {
          written += d.length
          if (written > MAX_EXPORT) req.destroy(new ImgvetError('too-large', `engine export ${path} is over ${MAX_EXPORT} bytes`, target.url))
        })
        res.on('error', reject)
        out.on('error', reject)
        out.on('finish', () => resolve({status: 200, body: ''}))
        res.pipe(out)
        return
      }
      const cert = (res.socket as TLSSocket).getPeerCertificate?.()
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (d: Buffer) => {
        size += d.length
        if (size > MAX_BODY) {
          req.destroy(new ImgvetError('too-large', `engine answer to ${path} is over ${MAX_BODY} bytes`, target.url))
          return
        }
        chunks.push(d)
      })
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), cert}))
      res.on('error', reject)
    }
    // A unix socket has no host name; over TCP the address is the name TLS checks the certificate against.
    const local = mode.kind === 'unix' || addr.kind === 'unix'
    const common = {path, method: 'GET', timeout: TIMEOUT_MS, agent: false as const, ...(local ? {headers: {host: 'docker'}} : {})}
    const req =
      mode.kind === 'unix'
        ? httpRequest({...common, socketPath: mode.path}, onResponse)
        : addr.kind === 'unix'
          ? httpRequest({...common, socketPath: addr.path}, onResponse)
          : mode.kind === 'http'
            ? httpRequest({...common, host: addr.host, port: addr.port}, onResponse)
            : httpsRequest(
                {
                  ...common,
                  host: addr.host,
                  port: addr.port,
                  // The probe asks whether the server lets anyone in; who the server is matters only for the API read.
                  rejectUnauthorized: mode.withClientCert && target.ca !== undefined,
                  ca: target.ca,
                  ...(mode.withClientCert ? {cert: target.cert, key: target.key} : {}),
                },
                onResponse,
              )
    req.on('timeout', () => req.destroy(new ImgvetError('timeout', `no answer to ${path} in ${TIMEOUT_MS} ms`)))
    req.on('error', reject)
    req.end()
  })
}

function certOf(c: PeerCertificate | undefined, now: Date): ServerCert | undefined {
  if (!c || !c.valid_to) return undefined
  const notAfter = new Date(c.valid_to)
  return {
    subject: String(c.subject?.CN ?? ''),
    issuer: String(c.issuer?.CN ?? ''),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
  }
}

function isEngineVersion(a: Answer): boolean {
  if (a.status !== 200) return false
  try {
    const v = JSON.parse(a.body) as {ApiVersion?: unknown}
    return typeof v.ApiVersion === 'string'
  } catch {
    return false
  }
}

function why(e: unknown): string {
  const err = e as {code?: string; message?: string}
  return `${err.code ?? ''} ${err.message ?? String(e)}`.trim().slice(0, 200)
}

/**
 * Three anonymous requests classify a TCP endpoint: `/version` over plain HTTP, then over TLS with no client
 * certificate. A TLS 1.3 server that wants a certificate completes the handshake and rejects on the first read, so
 * only an answer (not a handshake) counts as "let in".
 */
export async function probe(target: EngineTarget, now = new Date()): Promise<Probe> {
  const p = await classify(target, now)
  if (p.transport === 'tls-no-verify' || p.transport === 'mutual-tls') p.tlsVersions = await tlsVersions(target)
  return p
}

async function classify(target: EngineTarget, now: Date): Promise<Probe> {
  let plainWhy = ''
  try {
    const a = await get(target, {kind: 'http'}, '/version')
    if (isEngineVersion(a)) return {transport: 'plain-http', detail: 'GET /version over plain HTTP answered 200'}
    plainWhy = `plain HTTP: ${a.status}`
  } catch (e) {
    plainWhy = `plain HTTP: ${why(e)}`
  }
  let cert: ServerCert | undefined
  try {
    const a = await get(target, {kind: 'https', withClientCert: false}, '/version')
    cert = certOf(a.cert, now)
    if (isEngineVersion(a))
      return {transport: 'tls-no-verify', detail: 'GET /version over TLS without a client certificate answered 200', serverCert: cert}
    return {transport: 'mutual-tls', detail: `TLS without a client certificate: HTTP ${a.status}`, serverCert: cert}
  } catch (e) {
    const msg = why(e)
    if (/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|timeout|ENOTFOUND/i.test(msg) && !/TLS|SSL|certificate/i.test(msg))
      return {transport: 'unreachable', detail: `${plainWhy}; TLS: ${msg}`}
    if (/certificate|alert|SSL|TLS|ECONNRESET|socket hang up/i.test(msg)) {
      // The handshake got far enough to refuse us: learn the server certificate with our own, if we have one.
      if (target.cert && target.key) {
        try {
          const a = await get(target, {kind: 'https', withClientCert: true}, '/version')
          cert = certOf(a.cert, now)
        } catch {
          // Expiry stays unknown; the anonymous refusal is what the probe is about.
        }
      }
      return {transport: 'mutual-tls', detail: `TLS without a client certificate refused: ${msg}`, serverCert: cert}
    }
    return {transport: 'unreachable', detail: `${plainWhy}; TLS: ${msg}`}
  }
}

const VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const

/**
 * One handshake per version. A certificate alert after the server chose the version still means it speaks it (a
 * mutual-TLS server refuses us for want of a certificate, not of the version); a protocol-version alert means no.
 */
function speaks(host: string, port: number, v: (typeof VERSIONS)[number]): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    // SECLEVEL=0 lets this client offer the old versions at all; it learns what the server accepts, sends nothing.
    const s = tlsConnect({host, port, minVersion: v, maxVersion: v, rejectUnauthorized: false,
      ciphers: 'DEFAULT@SECLEVEL=0', timeout: TIMEOUT_MS}, () => {
      s.destroy()
      resolve(true)
    })
    s.on('timeout', () => s.destroy(new Error('timeout')))
    s.on('error', (e: NodeJS.ErrnoException) => {
      const m = `${e.code ?? ''} ${e.message}`
      if (/NO_PROTOCOLS_AVAILABLE|UNSUPPORTED_PROTOCOL|no protocols available/i.test(m) && !/alert/i.test(m)) resolve(undefined)
      else if (/protocol.version|wrong.version|version.too.low|unsupported.protocol|handshake.failure/i.test(m)) resolve(false)
      else resolve(/certificate|alert/i.test(m) ? true : false)
    })
  })
}

async function tlsVersions(target: EngineTarget): Promise<string[]> {
  const addr = parseHost(target.url)
  if (addr.kind !== 'tcp') return []
  const out: string[] = []
  for (const v of VERSIONS) if (await speaks(addr.host, addr.port, v)) out.push(v)
  return out
}

/** Reads the API as the credentials allow: a unix socket, or TCP in the mode the probe found. */
export class EngineClient {
  constructor(
    readonly target: EngineTarget,
    private readonly mode: Mode,
  ) {}

  static for(target: EngineTarget, transport: Transport): EngineClient {
    const addr = parseHost(target.url)
    if (addr.kind === 'unix') return new EngineClient(target, {kind: 'unix', path: addr.path})
    if (transport === 'plain-http') return new EngineClient(target, {kind: 'http'})
    return new EngineClient(target, {kind: 'https', withClientCert: transport === 'mutual-tls'})
  }

  async json<T>(path: string): Promise<T> {
    let a: Answer
    try {
      a = await get(this.target, this.mode, path)
    } catch (e) {
      if (e instanceof ImgvetError) throw e
      throw new ImgvetError('network', `engine API ${path}: ${why(e)}`, this.target.url)
    }
    if (a.status !== 200)
      throw new ImgvetError('registry', `engine API ${path} answered ${a.status}: ${a.body.slice(0, 120)}`, this.target.url)
    try {
      return JSON.parse(a.body) as T
    } catch {
      throw new ImgvetError('registry', `engine API ${path} answered something that is not JSON`, this.target.url)
    }
  }

  /** `docker save` over the API: the image as a docker-archive tarball in `file`. */
  async saveImage(id: string, file: string): Promise<void> {
    const path = `/images/${encodeURIComponent(id)}/get`
    let a: Answer
    try {
      a = await get(this.target, this.mode, path, file)
    } catch (e) {
      if (e instanceof ImgvetError) throw e
      throw new ImgvetError('network', `engine API ${path}: ${why(e)}`, this.target.url)
    }
    if (a.status !== 200) throw new ImgvetError('registry', `engine API ${path} answered ${a.status}: ${a.body.slice(0, 120)}`, this.target.url)
  }
}
