import type {LayerRecords, PackageRecord, PackageSource, RecordSink} from './source.js'

/**
 * A checksum file the Maven resolver saves beside what it downloaded:
 * `<repo>/repository/<group path>/<artifact>/<version>/<artifact>-<version>[-<classifier>].<ext>.sha1`.
 */
const SUM = /^(.*\/repository)\/(.+)\/([^/]+)\/([^/]+)\/([^/]+)\.(sha1|sha256|md5)$/
const HEX: Record<string, number> = {sha1: 40, sha256: 64, md5: 32}
const MAX_ARTIFACTS = 100_000

/**
 * Maven's local repository: the checksum sibling is a real per-file hash, so a matching artifact is vouched for.
 * The sibling must be in the same layer, as the resolver writes both.
 */
class MavenLayer implements LayerRecords {
  private readonly files = new Map<string, PackageRecord>()

  add(path: string, buf: Buffer): void {
    const m = SUM.exec(path)
    if (!m || this.files.size >= MAX_ARTIFACTS) return
    const [, , group = '', artifact = '', version = '', file = '', algo = ''] = m
    if (!file.startsWith(`${artifact}-${version}`)) return
    // Either the bare hex or `hex  file name`, as sha1sum writes it.
    const hex = /^\s*([0-9a-fA-F]+)(?:\s|$)/.exec(buf.toString('latin1'))?.[1]?.toLowerCase()
    if (!hex || hex.length !== HEX[algo]) return
    const target = path.slice(0, path.length - algo.length - 1)
    const have = this.files.get(target)
    // sha256 over sha1 over md5: the strongest hash the resolver left wins.
    if (have?.hash && (HEX[have.hash.algo] ?? 0) >= (HEX[algo] ?? 0)) return
    const name = `${group.replace(/\//g, '.')}:${artifact}`
    this.files.set(target, {manager: 'maven', name, version, hash: {algo: algo as 'sha1', hex}})
  }

  resolve(paths: ReadonlySet<string>, sink: RecordSink): void {
    if (this.files.size === 0) return
    for (const path of paths) {
      const r = this.files.get(path)
      if (r) sink.record(path, {...r})
    }
  }
}

export const maven: PackageSource = {
  names: {suffixes: ['.sha1', '.sha256', '.md5']},
  bound: (path) => ((path.endsWith('.sha1') || path.endsWith('.sha256') || path.endsWith('.md5')) && SUM.test(path) ? 1024 : 0),
  layer: () => new MavenLayer(),
}
