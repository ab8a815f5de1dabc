import {MAX_DB_FILE, withVersion, type LayerRecords, type PackageSource, type RecordSink} from './source.js'

const INFO = /^\/var\/lib\/dpkg\/info\/([^/]+)\.(md5sums|list)$/
const STATUS_D = /^\/var\/lib\/dpkg\/status\.d\/([^/]+?)(\.md5sums)?$/

/** The package name of a dpkg info file (`libc6:amd64` names `libc6`). */
function dpkgName(file: string): string {
  return file.split(':')[0] ?? file
}

/**
 * dpkg: `status` (versions, and the conffiles' md5s, which dpkg keeps there and not in *.md5sums), `info/*.md5sums`,
 * `info/*.list` (owned, no hash) and distroless `status.d/` (a status stanza and its md5sums per package).
 */
class DpkgLayer implements LayerRecords {
  private readonly raw = new Map<string, string>()

  add(path: string, buf: Buffer, keep: (n: number) => boolean): void {
    if (keep(buf.length)) this.raw.set(path, buf.toString('utf8'))
  }

  resolve(paths: ReadonlySet<string>, sink: RecordSink): void {
    const versions = new Map<string, string>()
    const owned: Array<[path: string, name: string, md5?: string]> = []
    const set = (path: string, name: string, md5?: string) => {
      if (paths.has(path)) owned.push(md5 ? [path, name, md5] : [path, name])
    }
    for (const [file, text] of this.raw) {
      if (file === '/var/lib/dpkg/status') status(text, versions, set)
      else {
        const info = INFO.exec(file)
        const d = STATUS_D.exec(file)
        if (info?.[2] === 'md5sums' || d?.[2]) md5sums(dpkgName((info ?? d)?.[1] ?? ''), text, set)
        else if (info?.[2] === 'list') list(dpkgName(info[1] ?? ''), text, set)
        else if (d) status(text, versions, set)
      }
    }
    // Versions come from the status stanzas, which may be read after the md5sums that need them.
    for (const [path, name, md5] of owned) {
      const hash = md5 ? {hash: {algo: 'md5' as const, hex: md5}} : {}
      sink.record(path, {manager: 'dpkg', name, ...withVersion(versions.get(name)), ...hash})
    }
  }
}

type Set = (path: string, name: string, md5?: string) => void

function md5sums(name: string, text: string, set: Set): void {
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{32}) +(.+)$/.exec(line)
    if (m?.[1] && m[2]) set(`/${m[2].replace(/^\/+/, '')}`, name, m[1])
  }
}

function list(name: string, text: string, set: Set): void {
  for (const line of text.split('\n')) if (line.startsWith('/')) set(line, name)
}

function status(text: string, versions: Map<string, string>, set: Set): void {
  for (const stanza of text.split(/\n\s*\n/)) {
    const name = /^Package: *(\S+)/m.exec(stanza)?.[1]
    if (!name) continue
    const version = /^Version: *(\S+)/m.exec(stanza)?.[1]
    if (version) versions.set(name, version)
    const conf = /(?:^|\n)Conffiles:\n((?: [^\n]*(?:\n|$))*)/.exec(stanza)?.[1] ?? ''
    for (const line of conf.split('\n')) {
      const m = /^ (\/\S+) ([0-9a-f]{32})(?: |$)/.exec(line)
      if (m?.[1] && m[2]) set(m[1], name, m[2])
    }
  }
}

export const dpkg: PackageSource = {
  names: {prefixes: ['/var/lib/dpkg/']},
  bound(path) {
    if (!path.startsWith('/var/lib/dpkg/')) return 0
    return path === '/var/lib/dpkg/status' || INFO.test(path) || STATUS_D.test(path) ? MAX_DB_FILE : 0
  },
  layer: () => new DpkgLayer(),
}
