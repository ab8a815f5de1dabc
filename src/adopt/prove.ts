import {mapLimit} from '../concurrency.js'
import {ImgvetError} from '../errors.js'
import type {Image} from '../image/image.js'
import {releaseDeadBuffers} from '../image/heap.js'
import type {Descriptor} from '../image/types.js'
import type {Policy} from '../policy/types.js'
import {requirementsFor} from '../policy/evaluate.js'
import type {Registries} from '../registry/client.js'
import {blobExists, readFallback} from '../registry/push.js'
import {withDigest, type Reference} from '../reference/reference.js'
import type {SignatureRecord} from '../signatures/records.js'
import {checkSupplyChain, type SupplyChainOverrides} from '../signatures/supply-chain.js'
import type {TrustRoot} from '../signatures/trust-root.js'
import type {Closure} from './closure.js'
import type {LegacyMerge} from './legacy-merge.js'
import type {Destination} from './plan.js'

interface SignatureProof {
  kind: string
  /** The image or index the signature is about. */
  target: string
  /** The blob carrying the signature. */
  digest: string
  identity?: string
  predicateType?: string
  source: 'verified' | 'found'
  destination: 'verified' | 'found' | 'missing' | 'other-identity'
}

const DISPROOF = new Set(['integrity', 'bad-manifest', 'not-found', 'no-such-image', 'too-large', 'unsupported'])

export interface Proof {
  nodes: {checked: number; failed: string[]}
  blobs: {checked: number; failed: string[]; mode: 'full' | 'head'}
  tags: {checked: number; failed: string[]}
  signatures: SignatureProof[]
  /** Why the destination does not prove to hold the copy; empty when it does. */
  failures: string[]
}

interface ProveInput {
  closure: Closure
  dst: Destination
  srcRef: Reference
  dstRef: Reference
  registries: Registries
  /** The images vet checked at the source (each platform), so the same ones are checked at the destination. */
  images: readonly Image[]
  policy: Policy
  overrides: SupplyChainOverrides
  trustRoot: TrustRoot
  verifyBlobs: 'full' | 'head'
  jobs: number
  /** Referrers tags a racing writer kept emptying during the copy. */
  lostReferrers: readonly string[]
  /** Blobs the copy already read back (each right after its upload); the others are read back here. */
  early?: BlobProofs
  /** The destination has the referrers API: referrers are proven by its listing, not by a fallback tag. */
  referrersApi?: boolean
  /** Legacy tags merged with the destination's (--on-legacy-conflict merge): they name the merged manifest. */
  merges?: ReadonlyMap<string, LegacyMerge>
}

const why = (e: unknown) => (e instanceof ImgvetError ? e.oneLine() : String(e))
// What the destination served contradicts the copy (exit 4); trouble reaching it is exit 3, and a rerun resumes.
const disproves = (e: unknown) => e instanceof ImgvetError && DISPROOF.has(e.code)

/** One blob as the destination serves it: null when it holds, else why not. Trouble reaching it is thrown. */
async function proveBlob(dst: Destination, desc: Descriptor, mode: 'full' | 'head'): Promise<string | null> {
  try {
    if (mode === 'head') {
      if (!(await blobExists(dst.client, dst.repository, desc))) {
        throw new ImgvetError('integrity', 'absent or of another size', desc.digest)
      }
      return null
    }
    const stream = await dst.client.openBlob(dst.repository, desc)
    // The verifying stream hashes as it goes; only the dead socket buffers are left to free.
    for await (const c of stream as AsyncIterable<Buffer>) releaseDeadBuffers(c.length)
    return null
  } catch (e) {
    if (!disproves(e)) throw e
    return `${desc.digest}: ${why(e)}`
  }
}

/**
 * Blobs read back while the copy still sends the others, so the read-back overlaps the upload instead of following
 * it. It proves nothing by itself: the tag moves only after proveAtDestination saw every blob proven, here or there.
 */
export class BlobProofs {
  private readonly outcomes = new Map<string, string | null>()
  constructor(private readonly dst: Destination, private readonly mode: 'full' | 'head') {}

  async prove(desc: Descriptor): Promise<void> {
    this.outcomes.set(desc.digest, await proveBlob(this.dst, desc, this.mode))
  }

  /** The blob was sent again (a repair): the earlier read-back no longer speaks for what the destination holds. */
  forget(digest: string): void {
    this.outcomes.delete(digest)
  }

  /** undefined: not read back yet; null: it holds; a string: why it does not. */
  outcome(digest: string): string | null | undefined {
    return this.outcomes.get(digest)
  }
}

/** Like Promise.all, but settles only once every task has (none is left running after a failure). */
async function allSettled(tasks: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const settled = await Promise.allSettled(tasks)
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (rejected) throw rejected.reason
}

/**
 * The destination proves the copy only by what it serves back: every manifest fetched by digest and hashed, every
 * blob streamed and hashed (or, with `head`, its size and digest headers), every tag resolved, and signature
 * verification run there, through its own discovery, with the source's requirements. Every signature found at the
 * source must be found there, and every one that verified must verify with the same identity.
 */
