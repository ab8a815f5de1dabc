import {ImgvetError} from '../errors.js'
import type {RawManifest} from '../image/types.js'
import type {RegistryClient} from '../registry/client.js'
import {blobExists, readFallback} from '../registry/push.js'
import type {PushCheck} from './check-push.js'
import type {Closure} from './closure.js'
import {planLegacyMerge, type LegacyMerge} from './legacy-merge.js'

type Action = 'present' | 'mount' | 'copy' | 'update' | 'move' | 'merge' | 'conflict' | 'skip'

interface PlanItem {
  kind: 'blob' | 'manifest' | 'legacy-tag' | 'fallback-tag' | 'tag'
  role: string
  digest: string
  size?: number
  mediaType?: string
  artifactType?: string
  platform?: string
  tag?: string
  action: Action
  reason?: string
  /** --on-legacy-conflict merge: the digest the tag names after the merge. */
  merged?: string
}

export interface Plan {
  items: PlanItem[]
  /** The destination answers the OCI referrers API, so it indexes subjects itself and needs no fallback tag. */
  referrersApi: boolean
  /** The destination tag before this run: absent, already ours, or another digest. */
  tagState: {name: string; previous: string | null}
  totals: {copyBytes: number; mountBytes: number; present: number; toWrite: number; conflicts: number}
  /** --check-push: the destination opened (and cancelled) an upload session for this credential. */
  pushCheck?: PushCheck
}

export interface Destination {
  client: RegistryClient
  repository: string
  tag: string
}

interface PlanOptions {
  /** Move destination tags (and legacy tags) that name other digests. */
  force: boolean
  /** A legacy tag naming another manifest: refuse, or append our signature layers to it (cosign's way). */
  onLegacyConflict: 'fail' | 'merge'
  /** Filled with the merges planned, by tag: the copy writes them, the proof expects their digests. */
  merges: Map<string, LegacyMerge>
}

/**
 * What the destination already holds and what a copy would do, asking only HEAD and GET: one item per blob,
 * manifest and tag. A following run performs exactly these actions (a rerun finds everything present).
 */
export async function planAdoption(closure: Closure, source: {registry: string; repository: string}, dst: Destination,
  opts: PlanOptions): Promise<Plan> {
  const {force} = opts
  const {client, repository} = dst
  const items: PlanItem[] = []
  const sameRegistry = source.registry === client.registry && source.repository !== repository
  for (const b of closure.blobs) {
    const present = await blobExists(client, repository, b.desc)
    items.push({kind: 'blob', role: b.role, digest: b.desc.digest, size: b.desc.size, mediaType: b.desc.mediaType,
      action: present ? 'present' : sameRegistry ? 'mount' : 'copy'})
  }
  for (const d of closure.foreign) {
    items.push({kind: 'blob', role: 'foreign layer', digest: d.digest, size: d.size, mediaType: d.mediaType,
      action: 'skip', reason: `served from ${d.urls?.length ?? 0} URL(s); --include-foreign copies it`})
  }
  for (const m of closure.manifests) {
    const head = await client.headManifest(repository, m.digest)
    items.push({kind: 'manifest', role: m.role, digest: m.digest, size: m.raw.bytes.length, mediaType: m.raw.mediaType,
      artifactType: m.artifactType, platform: m.platform, action: head?.digest === m.digest ? 'present' : 'copy'})
  }
  const byDigest = new Map(closure.manifests.map((m) => [m.digest, m.raw]))
  for (const t of closure.legacyTags) {
    const head = await client.headManifest(repository, t.tag)
    const role = t.listed ? 'digest tag' : 'signature tag'
    const ours = byDigest.get(t.digest)
    if (head && head.digest !== t.digest && opts.onLegacyConflict === 'merge' && !t.listed && ours) {
      items.push(await mergeItem(dst, t.tag, ours, head.digest, opts.merges))
      continue
    }
    const action = !head ? 'copy' : head.digest === t.digest ? 'present' : force ? 'move' : 'conflict'
    items.push({kind: 'legacy-tag', role, digest: t.digest, tag: t.tag, action,
      reason: head && head.digest !== t.digest ? `the destination tag names ${head.digest}` : undefined})
  }
  const referrersApi = (await client.referrersApi(repository, closure.root.digest)) !== null
  for (const f of closure.fallbacks) {
    if (referrersApi) {
      items.push({kind: 'fallback-tag', role: 'referrers tag', digest: f.subject, tag: f.tag, action: 'present',
        reason: 'the destination has the referrers API'})
      continue
    }
    const found = await readFallback(client, repository, f.tag).catch((e: unknown) => {
      if (e instanceof ImgvetError && e.code === 'conflict') return 'conflict' as const
      throw e
    })
    const action = found === 'conflict' ? 'conflict' : !found ? 'copy'
      : f.entries.every((d) => found.entries.some((x) => x.digest === d.digest)) ? 'present' : 'update'
    items.push({kind: 'fallback-tag', role: 'referrers tag', digest: f.subject, tag: f.tag, action,
      reason: found === 'conflict' ? 'the tag is not an index' : action === 'update' ? `merged with the ${found?.entries.length ?? 0} entries there` : undefined})
  }
  const head = await client.headManifest(repository, dst.tag)
  const root = closure.root.digest
  const tagAction = !head ? 'move' : head.digest === root ? 'present' : force ? 'move' : 'conflict'
  items.push({kind: 'tag', role: 'tag', digest: root, tag: dst.tag, action: tagAction,
    reason: head && head.digest !== root ? `the destination tag names ${head.digest}` : undefined})
  const sum = (a: Action) => items.filter((i) => i.action === a && i.kind === 'blob')
    .reduce((n, i) => n + (i.size ?? 0), 0)
  return {
    items,
    referrersApi,
    tagState: {name: dst.tag, previous: head?.digest ?? null},
    totals: {
      copyBytes: sum('copy'),
      mountBytes: sum('mount'),
      present: items.filter((i) => i.action === 'present').length,
      toWrite: items.filter((i) => i.action !== 'present' && i.action !== 'conflict' && i.action !== 'skip').length,
      conflicts: items.filter((i) => i.action === 'conflict').length,
    },
  }
}

/** A legacy tag at the destination that names another signature image: our layers appended to it, or a conflict. */
async function mergeItem(dst: Destination, tag: string, ours: RawManifest, at: string,
  merges: Map<string, LegacyMerge>): Promise<PlanItem> {
  const item = {kind: 'legacy-tag', role: 'signature tag', digest: ours.digest, tag} as const
  try {
    const m = await planLegacyMerge(dst.client, dst.repository, tag, ours, at)
    merges.set(tag, m)
    if (!m.write) {
      return {...item, action: 'present', merged: m.digest,
        reason: `merged before: the destination's ${at} holds all ${m.kept} layer(s)`}
    }
    return {...item, action: 'merge', merged: m.digest,
      reason: `${m.added} layer(s) appended to the ${m.kept} of ${at} -> ${m.digest}`}
  } catch (e) {
    if (!(e instanceof ImgvetError && e.code === 'conflict')) throw e
    return {...item, action: 'conflict', reason: `the destination tag names ${at}: ${e.message}`}
  }
}
