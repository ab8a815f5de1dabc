import type {Image} from '../image/image.js'
import type {ImageConfig} from '../image/types.js'
import type {FileInfo} from './filemap.js'
import {escapeControl} from '../report/escape.js'

type ChangeKind = 'type' | 'content' | 'size' | 'mode' | 'owner' | 'link'

interface PathDiff {
  path: string
  status: 'added' | 'removed' | 'changed'
  /** For changed paths: what differs. */
  changes: ChangeKind[]
  upstream?: FileInfo
  rebuilt?: FileInfo
}

interface ConfigDiff {
  field: string
  upstream: string
  rebuilt: string
}

export interface CompareResult {
  upstream: {reference: string; digest: string}
  rebuilt: {reference: string; digest: string}
  /** Paths compared (the union of both filesystems). */
  paths: number
  differences: PathDiff[]
  /** Paths whose only difference is the mtime a build stamps: shown apart, not counted. */
  timestampOnly: {count: number; sample: Array<{path: string; upstream: string; rebuilt: string}>}
  /** Files too large to hash on either side: equal only by size. */
  sizeOnly: string[]
  config: ConfigDiff[]
  /** config.created and history timestamps: differ by construction when the image is rebuilt later. */
  buildTime: ConfigDiff[]
  identical: boolean
  verdict: string
}

