import {ImgvetError} from '../errors.js'
import type {HttpResponse} from './http.js'

/**
 * A 404 that keeps the registry's own error code (NAME_UNKNOWN, MANIFEST_UNKNOWN): the code stays `not-found`
 * (a referrer tag that is absent is no error), and the source resolving the user's reference names the typo.
 */
export class RegistryNotFound extends ImgvetError {
  constructor(message: string, where: string, readonly registryCode: string | undefined) {
    super('not-found', message, where)
  }
}

/**
 * A web server answering /v2/ is not a registry: an HTML page, or a 404 without the distribution header. A JSON
 * answer without the header is still taken (the OCI distribution spec does not require it).
 */
export function notARegistry(res: HttpResponse, url: string): void {
  if (res.headers.get('docker-distribution-api-version')) return
  const html = /html/i.test(res.headers.get('content-type') ?? '')
  if (!html && res.status !== 404) return
  const what = html ? `an HTML page (HTTP ${res.status})` : 'HTTP 404 without Docker-Distribution-API-Version'
  throw new ImgvetError('not-a-registry', `not a container registry: /v2/ answered with ${what}`, url)
}
