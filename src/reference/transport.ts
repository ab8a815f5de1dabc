import {ImgvetError} from '../errors.js'
import {formatReference, parseReference, type Reference} from './reference.js'

/** Where an image comes from, as skopeo spells it; a bare reference means the registry. */
export type Transport =
  | {kind: 'registry'; ref: Reference}
  | {kind: 'oci'; path: string; tag?: string}
  | {kind: 'oci-archive'; path: string; tag?: string}
  | {kind: 'docker-archive'; path: string; tag?: string}

const LOCAL = ['oci', 'oci-archive', 'docker-archive'] as const
const TAGISH = /^[\w][\w.-]{0,127}$/

/** `DIR:tag` → path and tag; the tag is only what follows the last colon and contains no slash. */
function splitPathTag(s: string): {path: string; tag?: string} {
  const i = s.lastIndexOf(':')
  if (i > 0) {
    const tag = s.slice(i + 1)
    // docker-archive's tag may be a full name like "registry/repo:tag": take it as-is when it has no slash.
    if (TAGISH.test(tag)) return {path: s.slice(0, i), tag}
  }
  return {path: s}
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
