import {writeFileSync} from 'node:fs'
import {gzipSync} from 'node:zlib'
import {join} from 'node:path'
import {LayerCache} from '../../src/cache/layer-cache.js'
import {runRegistryScan, type RegistryScanOptions} from '../../src/nightly/run.js'
import {Selection} from '../../src/nightly/shard.js'
import {parsePolicy} from '../../src/policy/load.js'
import type {Policy} from '../../src/policy/types.js'
import {Registries} from '../../src/registry/client.js'
import {OCI_INDEX, OCI_MANIFEST, Pusher, sha256, tarFiles, type Pushed} from '../support/push.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {makeTempDir} from '../support/tmp.js'

export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar'

/** Base layers shared by every image, like a distro base: deterministic text so the digests are stable. */
export function baseLayers(fileCount = 20, fileBytes = 4096): Buffer[] {
  return [0, 1].map((l) => tarFiles(Array.from({length: fileCount}, (_, i) => [`usr/share/base${l}/file${i}.txt`, `${`line ${l}.${i} lorem ipsum dolor sit amet\n`.repeat(Math.ceil(fileBytes / 36))}`.slice(0, fileBytes)] as const)))
}

export interface ImageSpec {
  /** Extra files in the image's own top layer. */
  files?: ReadonlyArray<readonly [string, string]>
  platform?: {os: string; architecture: string}
  user?: string
}

/** Pushes images made of shared base layers plus one small layer of their own, by hand (no tools, fast). */
export class ImageMaker {
  readonly pusher: Pusher
  /** Where each blob was first uploaded, so other repositories mount it instead of uploading it again. */
  private readonly uploaded = new Map<string, string>()
  constructor(readonly registry: RunningRegistry, readonly base: Buffer[] = baseLayers(), readonly gzip = false) {
    this.pusher = new Pusher(registry.url)
  }

  private readonly gzCache = new Map<Buffer, Buffer>()
  private gzipped(tar: Buffer): Buffer {
    let gz = this.gzCache.get(tar)
    if (!gz) {
      gz = gzipSync(tar, {level: 6})
      this.gzCache.set(tar, gz)
    }
    return gz
  }

  /** Upload a blob, or mount it from a repository that has it (what skopeo copy does between repositories). */
  async blob(repo: string, data: Buffer | string, mediaType: string): Promise<Pushed> {
    const digest = sha256(Buffer.from(data))
    const from = this.uploaded.get(digest)
    if (from && from !== repo) {
      const res = await fetch(`${this.registry.url}/v2/${repo}/blobs/uploads/?mount=${digest}&from=${from}`, {method: 'POST'})
      await res.arrayBuffer()
      if (res.status === 201) return {mediaType, digest, size: Buffer.from(data).length}
    }
    const pushed = await this.pusher.blob(repo, data, mediaType)
    if (!from) this.uploaded.set(digest, repo)
    return pushed
  }

