import {Readable} from 'node:stream'
import {mapLimit} from '../concurrency.js'
import type {Descriptor} from '../image/types.js'
import type {RegistryClient} from '../registry/client.js'
import {MissingChild, pushBlob, putManifest, referrerDescriptor, updateFallbackIndex,
  type BlobOutcome} from '../registry/push.js'
import type {Closure, ManifestNode} from './closure.js'
import type {LegacyMerge} from './legacy-merge.js'
import type {Destination, Plan} from './plan.js'
import type {BlobProofs} from './prove.js'

export interface CopyResult {
  blobs: Record<BlobOutcome, number>
  bytesSent: number
  manifests: number
  tags: number
  /** Blobs uploaded again because the destination refused a manifest naming them (a HEAD or a mount that lied). */
  repaired: number
  /** Referrers tags whose entries a racing writer kept removing: the destination cannot be shown to list them. */
  lostReferrers: string[]
  /** The destination answered OCI-Subject: it indexes referrers itself. */
  subjectIndexed: number
  /** Legacy tags merged (--on-legacy-conflict merge): the digest each names now, and before. */
  merged: Array<{tag: string; digest: string; previous: string}>
}

interface CopyOptions {
  jobs: number
  chunkSize?: number
  onProgress?: (done: number, total: number) => void
  /** Read each blob back from the destination as soon as it is there, while the others are still being sent. */
  proofs?: BlobProofs
  merges?: ReadonlyMap<string, LegacyMerge>
}

interface Source {
  client: RegistryClient
  repository: string
}

/**
 * Write what the plan says, bytes as they are, in the order the destination can accept them: blobs, then each
 * manifest after the manifests it lists (a subject before its referrers), then legacy tags, then the referrers
 * fallback tags. The destination tag is not touched here: it moves only after the copy is proven.
 */
export async function copyClosure(closure: Closure, plan: Plan, src: Source, dst: Destination,
  opts: CopyOptions): Promise<CopyResult> {
  const r: CopyResult = {blobs: {present: 0, mounted: 0, uploaded: 0}, bytesSent: 0, manifests: 0, tags: 0,
    repaired: 0, lostReferrers: [], subjectIndexed: 0, merged: []}
  const act = new Map(plan.items.filter((i) => i.kind === 'blob' || i.kind === 'manifest')
    .map((i) => [`${i.kind} ${i.digest}`, i.action]))
  const todo = closure.blobs.filter((b) => {
    const a = act.get(`blob ${b.desc.digest}`)
    return a === 'copy' || a === 'mount'
  })
  let done = 0
  const sendBlob = async (desc: Descriptor, mount: boolean, noHead: boolean) => {
    const outcome = await pushBlob(dst.client, dst.repository, desc, {
      open: () => src.client.openBlob(src.repository, desc), mountFrom: mount ? src.repository : undefined,
        chunkSize: opts.chunkSize, noHead,
    })
    r.blobs[outcome]++
    if (outcome === 'uploaded') r.bytesSent += desc.size
  }
  await mapLimit(todo, opts.jobs, async (b) => {
    // The plan's HEAD said absent a moment ago; asking again would double the requests of a first copy.
    await sendBlob(b.desc, act.get(`blob ${b.desc.digest}`) === 'mount', true)
    opts.onProgress?.(++done, todo.length)
    await opts.proofs?.prove(b.desc)
  })
  const byDigest = new Map(closure.manifests.map((m) => [m.digest, m]))
  const written = new Set<string>()
  const put = async (m: ManifestNode): Promise<void> => {
    if (written.has(m.digest)) return
    written.add(m.digest)
    for (const child of m.contains) {
      const c = byDigest.get(child)
      if (c) await put(c)
    }
    if (act.get(`manifest ${m.digest}`) !== 'copy') return
    try {
      const res = await putManifest(dst.client, dst.repository, m.digest, m.raw)
      if (res.subject) r.subjectIndexed++
    } catch (e) {
      if (!(e instanceof MissingChild)) throw e
      // Something said "present" that was not: upload this manifest's blobs without asking, then once more.
      await mapLimit(m.blobs, opts.jobs, (d) => {
        opts.proofs?.forget(d.digest)
        return sendBlob(d, false, true)
      })
      r.repaired += m.blobs.length
      await putManifest(dst.client, dst.repository, m.digest, m.raw)
    }
    r.manifests++
  }
  for (const m of closure.manifests) await put(m)
  for (const t of plan.items.filter((i) => i.kind === 'legacy-tag' && (i.action === 'copy' || i.action === 'move'))) {
    const m = byDigest.get(t.digest)
    if (!m || !t.tag) continue
    await putManifest(dst.client, dst.repository, t.tag, m.raw)
    r.tags++
  }
  for (const t of plan.items.filter((i) => i.kind === 'legacy-tag' && i.action === 'merge')) {
    const merge = t.tag ? opts.merges?.get(t.tag) : undefined
    if (!merge?.write) continue
    const {config, raw} = merge.write
    // Its layers are the closure's and the destination's, already there; only the new config is not.
    await pushBlob(dst.client, dst.repository, config.desc, {open: async () => Readable.from([config.bytes])})
    await putManifest(dst.client, dst.repository, merge.tag, raw)
    r.tags++
    r.merged.push({tag: merge.tag, digest: merge.digest, previous: merge.previous})
  }
  for (const f of closure.fallbacks) {
    const item = plan.items.find((i) => i.kind === 'fallback-tag' && i.tag === f.tag)
    if (!item || (item.action !== 'copy' && item.action !== 'update')) continue
    const ours = f.entries.map((d) => {
      const m = byDigest.get(d.digest)
      return m ? referrerDescriptor(m.raw) : d
    })
    const up = await updateFallbackIndex(dst.client, dst.repository, f.subject, ours, f.verbatim ? f.raw : undefined)
    r.tags += up.puts
    if (!up.complete) r.lostReferrers.push(f.tag)
  }
  return r
}
