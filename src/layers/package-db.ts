import {createHash} from 'node:crypto'
import {posix} from 'node:path'
import type {PackageManager} from '../findings/origin.js'

/** A package record for one path, as the layer that holds both wrote it; `hash` is hex (md5, sha1 or sha256). */
interface PackageRecord {
  manager: PackageManager
  name: string
  version?: string
  hash?: {algo: 'md5' | 'sha1' | 'sha256'; hex: string}
}

export interface FileHashes {
  md5: string
  sha1: string
  sha256: string
}

/**
 * What a layer keeps for origin: the hashes of its files that have findings (null: too large to hash in the read),
 * and the package records of that same layer for those paths only, so the cached result stays small.
 */
export interface LayerOrigins {
  hashes: Record<string, FileHashes | null>
  records: Record<string, PackageRecord>
}

/** A database file larger than this is not read for origin (its files then count as not owned). */
const MAX_DB_FILE = 16 * 1024 * 1024
/** Raw database text kept per layer while it is walked; past it, later databases are dropped (files stay unowned). */
const MAX_DB_BYTES = 32 * 1024 * 1024
const MAX_NPM_PACKAGES = 200_000
const MAX_NAME = 128

const DPKG_INFO = /^\/var\/lib\/dpkg\/info\/([^/]+)\.(md5sums|list)$/
const DPKG_STATUS_D = /^\/var\/lib\/dpkg\/status\.d\/([^/]+?)(\.md5sums)?$/
const RECORD = /\/[^/]+\.dist-info\/RECORD$/
const NPM = /\/node_modules\/((?:@[^/]+\/)?[^/@][^/]*)\/package\.json$/

/** How many bytes of this path the walk reads for origin; 0 when it is no package database. */
export function packageDbBound(path: string): number {
  // Called for every file of every layer: the suffix and prefix tests keep the regexes off the common case.
  if (!path.startsWith('/var/lib/dpkg/') && !path.endsWith('/RECORD') && !path.endsWith('/package.json')) {
    return path === '/lib/apk/db/installed' ? MAX_DB_FILE : 0
  }
  if (path === '/var/lib/dpkg/status' || path === '/lib/apk/db/installed' || DPKG_INFO.test(path)) return MAX_DB_FILE
  if (DPKG_STATUS_D.test(path) || RECORD.test(path)) return MAX_DB_FILE
  if (NPM.test(path)) return 64 * 1024
  return 0
}

export function hashesOf(buf: Buffer): FileHashes {
  const h = (a: string) => createHash(a).update(buf).digest('hex')
  return {md5: h('md5'), sha1: h('sha1'), sha256: h('sha256')}
}

/** The package name of a dpkg info file (`libc6:amd64` names `libc6`). */
function dpkgName(file: string): string {
  return file.split(':')[0] ?? file
}

function b64hex(s: string): string | undefined {
  const hex = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('hex')
  return hex.length > 0 ? hex : undefined
}

/** Minimal CSV: RECORD quotes a path only when it holds a comma or a quote. */
function csvFields(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (c === '"') quoted = false
      else cur += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      out.push(cur)
      cur = ''
    }
    else cur += c
  }
  out.push(cur)
  return out
}

/** Per layer: the raw databases seen in the walk (bounded), resolved at the layer's end for paths with findings. */
export class PackageDbs {
  private readonly raw = new Map<string, string>()
  private rawBytes = 0
  /** npm ownership is by directory: `<dir>/node_modules/<name>` -> name and version, parsed as read (many, small). */
  private readonly npm = new Map<string, {name: string; version?: string}>()

  add(path: string, buf: Buffer): void {
    const m = NPM.exec(path)
    if (m) {
      if (this.npm.size >= MAX_NPM_PACKAGES) return
      try {
        const j = JSON.parse(buf.toString('utf8')) as {name?: unknown; version?: unknown}
        const name = typeof j.name === 'string' && j.name ? j.name : (m[1] ?? '')
        this.npm.set(posix.dirname(path), {name, ...(typeof j.version === 'string' ? {version: j.version} : {})})
      } catch {
        // Not a package manifest after all (a fixture, a template): it owns nothing.
      }
      return
    }
    if (this.rawBytes + buf.length > MAX_DB_BYTES) return
    this.rawBytes += buf.length
    this.raw.set(path, buf.toString('utf8'))
  }

  /** The records of this layer for `paths` only. */
  resolve(paths: ReadonlySet<string>): Record<string, PackageRecord> {
    const out: Record<string, PackageRecord> = {}
    if (paths.size === 0) return out
    const set = (path: string, r: PackageRecord) => {
      if (paths.has(path) && !(path in out && out[path]?.hash)) out[path] = r
    }
    const versions = new Map<string, string>()
    for (const [file, text] of this.raw) {
      if (file === '/var/lib/dpkg/status') this.dpkgStatus(text, versions, set)
      else if (file === '/lib/apk/db/installed') this.apk(text, set)
      else if (RECORD.test(file)) this.record(file, text, set)
      else {
        const info = DPKG_INFO.exec(file)
        const d = DPKG_STATUS_D.exec(file)
        if (info?.[2] === 'md5sums' || d?.[2]) this.md5sums(dpkgName((info ?? d)?.[1] ?? ''), text, set)
        else if (info?.[2] === 'list') this.list(dpkgName(info[1] ?? ''), text, set)
        else if (d) this.dpkgStatus(text, versions, set)
      }
    }
    for (const path of paths) {
      const own = this.npmOwner(path)
      if (own && !out[path]) out[path] = {manager: 'npm', ...own}
    }
    for (const r of Object.values(out)) {
      const v = r.version ?? (r.manager === 'dpkg' ? versions.get(r.name) : undefined)
      // Names end up in notes and reports: a hostile database gets a bounded line, not a megabyte.
      r.name = r.name.slice(0, MAX_NAME)
      if (v) r.version = v.slice(0, MAX_NAME)
    }
    return out
  }

