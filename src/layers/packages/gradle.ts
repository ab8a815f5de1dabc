import type {LayerRecords, PackageSource, RecordSink} from './source.js'

/**
 * Gradle's dependency cache: `caches/modules-2/files-2.1/<group>/<artifact>/<version>/<sha1>/<file>`. The directory
 * name is the file's sha1, written as a number (so without leading zeros): the path itself is the record.
 */
const FILE = /\/caches\/modules-2\/files-2\.1\/([^/]+)\/([^/]+)\/([^/]+)\/([0-9a-f]{1,40})\/[^/]+$/

class GradleLayer implements LayerRecords {
  add(): void {}

  resolve(paths: ReadonlySet<string>, sink: RecordSink): void {
    for (const path of paths) {
      if (!path.includes('/files-2.1/')) continue
      const m = FILE.exec(path)
      if (!m) continue
      const [, group = '', artifact = '', version = '', sha1 = ''] = m
      const hash = {algo: 'sha1' as const, hex: sha1.padStart(40, '0')}
      sink.record(path, {manager: 'gradle', name: `${group}:${artifact}`, version, hash})
    }
  }
}

export const gradle: PackageSource = {
  // The path is the record: nothing to read.
  names: {},
  bound: () => 0,
  layer: () => new GradleLayer(),
}
