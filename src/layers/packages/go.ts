import type {LayerRecords, PackageSource, RecordSink} from './source.js'

/** `<GOMODCACHE>/cache/download/<module>/@v/<version>.ziphash`: written by `go mod download` with the module. */
const ZIPHASH = /^(.*)\/cache\/download\/(.+)\/@v\/([^/]+)\.ziphash$/
const MAX_MODULES = 100_000

/** The module cache spells an upper-case letter as `!` and its lower case, for case-insensitive file systems. */
function unescape(s: string): string {
  return s.replace(/!([a-z])/g, (_m, c: string) => c.toUpperCase())
}

/**
 * The Go module cache: `<GOMODCACHE>/<module>@<version>/**` is that module's, when the same layer holds its
 * `.ziphash`. Ownership only: the h1: hash is of the whole module zip, which no single file can be checked against.
 */
class GoLayer implements LayerRecords {
  private readonly modules = new Map<string, {name: string; version: string}>()

  add(path: string, buf: Buffer): void {
    const m = ZIPHASH.exec(path)
    if (!m || this.modules.size >= MAX_MODULES || !buf.toString('latin1', 0, 3).startsWith('h1:')) return
    const [, root = '', mod = '', version = ''] = m
    this.modules.set(`${root}/${mod}@${version}`, {name: unescape(mod), version: unescape(version)})
  }

  resolve(paths: ReadonlySet<string>, sink: RecordSink): void {
    if (this.modules.size === 0) return
    for (const path of paths) {
      // The module directory ends at the first `/` after an `@`; nested modules have directories of their own.
      for (let at = path.indexOf('@'); at !== -1; at = path.indexOf('@', at + 1)) {
        const end = path.indexOf('/', at)
        const own = end === -1 ? undefined : this.modules.get(path.slice(0, end))
        if (own) {
          sink.owner(path, {manager: 'go', ...own})
          break
        }
      }
    }
  }
}

export const go: PackageSource = {
  names: {suffixes: ['.ziphash']},
  bound: (path) => (path.endsWith('.ziphash') && ZIPHASH.test(path) ? 4096 : 0),
  layer: () => new GoLayer(),
}
