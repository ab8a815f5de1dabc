import type {FinalView} from '../checks/check.js'
import type {PlacedSighting} from '../checks/secrets/key-pairs.js'
import type {Finding, LayerRef} from '../findings/finding.js'
import type {WalkEntry} from './entry.js'
import type {LayerScan} from './scan-layer.js'

export interface Merged {
  view: FinalView
  findings: Finding[]
  /** Every layer's key sightings, with the layer that deleted or replaced the file, as for findings. */
  keySightings: PlacedSighting[]
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/')
  return i <= 0 ? '/' : path.slice(0, i)
}

/**
 * The layer file a finding's path belongs to: an archive member (`/app/x.jar!/a.properties`) lives and dies with
 * its archive. A real path may contain `!/` too (a directory named `x!`): the layer's own entries say which it is.
 */
function archiveFileOf(scans: readonly LayerScan[]): (layer: number, path: string) => string {
  const real = new Map<number, Set<string>>()
  return (i, path) => {
    const k = path.indexOf('!/')
    if (k === -1) return path
    let paths = real.get(i)
    if (!paths) real.set(i, (paths = new Set((scans[i]?.entries ?? []).map((e) => e[0]))))
    return paths.has(path) ? path : path.slice(0, k)
  }
}

/**
 * Replay the layers' records in order to get the final filesystem and, for every finding, the layer that later
 * deleted (whiteout) or replaced its file. Whiteouts apply before the same layer's own entries, opaque first, as
 * the OCI spec says, whatever their order in the tar.
 */
export function mergeLayers(scans: readonly LayerScan[]): Merged {
  // Path -> its entry in the final view; an entry's layer says which layer's file it is.
  const live = new Map<string, WalkEntry>()
  const watched = new Map<string, number | null>()
  const fileOf = archiveFileOf(scans)
  for (const [i, s] of scans.entries()) {
    for (const f of s.findings) watched.set(`${i}\0${fileOf(i, f.path)}`, null)
    for (const k of s.keySightings ?? []) watched.set(`${i}\0${fileOf(i, k.path)}`, null)
  }
  // One reference per layer, shared by its entries: a layer of 100k files needs one, not 100k.
  const refs: LayerRef[] = scans.map((s, i) => ({index: i, digest: s.digest ?? ''}))
  const refOf = (i: number): LayerRef => refs[i] ?? {index: i, digest: ''}

  // Each path is listed under every ancestor (live or not: tars often omit directories), so a whiteout removes a tree
  // by visiting that tree only; scanning every live path per whiteout let a hostile layer make this quadratic.
  // Built on the first removal that needs it, from the paths live then: most images (one layer, no whiteouts, no
  // directory replaced by a file) never need it, and building it cost a layer of 100k files a tenth of a second.
  let children: Map<string, Set<string>> | null = null
  const register = (path: string) => {
    if (!children) return
    for (let p = path; p !== '/'; ) {
      const parent = parentOf(p)
      let set = children.get(parent)
      if (!set) children.set(parent, (set = new Set()))
      if (set.has(p)) break
      set.add(p)
      p = parent
    }
  }
  const remove = (path: string, by: number) => {
    const l = live.get(path)
    if (!l) return
    live.delete(path)
    const key = `${l.layer.index}\0${path}`
    if (watched.get(key) === null) watched.set(key, by)
  }
  const removeTree = (path: string, by: number, keepRoot: boolean) => {
    if (!children) {
      children = new Map()
      for (const p of live.keys()) register(p)
    }
    const tree = children
    const l = live.get(path)
    if (!keepRoot) remove(path, by)
    if (l && l.type !== 'directory' && !keepRoot) return
    const stack = [path]
    for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
      const kids = tree.get(d)
      if (!kids) continue
      tree.delete(d)
      for (const c of kids) {
        remove(c, by)
        stack.push(c)
      }
    }
  }

  for (const [i, s] of scans.entries()) {
    for (const w of s.whiteouts) if (w.opaque) removeTree(w.path, i, true)
    for (const w of s.whiteouts) if (!w.opaque) removeTree(w.path, i, false)
    for (const [path, type, mode, uid, gid, size, linkname] of s.entries) {
      const prev = live.get(path)
      if (prev && prev.type === 'directory' && type !== 'directory') removeTree(path, i, false)
      else if (prev && (type !== 'directory' || prev.type !== 'directory')) remove(path, i)
      const entry: WalkEntry = {path, type, mode, uid, gid, size, layer: refOf(i)}
      if (linkname !== undefined) entry.linkname = linkname
      live.set(path, entry)
      register(path)
    }
  }

  // The kept files (a few config files per layer) of the layers whose copy is the final one.
  const files = new Map<string, Buffer>()
  for (const [i, s] of scans.entries()) {
    for (const [path, kept] of Object.entries(s.kept)) {
      if (live.get(path)?.layer.index === i) files.set(path, Buffer.from(kept, 'base64'))
    }
  }

  // Findings and key sightings are placed alike: the layer that holds the file, and the later one that deleted it.
  const placed = (i: number, path: string) => {
    const by = watched.get(`${i}\0${fileOf(i, path)}`)
    return {layer: refOf(i), removedIn: by === null || by === undefined ? null : refOf(by)}
  }
  const findings: Finding[] = scans.flatMap((s, i) => s.findings.map((f) => ({...f, ...placed(i, f.path)})))
  const keySightings: PlacedSighting[] = scans.flatMap((s, i) => (s.keySightings ?? []).map((k) => ({...k, ...placed(i, k.path)})))
  return {view: {entries: live, files}, findings, keySightings}
}