export async function proveAtDestination(p: ProveInput): Promise<Proof> {
  const {client, repository} = p.dst
  const proof: Proof = {nodes: {checked: 0, failed: []}, blobs: {checked: 0, failed: [], mode: p.verifyBlobs},
    tags: {checked: 0, failed: []}, signatures: [], failures: []}
  const manifests = mapLimit(p.closure.manifests, p.jobs, async (m) => {
    proof.nodes.checked++
    try {
      const raw = await client.getManifest(repository, m.digest)
      if (!raw.bytes.equals(m.raw.bytes)) throw new ImgvetError('integrity', 'bytes differ from the source', m.digest)
    } catch (e) {
      if (!disproves(e)) throw e
      proof.nodes.failed.push(`${m.digest}: ${why(e)}`)
    }
  })
  const blobs = mapLimit(p.closure.blobs, p.jobs, async (b) => {
    proof.blobs.checked++
    let failure = p.early?.outcome(b.desc.digest)
    if (failure === undefined) failure = await proveBlob(p.dst, b.desc, p.verifyBlobs)
    if (failure !== null) proof.blobs.failed.push(failure)
  })
  const tags = (async () => {
    for (const t of p.closure.legacyTags) {
      proof.tags.checked++
      const want = p.merges?.get(t.tag)?.digest ?? t.digest
      const head = await client.headManifest(repository, t.tag)
      if (head?.digest !== want) proof.tags.failed.push(`${t.tag} names ${head?.digest ?? 'nothing'}, not ${want}`)
    }
    for (const f of p.closure.fallbacks) {
      proof.tags.checked++
      // A destination with the referrers API lists them itself; no fallback tag was written there.
      const listed = p.referrersApi ? await client.referrersApi(repository, f.subject).catch(() => null)
        : (await readFallback(client, repository, f.tag).catch(() => null))?.entries
      const missing = f.entries.filter((d) => !listed?.some((x) => x.digest === d.digest))
      const what = p.referrersApi ? `the referrers API for ${f.subject}` : f.tag
      if (missing.length && !p.lostReferrers.includes(f.tag)) {
        proof.tags.failed.push(`${what} lacks ${missing.length} referrer(s)`)
      }
    }
    for (const tag of p.lostReferrers) proof.tags.failed.push(`${tag}: another writer kept replacing the referrers index`)
  })()
  const signatures = compareSignatures(p).then((s) => {
    proof.signatures = s
  }, (e: unknown) => {
    if (!disproves(e)) throw e
    proof.failures.push(`signatures could not be verified at the destination: ${why(e)}`)
  })
  // Independent reads of the destination: manifests, blobs, tags and signature discovery go at once.
  await allSettled([manifests, blobs, tags, signatures])
  const lost = proof.signatures.filter((s) => s.destination === 'missing' || s.destination === 'other-identity'
    || (s.source === 'verified' && s.destination !== 'verified'))
  proof.failures = [
    ...proof.failures,
    ...proof.nodes.failed.map((x) => `manifest ${x}`),
    ...proof.blobs.failed.map((x) => `blob ${x}`),
    ...proof.tags.failed.map((x) => `tag ${x}`),
    ...lost.map((s) => `${s.kind} ${s.digest} on ${s.target}: ${s.source} at the source, ${s.destination} at the destination`),
  ]
  return proof
}

const key = (r: SignatureRecord) => `${r.kind} ${r.target.digest} ${r.digest}`

async function records(p: ProveInput, ref: Reference, image: Image): Promise<SignatureRecord[]> {
  const requirements = requirementsFor(p.policy, p.srcRef)
  const resolved = {imageDigest: image.digest,
    index: image.index ? {digest: image.index.digest, index: image.index.index} : undefined}
  const platform = image.platform ?? {os: 'linux', architecture: 'amd64'}
  const r = await checkSupplyChain({reference: ref, registries: p.registries, platform, requirements,
    overrides: p.overrides, trustRoot: p.trustRoot, resolved})
  return r.summary.signatures
}

/** Verify at the source and at the destination with the source's requirements, and pair the records up. */
async function compareSignatures(p: ProveInput): Promise<SignatureProof[]> {
  const out = new Map<string, SignatureProof>()
  const srcRef = withDigest(p.srcRef, p.closure.root.digest)
  const dstRef = withDigest(p.dstRef, p.closure.root.digest)
  for (const image of p.images) {
    const [at, there] = await Promise.all([records(p, srcRef, image), records(p, dstRef, image)])
    // A merged .sig can hold one payload twice (two signers): the record that verified speaks for it.
    const byKey = new Map<string, SignatureRecord>()
    for (const r of there) if (!byKey.get(key(r))?.verified) byKey.set(key(r), r)
    for (const s of at) {
      if (out.has(key(s))) continue
      const d = byKey.get(key(s))
      const sameIdentity = !s.verified
        || (d?.signer?.identity === s.signer?.identity && d?.signer?.label === s.signer?.label)
      out.set(key(s), {
        kind: s.kind, target: s.target.digest, digest: s.digest, identity: s.signer?.identity ?? s.signer?.label,
          predicateType: s.predicateType,
        source: s.verified ? 'verified' : 'found',
        destination: !d ? 'missing' : !d.verified ? 'found' : sameIdentity ? 'verified' : 'other-identity',
      })
    }
  }
  return [...out.values()]
}
