import {ImgvetError} from '../errors.js'
import {formatReference, parseReference, type Reference} from './reference.js'

/** Where an image comes from, as skopeo spells it; a bare reference means the registry. */
export type Transport =
  | {kind: 'registry'; ref: Reference}
  | {kind: 'oci'; path: string; tag?: string}
  | {kind: 'oci-archive'; path: string; tag?: string}
  | {kind: 'docker-archive'; path: string; tag?: string}

const LOCAL = ['oci', 'oci-archive', 'docker-archive'] as const
/**
 * `PATH[:REF]`, split at the first colon as containers/image (skopeo) does: the reference part may itself hold
 * colons and slashes (`docker-archive:a.tar:registry/repo:tag`), the path may not.
 */
function splitPathTag(s: string): {path: string; tag?: string} {
  const i = s.indexOf(':')
  if (i > 0 && i < s.length - 1) return {path: s.slice(0, i), tag: s.slice(i + 1)}
  return {path: i === s.length - 1 ? s.slice(0, i) : s}
}

export function parseTransport(input: string): Transport {
  if (input.startsWith('docker://')) return {kind: 'registry', ref: parseReference(input.slice('docker://'.length))}
  for (const kind of LOCAL) {
    if (input.startsWith(`${kind}:`)) {
      const rest = input.slice(kind.length + 1)
      if (!rest) throw new ImgvetError('bad-reference', `"${input}": ${kind}: needs a path`)
      return {kind, ...splitPathTag(rest)}
    }
  }
  const scheme = /^([a-z-]+):(?!\d)/.exec(input)
  if (scheme && !input.includes('/') && !input.includes('.')) {
    // "foo:bar" is a tag on Docker Hub, not a transport; only known transport names are special.
  } else if (scheme && /^(containers-storage|docker-daemon|dir|sif|tarball):/.test(input)) {
    throw new ImgvetError('bad-reference', `transport "${scheme[1]}:" is not supported (use docker://, oci:, oci-archive: or docker-archive:)`)
  }
  return {kind: 'registry', ref: parseReference(input)}
}

export function formatTransport(t: Transport): string {
  if (t.kind === 'registry') return formatReference(t.ref)
  return `${t.kind}:${t.path}${t.tag ? `:${t.tag}` : ''}`
}
