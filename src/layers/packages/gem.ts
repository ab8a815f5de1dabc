import {withVersion, type LayerRecords, type PackageSource, type RecordSink} from './source.js'

/** `<GEM_HOME>/specifications/<name>-<version>[-<platform>].gemspec`, as `gem install` and bundler write it. */
const SPEC = /^(.*)\/specifications\/([^/]+)\.gemspec$/
const MAX_GEMS = 50_000

/** The gemspec is Ruby; `gem install` writes `s.name = "x".freeze` and `s.version = "1.2.3"`. */
function field(text: string, key: string): string | undefined {
  return new RegExp(`^\\s*s\\.${key}\\s*=\\s*"([^"\\n]{1,200})"`, 'm').exec(text)?.[1]
}

/**
 * Ruby gems: the gemspec in `specifications/` owns `gems/<its file name>/**`. Ownership only: a gem's checksums
 * (`checksums.yaml`) stay inside the .gem and are not on disk, so no installed file can be vouched for.
 */
class GemLayer implements LayerRecords {
  private readonly gems = new Map<string, {name: string; version?: string}>()

  add(path: string, buf: Buffer): void {
    const m = SPEC.exec(path)
    if (!m || this.gems.size >= MAX_GEMS) return
    const [, home = '', full = ''] = m
    const text = buf.toString('utf8')
    // The file name says `<name>-<version>`; the name may hold dashes, the version starts at the first `-<digit>`.
    const split = /^(.+?)-(\d[^-]*)(?:-.+)?$/.exec(full)
    const name = field(text, 'name') ?? split?.[1] ?? full
    this.gems.set(`${home}/gems/${full}`, {name, ...withVersion(field(text, 'version') ?? split?.[2])})
  }

  resolve(paths: ReadonlySet<string>, sink: RecordSink): void {
    if (this.gems.size === 0) return
    for (const path of paths) {
      // Innermost first: a gem may vendor a directory that is itself called gems/.
      for (let k = path.lastIndexOf('/gems/'); k !== -1; k = k > 0 ? path.lastIndexOf('/gems/', k - 1) : -1) {
        const end = path.indexOf('/', k + '/gems/'.length)
        const own = end === -1 ? undefined : this.gems.get(path.slice(0, end))
        if (own) {
          sink.owner(path, {manager: 'gem', ...own})
          break
        }
      }
    }
  }
}

export const gem: PackageSource = {
  names: {suffixes: ['.gemspec']},
  bound: (path) => (path.endsWith('.gemspec') && SPEC.test(path) ? 256 * 1024 : 0),
  layer: () => new GemLayer(),
}
