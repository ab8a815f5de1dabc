import {ImgvetError} from '../errors.js'

/**
 * A registry reference normalised the way docker does it: `nginx` is `docker.io/library/nginx:latest`.
 * `registry` is the name users see (docker.io); `endpoint` is the host actually contacted (registry-1.docker.io).
 */
export interface Reference {
  registry: string
  repository: string
  tag?: string
  digest?: string
}

export const DOCKER_HUB = 'docker.io'
const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io'

// distribution/reference grammar, simplified only where it does not change what is accepted.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/
const SHA256 = /^sha256:[a-f0-9]{64}$/
const DOMAIN = /^(?:localhost|\[[0-9a-fA-F:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::\d{1,5})?$/

export function parseReference(input: string): Reference {
  const s = input.trim()
  const fail = (why: string): never => {
    throw new ImgvetError('bad-reference', `invalid image reference "${input}": ${why}`)
  }
  if (!s) fail('empty')
  if (s.length > 4096) fail('too long')
  if (/\s/.test(s)) fail('contains white space')

  let rest = s
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) fail(`bad digest "${digest}"`)
    if (digest.startsWith('sha256:') && !SHA256.test(digest)) fail(`bad sha256 digest "${digest}"`)
  }

  let tag: string | undefined
  const lastSlash = rest.lastIndexOf('/')
  const colon = rest.lastIndexOf(':')
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) fail(`bad tag "${tag}"`)
  }

  let registry = DOCKER_HUB
  let path = rest
  const slash = rest.indexOf('/')
  if (slash >= 0) {
    const first = rest.slice(0, slash)
    // docker's rule: the first component is a registry if it has a dot or a port, or is localhost.
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[')) {
      if (!DOMAIN.test(first)) fail(`bad registry host "${first}"`)
      registry = first
      path = rest.slice(slash + 1)
    }
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_ENDPOINT) registry = DOCKER_HUB
  if (!path) fail('missing repository')
  if (path !== path.toLowerCase()) fail('repository name must be lowercase')
  for (const comp of path.split('/')) {
    if (!PATH_COMPONENT.test(comp)) fail(`bad repository component "${comp}"`)
  }
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`
  if (registry.length + path.length + 1 > 255) fail('name longer than 255 characters')
  if (!tag && !digest) tag = 'latest'
  return {registry, repository: path, tag, digest}
}

/** Host to contact for a registry name. */
export function registryEndpoint(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_ENDPOINT : registry
}

export function formatReference(ref: Reference): string {
  let s = `${ref.registry}/${ref.repository}`
  if (ref.tag) s += `:${ref.tag}`
  if (ref.digest) s += `@${ref.digest}`
  return s
}

/** `registry/repository`, the name scopes and caches key on. */
export function repositoryName(ref: Reference): string {
  return `${ref.registry}/${ref.repository}`
}

export function withDigest(ref: Reference, digest: string): Reference {
  return {...ref, digest}
}

