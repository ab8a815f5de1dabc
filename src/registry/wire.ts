import {ImgvetError} from '../errors.js'

// Small parsers of what registries send, kept apart from the client so it stays readable.

const NO_TLS = new Set(['EPROTO', 'ECONNREFUSED', 'ECONNRESET', 'ERR_SSL_WRONG_VERSION_NUMBER'])

export function speaksNoTls(e: ImgvetError): boolean {
  if (e.code !== 'network') return false
  const cause = e.cause as {code?: string; errno?: string} | undefined
  const code = cause?.code ?? cause?.errno
  return (code !== undefined && NO_TLS.has(code)) || /wrong version number/i.test(e.message)
}

export function parseJson(body: Buffer, where: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (e) {
    throw new ImgvetError('registry', `invalid JSON: ${(e as Error).message}`, where)
  }
}

/** `Link: </v2/_catalog?last=x&n=5>; rel="next"` → the path to fetch next. */
export function nextLink(header: string | null): string | null {
  if (!header) return null
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header)
  if (!m?.[1]) return null
  try {
    const u = new URL(m[1], 'http://placeholder')
    return `${u.pathname}${u.search}`
  } catch {
    return null
  }
}

export function manifestMediaType(header: string | null, bytes: Buffer): string {
  const fromHeader = header?.split(';')[0]?.trim()
  if (fromHeader && fromHeader !== 'application/json' && fromHeader !== 'text/plain') return fromHeader
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as {mediaType?: unknown; schemaVersion?: unknown; manifests?: unknown}
    if (typeof parsed.mediaType === 'string') return parsed.mediaType
    if (parsed.schemaVersion === 1) return 'application/vnd.docker.distribution.manifest.v1+json'
    return Array.isArray(parsed.manifests) ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json'
  } catch {
    return fromHeader ?? 'application/octet-stream'
  }
}
