import {posix} from 'node:path'
import {withVersion, type LayerRecords, type PackageSource, type RecordSink} from './source.js'

const MANIFEST = /\/node_modules\/((?:@[^/]+\/)?[^/@][^/]*)\/package\.json$/
const MAX_PACKAGES = 200_000

/** npm ownership is by directory: `<dir>/node_modules/<name>` -> name and version, parsed as read (many, small). */
class NpmLayer implements LayerRecords {
  private readonly dirs = new Map<string, {name: string; version?: string}>()

  add(path: string, buf: Buffer): void {
    const m = MANIFEST.exec(path)
    if (!m || this.dirs.size >= MAX_PACKAGES) return
    try {
      const j = JSON.parse(buf.toString('utf8')) as {name?: unknown; version?: unknown}
      const name = typeof j.name === 'string' && j.name ? j.name : (m[1] ?? '')
      this.dirs.set(posix.dirname(path), {name, ...withVersion(typeof j.version === 'string' ? j.version : undefined)})
    } catch {
      // Not a package manifest after all (a fixture, a template): it owns nothing.
    }
  }

  resolve(paths: ReadonlySet<string>, sink: RecordSink): void {
    if (this.dirs.size === 0) return
    for (const path of paths) {
      const own = this.owner(path)
      if (own) sink.owner(path, {manager: 'npm', ...own})
    }
  }

  /** The innermost `node_modules/<name>` (or `@scope/name`) directory above the path, if its manifest was seen. */
  private owner(path: string): {name: string; version?: string} | undefined {
    const k = path.lastIndexOf('/node_modules/')
    if (k === -1) return undefined
    const rest = path.slice(k + '/node_modules/'.length).split('/')
    const depth = rest[0]?.startsWith('@') ? 2 : 1
    if (rest.length <= depth) return undefined
    return this.dirs.get(`${path.slice(0, k)}/node_modules/${rest.slice(0, depth).join('/')}`)
  }
}

/** npm: `node_modules/<pkg>/package.json` owns its directory; there is no per-file hash on disk. */
export const npm: PackageSource = {
  names: {suffixes: ['/package.json']},
  bound: (path) => (path.endsWith('/package.json') && MANIFEST.test(path) ? 64 * 1024 : 0),
  layer: () => new NpmLayer(),
}
