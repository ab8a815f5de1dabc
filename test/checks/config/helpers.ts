import type {FinalView} from '../../../src/checks/check.js'
import type {ImageCheckContext} from '../../../src/checks/config/types.js'
import type {ContainerConfig} from '../../../src/image/types.js'
import type {EntryType, WalkEntry} from '../../../src/layers/entry.js'
import type {ScopeRequirements} from '../../../src/policy/types.js'

export const NOW = new Date('2026-06-01T00:00:00Z')

export function entry(path: string, type: EntryType, mode: number, layer = 0): WalkEntry {
  return {path, type, mode, uid: 0, gid: 0, size: 0, layer: {index: layer, digest: `sha256:${String(layer).repeat(64)}`}}
}

export function view(entries: WalkEntry[] = [], files: Record<string, string> = {}): FinalView {
  return {
    entries: new Map(entries.map((e) => [e.path, e])),
    files: new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)])),
  }
}

export const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\napp:x:1000:1000::/home/app:/bin/sh\n'
export const GROUP = 'root:x:0:\napp:x:1000:\n'

export function ctx(
  config: ContainerConfig,
  opts: {view?: FinalView; requirements?: ScopeRequirements; created?: string; annotations?: Record<string, string>} = {},
): ImageCheckContext {
  return {
    config: {config, created: opts.created},
    view: opts.view ?? view([], {'/etc/passwd': PASSWD, '/etc/group': GROUP}),
    requirements: opts.requirements ?? {},
    now: NOW,
    annotations: opts.annotations,
  }
}