  private md5sums(name: string, text: string, set: (p: string, r: PackageRecord) => void): void {
    for (const line of text.split('\n')) {
      const m = /^([0-9a-f]{32}) +(.+)$/.exec(line)
      if (m?.[1] && m[2]) set(`/${m[2].replace(/^\/+/, '')}`, {manager: 'dpkg', name, hash: {algo: 'md5', hex: m[1]}})
    }
  }

  private list(name: string, text: string, set: (p: string, r: PackageRecord) => void): void {
    for (const line of text.split('\n')) if (line.startsWith('/')) set(line, {manager: 'dpkg', name})
  }

  /** Versions of every package, and the conffiles' md5s (dpkg keeps them here, not in *.md5sums). */
  private dpkgStatus(text: string, versions: Map<string, string>, set: (p: string, r: PackageRecord) => void): void {
    for (const stanza of text.split(/\n\s*\n/)) {
      const name = /^Package: *(\S+)/m.exec(stanza)?.[1]
      if (!name) continue
      const version = /^Version: *(\S+)/m.exec(stanza)?.[1]
      if (version) versions.set(name, version)
      const conf = /(?:^|\n)Conffiles:\n((?: [^\n]*(?:\n|$))*)/.exec(stanza)?.[1] ?? ''
      for (const line of conf.split('\n')) {
        const m = /^ (\/\S+) ([0-9a-f]{32})(?: |$)/.exec(line)
        const hash = {algo: 'md5' as const, hex: m?.[2] ?? ''}
        if (m?.[1] && m[2]) set(m[1], {manager: 'dpkg', name, ...(version ? {version} : {}), hash})
      }
    }
  }

  /** `P:` name, `V:` version, `F:` directory, `R:` file, `Z:` its checksum (Q1 + base64 sha1; Q2: sha256). */
  private apk(text: string, set: (p: string, r: PackageRecord) => void): void {
    let name = ''
    let version: string | undefined
    let dir = ''
    let file: string | null = null
    const flush = (z?: string) => {
      if (file === null) return
      const path = `/${dir ? `${dir}/` : ''}${file}`
      const algo = z?.startsWith('Q1') ? 'sha1' : z?.startsWith('Q2') ? 'sha256' : null
      const hex = algo && z ? b64hex(z.slice(2)) : undefined
      set(path, {manager: 'apk', name, ...(version ? {version} : {}), ...(algo && hex ? {hash: {algo, hex}} : {})})
      file = null
    }
    for (const line of text.split('\n')) {
      const k = line.slice(0, 2)
      const v = line.slice(2)
      if (k === 'Z:') flush(v)
      else if (k === 'R:') {
        flush()
        file = v
      } else if (k === 'F:') {
        flush()
        dir = v
      } else if (k === 'P:') {
        flush()
        name = v
        version = undefined
        dir = ''
      } else if (k === 'V:') version = v
      else if (line === '') {
        flush()
        dir = ''
      }
    }
    flush()
  }

  /** RECORD paths are relative to the directory holding the dist-info; the hash is `sha256=` urlsafe base64. */
  private record(file: string, text: string, set: (p: string, r: PackageRecord) => void): void {
    const distInfo = posix.basename(posix.dirname(file)).replace(/\.dist-info$/, '')
    const dash = distInfo.indexOf('-')
    const name = dash > 0 ? distInfo.slice(0, dash) : distInfo
    const version = dash > 0 ? distInfo.slice(dash + 1) : undefined
    const base = posix.dirname(posix.dirname(file))
    for (const line of text.split(/\r?\n/)) {
      if (!line) continue
      const [p, h] = csvFields(line)
      if (!p) continue
      const path = posix.normalize(p.startsWith('/') ? p : posix.join(base, p))
      const hex = h?.startsWith('sha256=') ? b64hex(h.slice(7)) : undefined
      set(path, {manager: 'python', name, ...(version ? {version} : {}), ...(hex ? {hash: {algo: 'sha256', hex}} : {})})
    }
  }

  /** The innermost `node_modules/<name>` (or `@scope/name`) directory above the path, if its manifest was seen. */
  private npmOwner(path: string): {name: string; version?: string} | undefined {
    const k = path.lastIndexOf('/node_modules/')
    if (k === -1) return undefined
    const rest = path.slice(k + '/node_modules/'.length).split('/')
    const depth = rest[0]?.startsWith('@') ? 2 : 1
    if (rest.length <= depth) return undefined
    return this.npm.get(`${path.slice(0, k)}/node_modules/${rest.slice(0, depth).join('/')}`)
  }
}
