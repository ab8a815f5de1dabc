import {createServer} from 'node:net'
import http from 'node:http'
import https from 'node:https'
import {readFileSync} from 'node:fs'

/** Asks the kernel for a free loopback port. Racy by nature, so callers that spawn a process retry on bind failure. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))))
    })
  })
}

export interface SimpleResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** A tiny GET used for readiness polling and infra tests; deliberately independent of the client under test. */
export function request(url: string, opts: {caFile?: string; headers?: Record<string, string>; method?: string; timeoutMs?: number} = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url)
    const lib = u.protocol === 'https:' ? https : http
    const req = lib.request(
      u,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        ca: opts.caFile ? readFileSync(opts.caFile) : undefined,
        timeout: opts.timeoutMs ?? 5000,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (d: Buffer) => chunks.push(d))
        res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks)}))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`timeout requesting ${url}`)))
    req.on('error', reject)
    req.end()
  })
}

export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      if (await probe()) return
    } catch (e) {
      last = e
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`)
}