const SAMPLE = 50

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`
}

function describeFile(f: FileInfo | undefined): string {
  if (!f) return '-'
  const parts = [f.type, octal(f.mode), `${f.uid}:${f.gid}`]
  if (f.type === 'file') parts.push(`${f.size} B`, f.sha256 ? f.sha256.slice(0, 19) : 'not hashed')
  if (f.linkname !== undefined) parts.push(`-> ${f.linkname}`)
  return parts.join(' ')
}

function fileChanges(a: FileInfo, b: FileInfo): {changes: ChangeKind[]; sizeOnly: boolean} {
  const changes: ChangeKind[] = []
  let sizeOnly = false
  if (a.type !== b.type) changes.push('type')
  else {
    if (a.type === 'file') {
      if (a.size !== b.size) changes.push('size')
      if (a.sha256 && b.sha256) {
        if (a.sha256 !== b.sha256) changes.push('content')
      } else if (a.size === b.size) sizeOnly = true
    }
    if ((a.linkname ?? '') !== (b.linkname ?? '')) changes.push('link')
  }
  // Symlink permission bits are meaningless on Linux and differ between tar writers.
  if (a.type !== 'symlink' && (a.mode & 0o7777) !== (b.mode & 0o7777)) changes.push('mode')
  if (a.uid !== b.uid || a.gid !== b.gid) changes.push('owner')
  return {changes, sizeOnly}
}

function list(v: readonly string[] | null | undefined): string {
  return v && v.length ? JSON.stringify(v) : '-'
}

/** The config fields that change what a container does; values of env vars are compared but never printed. */
function configDiff(a: ImageConfig, b: ImageConfig): ConfigDiff[] {
  const ca = a.config ?? {}
  const cb = b.config ?? {}
  const out: ConfigDiff[] = []
  const cmp = (field: string, x: string, y: string) => {
    if (x !== y) out.push({field, upstream: x, rebuilt: y})
  }
  cmp('User', ca.User || '(root)', cb.User || '(root)')
  cmp('ExposedPorts', list(Object.keys(ca.ExposedPorts ?? {}).sort()), list(Object.keys(cb.ExposedPorts ?? {}).sort()))
  cmp('Entrypoint', list(ca.Entrypoint), list(cb.Entrypoint))
  cmp('Cmd', list(ca.Cmd), list(cb.Cmd))
  cmp('WorkingDir', ca.WorkingDir || '-', cb.WorkingDir || '-')
  cmp('Volumes', list(Object.keys(ca.Volumes ?? {}).sort()), list(Object.keys(cb.Volumes ?? {}).sort()))
  cmp('StopSignal', ca.StopSignal || '-', cb.StopSignal || '-')
  const env = (c: typeof ca) => new Map((c.Env ?? []).map((kv) => [kv.split('=')[0] ?? kv, kv.slice(kv.indexOf('=') + 1)]))
  const ea = env(ca)
  const eb = env(cb)
  for (const name of [...new Set([...ea.keys(), ...eb.keys()])].sort()) {
    if (!ea.has(name)) out.push({field: `Env ${name}`, upstream: '(absent)', rebuilt: '(set)'})
    else if (!eb.has(name)) out.push({field: `Env ${name}`, upstream: '(set)', rebuilt: '(absent)'})
    else if (ea.get(name) !== eb.get(name)) out.push({field: `Env ${name}`, upstream: '(value differs)', rebuilt: '(value differs)'})
  }
  const la = ca.Labels ?? {}
  const lb = cb.Labels ?? {}
  for (const k of [...new Set([...Object.keys(la), ...Object.keys(lb)])].sort()) {
    cmp(`Label ${k}`, la[k] ?? '(absent)', lb[k] ?? '(absent)')
  }
  cmp('os/arch', `${a.os ?? '?'}/${a.architecture ?? '?'}${a.variant ? `/${a.variant}` : ''}`, `${b.os ?? '?'}/${b.architecture ?? '?'}${b.variant ? `/${b.variant}` : ''}`)
  return out
}

/** Labels some builders stamp with the build time (OCI created, label-schema build-date). */
const TIME_LABEL = /(^|\.)(created|build-date|build_date|builddate|date)$/i

function buildTimeDiff(a: ImageConfig, b: ImageConfig, config: ConfigDiff[]): {real: ConfigDiff[]; time: ConfigDiff[]} {
  const time: ConfigDiff[] = []
  if ((a.created ?? '') !== (b.created ?? '')) time.push({field: 'created', upstream: a.created ?? '-', rebuilt: b.created ?? '-'})
  const ha = a.history ?? []
  const hb = b.history ?? []
  for (let i = 0; i < Math.max(ha.length, hb.length); i++) {
    const x = ha[i]
    const y = hb[i]
    if (x && y && (x.created ?? '') !== (y.created ?? '')) time.push({field: `history[${i}].created`, upstream: x.created ?? '-', rebuilt: y.created ?? '-'})
  }
  const real: ConfigDiff[] = []
  for (const c of config) {
    const isTime = c.field.startsWith('Label ') && TIME_LABEL.test(c.field.slice(6)) && !Number.isNaN(Date.parse(c.upstream)) && !Number.isNaN(Date.parse(c.rebuilt))
    ;(isTime ? time : real).push(c)
  }
  return {real, time}
}

export function compareImages(upstream: {image: Image; files: Map<string, FileInfo>}, rebuilt: {image: Image; files: Map<string, FileInfo>}): CompareResult {
  const differences: PathDiff[] = []
  const timestampOnly: CompareResult['timestampOnly'] = {count: 0, sample: []}
  const sizeOnly: string[] = []
  const all = [...new Set([...upstream.files.keys(), ...rebuilt.files.keys()])].sort()
  for (const path of all) {
    const a = upstream.files.get(path)
    const b = rebuilt.files.get(path)
    if (!a && b) differences.push({path, status: 'added', changes: [], rebuilt: b})
    else if (a && !b) differences.push({path, status: 'removed', changes: [], upstream: a})
    else if (a && b) {
      const {changes, sizeOnly: bySize} = fileChanges(a, b)
      if (changes.length) differences.push({path, status: 'changed', changes, upstream: a, rebuilt: b})
      else {
        if (bySize) sizeOnly.push(path)
        if ((a.mtime ?? '') !== (b.mtime ?? '')) {
          timestampOnly.count++
          if (timestampOnly.sample.length < SAMPLE) timestampOnly.sample.push({path, upstream: a.mtime ?? '-', rebuilt: b.mtime ?? '-'})
        }
      }
    }
  }
  const {real: config, time: buildTime} = buildTimeDiff(upstream.image.config, rebuilt.image.config, configDiff(upstream.image.config, rebuilt.image.config))
  const identical = differences.length === 0 && config.length === 0
  const n = differences.length
  const verdict = identical
    ? `the rebuilt image matches upstream: ${all.length} paths and the runtime config agree${timestampOnly.count || buildTime.length ? '; only build timestamps differ' : ''}`
    : `the rebuilt image matches upstream except for ${n} file${n === 1 ? '' : 's'}${config.length ? ` and ${config.length} config field${config.length === 1 ? '' : 's'}` : ''}`
  return {
    upstream: {reference: upstream.image.name, digest: upstream.image.digest},
    rebuilt: {reference: rebuilt.image.name, digest: rebuilt.image.digest},
    paths: all.length,
    differences,
    timestampOnly,
    sizeOnly,
    config,
    buildTime,
    identical,
    verdict,
  }
}

export function renderCompareText(c: CompareResult): string {
  const out = [`Compared with upstream ${c.upstream.reference} (${c.upstream.digest})`, `Verdict: ${c.verdict}`]
  if (c.differences.length) {
    out.push('', `Files that differ (${c.differences.length}):`)
    for (const d of c.differences) {
      const what = d.status === 'changed' ? `changed (${d.changes.join(', ')})` : d.status
      out.push(`  ${what.padEnd(10)} ${d.path}`)
      if (d.status !== 'added') out.push(`             upstream: ${describeFile(d.upstream)}`)
      if (d.status !== 'removed') out.push(`             rebuilt:  ${describeFile(d.rebuilt)}`)
    }
  }
  if (c.config.length) {
    out.push('', `Config that differs (${c.config.length}):`)
    for (const x of c.config) out.push(`  ${x.field}: upstream ${x.upstream}, rebuilt ${x.rebuilt}`)
  }
  if (c.sizeOnly.length) out.push('', `Compared by size only (larger than the hashing bound): ${c.sizeOnly.join(', ')}`)
  if (c.timestampOnly.count || c.buildTime.length) {
    out.push('', 'Build-time differences only (not counted):')
    if (c.timestampOnly.count) out.push(`  ${c.timestampOnly.count} path(s) differ only in mtime, e.g. ${c.timestampOnly.sample.slice(0, 5).map((s) => s.path).join(', ')}`)
    for (const x of c.buildTime) out.push(`  ${x.field}: upstream ${x.upstream}, rebuilt ${x.rebuilt}`)
  }
  // Paths and config values of two images: each line escaped, so a file name cannot forge or erase lines.
  return `${out.map(escapeControl).join('\n')}\n`
}