  async manifest(repo: string, spec: ImageSpec = {}): Promise<Pushed> {
    const platform = spec.platform ?? {os: 'linux', architecture: 'amd64'}
    const layers: Pushed[] = []
    const diffIds: string[] = []
    const push = async (tar: Buffer) => {
      diffIds.push(sha256(tar))
      layers.push(this.gzip ? await this.blob(repo, this.gzipped(tar), `${OCI_LAYER}+gzip`) : await this.blob(repo, tar, OCI_LAYER))
    }
    for (const b of this.base) await push(b)
    await push(tarFiles(spec.files ?? [[`etc/${repo.replace(/\//g, '_')}.conf`, `name=${repo}\n`]]))
    const config = await this.pusher.blob(repo, JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      created: new Date().toISOString(),
      config: {Env: ['PATH=/usr/bin'], User: spec.user ?? '1000'},
      rootfs: {type: 'layers', diff_ids: diffIds},
      history: layers.map((_, i) => ({created_by: `layer ${i}`})),
    }), 'application/vnd.oci.image.config.v1+json')
    const m = await this.pusher.manifest(repo, null, {schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers})
    return {...m, platform}
  }

  async image(repo: string, tag: string, spec: ImageSpec = {}): Promise<Pushed> {
    const m = await this.manifest(repo, spec)
    const body = await (await fetch(`${this.registry.url}/v2/${repo}/manifests/${m.digest}`, {headers: {accept: OCI_MANIFEST}})).arrayBuffer()
    await this.pusher.manifest(repo, tag, Buffer.from(body), OCI_MANIFEST)
    return m
  }

  /** Point another tag at an existing manifest. */
  async tag(repo: string, digest: string, tag: string): Promise<void> {
    const body = await (await fetch(`${this.registry.url}/v2/${repo}/manifests/${digest}`, {headers: {accept: `${OCI_MANIFEST}, ${OCI_INDEX}`}})).arrayBuffer()
    const type = (JSON.parse(Buffer.from(body).toString()) as {mediaType?: string}).mediaType ?? OCI_MANIFEST
    await this.pusher.manifest(repo, tag, Buffer.from(body), type)
  }

  /** amd64 + arm64 plus a BuildKit attestation manifest (unknown/unknown) that must not be scanned. */
  async multiArch(repo: string, tag: string, spec: ImageSpec = {}): Promise<{index: Pushed; images: Pushed[]}> {
    const amd = await this.manifest(repo, {...spec, platform: {os: 'linux', architecture: 'amd64'}})
    const arm = await this.manifest(repo, {...spec, platform: {os: 'linux', architecture: 'arm64'}})
    const statement = await this.pusher.blob(repo, JSON.stringify({_type: 'https://in-toto.io/Statement/v0.1', subject: [{digest: {sha256: amd.digest.slice(7)}}], predicateType: 'https://slsa.dev/provenance/v0.2', predicate: {}}), 'application/vnd.in-toto+json')
    const att = await this.pusher.artifact(repo, null, {layers: [{...statement, annotations: {'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2'}}], configType: 'application/vnd.oci.image.config.v1+json'})
    const index = await this.pusher.index(repo, tag, [
      amd,
      arm,
      {...att, platform: {os: 'unknown', architecture: 'unknown'}, annotations: {'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd.digest}},
    ])
    return {index: {...index, mediaType: OCI_INDEX}, images: [amd, arm]}
  }
}

/** A policy where a clean image passes (the default preset also wants signatures off and non-root). */
export function writeTestPolicy(dir: string): string {
  const file = join(dir, 'policy.yaml')
  writeFileSync(file, 'version: 1\nname: nightly-test\nscopes:\n  - match: "**"\n    failOn: high\n    secrets:\n      failOn: high\n    user:\n      nonRoot: true\n')
  return file
}

/** What a test or benchmark may change about one scan; the rest is the defaults below, under `dir`. */
export type ScanExtra = Partial<RegistryScanOptions> & {repositories?: string[]; shard?: {index: number; count: number}; state?: string; cacheDir?: string}

/** One registry scan with its own clients (closed after), state and layer cache under `dir`. */
export async function scanRegistry(host: string, policy: Policy, dir: string, extra: ScanExtra = {}): ReturnType<typeof runRegistryScan> {
  const registries = new Registries({})
  try {
    return await runRegistryScan({
      host,
      registries,
      policy,
      selection: new Selection(extra.repositories ?? [], [], extra.shard ?? null),
      statePath: extra.state ?? join(dir, 'state.jsonl'),
      cache: new LayerCache(extra.cacheDir ?? join(dir, 'cache')),
      ...extra,
    })
  } finally {
    registries.close()
  }
}

export interface Harness {
  registry: RunningRegistry
  maker: ImageMaker
  dir: string
  policyFile: string
  scan(extra?: ScanExtra): ReturnType<typeof runRegistryScan>
  stop(): Promise<void>
}

export async function harness(prefix: string): Promise<Harness> {
  const registry = await startRegistry({mode: 'plain'})
  const dir = makeTempDir(prefix)
  const policyFile = writeTestPolicy(dir)
  const policy = parsePolicy((await import('node:fs')).readFileSync(policyFile, 'utf8'), policyFile)
  return {
    registry,
    maker: new ImageMaker(registry),
    dir,
    policyFile,
    scan: (extra = {}) => scanRegistry(registry.host, policy, dir, extra),
    stop: () => registry.stop(),
  }
}

export {sha256, tarFiles}
