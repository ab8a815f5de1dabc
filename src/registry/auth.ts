import {ImgvetError} from '../errors.js'
import type {Credential} from './credentials.js'
import {httpRequest, readBounded, type HttpRequest} from './http.js'

export interface Challenge {
  scheme: string
  params: Record<string, string>
}

/** Parse a WWW-Authenticate header: `Bearer realm="...",service="...",scope="..."` or `Basic realm="..."`. */
export function parseChallenge(header: string | null): Challenge | null {
  if (!header) return null
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header)
  if (!m?.[1]) return null
  const params: Record<string, string> = {}
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g
  for (let p = re.exec(m[2] ?? ''); p; p = re.exec(m[2] ?? '')) {
    if (p[1]) params[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1')
  }
  return {scheme: m[1].toLowerCase(), params}
}

export function basicHeader(cred: Credential): string {
  return `Basic ${Buffer.from(`${cred.username ?? ''}:${cred.password ?? ''}`).toString('base64')}`
}

const MAX_TOKEN_RESPONSE = 1024 * 1024

/**
 * Docker token flow: GET realm?service&scope with Basic credentials (or none), or, with an identity token, the
 * OAuth2 refresh-token POST. Scopes are those the registry asked for, plus what we need.
 */
export async function fetchToken(
  challenge: Challenge,
  scopes: string[],
  cred: Credential | null,
  base: Omit<HttpRequest, 'method' | 'headers' | 'body'>,
): Promise<string> {
  const realm = challenge.params.realm
  if (!realm) throw new ImgvetError('unauthorized', 'Bearer challenge without realm')
  let url: URL
  try {
    url = new URL(realm)
  } catch {
    throw new ImgvetError('unauthorized', `Bearer challenge has an invalid realm "${realm}"`)
  }
  const service = challenge.params.service
  let res
  if (cred?.identityToken) {
    const form = new URLSearchParams({grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: 'imgvet'})
    if (service) form.set('service', service)
    if (scopes.length) form.set('scope', scopes.join(' '))
    res = await httpRequest(url.toString(), {
      ...base,
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded'},
      body: form.toString(),
    })
  } else {
    if (service) url.searchParams.set('service', service)
    for (const s of scopes) url.searchParams.append('scope', s)
    if (cred?.username) url.searchParams.set('account', cred.username)
    const headers: Record<string, string> = {}
    if (cred?.username !== undefined || cred?.password !== undefined) headers.authorization = basicHeader(cred)
    res = await httpRequest(url.toString(), {...base, method: 'GET', headers})
  }
  const body = await readBounded(res.body, MAX_TOKEN_RESPONSE, url.origin + url.pathname)
  if (res.status === 401 || res.status === 403) {
    throw new ImgvetError('unauthorized', `token server refused the credentials${cred?.from ? ` from ${cred.from}` : ''} (${res.status})`, url.origin + url.pathname)
  }
  if (res.status !== 200) {
    throw new ImgvetError('registry', `token server answered ${res.status}`, url.origin + url.pathname)
  }
  try {
    const json = JSON.parse(body.toString('utf8')) as {token?: string; access_token?: string}
    const token = json.token ?? json.access_token
    if (!token) throw new Error('no token field')
    return token
  } catch (e) {
    throw new ImgvetError('registry', `token server answer is not usable: ${(e as Error).message}`, url.origin + url.pathname)
  }
}
