import {spawnSync} from 'node:child_process'
import {Readable} from 'node:stream'
import {gzipSync} from 'node:zlib'
import {OCI_CONFIG, OCI_MANIFEST, sha256} from '../support/hostile-image.js'
import type {Detection, FileCheck} from '../../src/checks/check.js'
import {VerifyingStream} from '../../src/image/digest.js'
import {type Image} from '../../src/image/image.js'
import {loadImage} from '../../src/image/resolve.js'
import type {Descriptor, ImageSource, RawManifest} from '../../src/image/types.js'
import type {WalkEntry} from '../../src/layers/entry.js'

export {makeTarItems as makeTar, OCI_CONFIG, OCI_MANIFEST, sha256, type TarItem} from '../support/hostile-image.js'
export const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar'
export const LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip'
export const LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd'

export function zstd(data: Buffer): Buffer {
  const r = spawnSync('zstd', ['-q', '-c', '-3'], {input: data, maxBuffer: 64 * 1024 * 1024})
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr.toString()}`)
  return r.stdout
}

export interface LayerSpec {
  tar: Buffer
  compression?: 'gzip' | 'zstd' | 'none'
  mediaType?: string
  /** Override the diffID in the config (to provoke a mismatch). */
  diffId?: string
  /** A blob that is not a filesystem layer (no diffID in the config). */
  opaqueBlob?: boolean
}

/**
 * An in-memory ImageSource: the smallest honest implementation of the interface, so the tests go through the real
 * loadImage/imageFromManifest and the same VerifyingStream every source uses.
 */
export class MemorySource implements ImageSource {
  readonly name = 'memory/test:latest'
  readonly blobs = new Map<string, Buffer>()
  readonly manifest: RawManifest
  opened = 0

  constructor(layers: readonly LayerSpec[], config: Record<string, unknown> = {}) {
    const descs: Descriptor[] = []
    const diffIds: string[] = []
    for (const l of layers) {
      const c = l.compression ?? 'gzip'
      const data = c === 'gzip' ? gzipSync(l.tar) : c === 'zstd' ? zstd(l.tar) : l.tar
      const mediaType = l.mediaType ?? (c === 'gzip' ? LAYER_GZIP : c === 'zstd' ? LAYER_ZSTD : LAYER_TAR)
      this.blobs.set(sha256(data), data)
      descs.push({mediaType, digest: sha256(data), size: data.length})
      if (!l.opaqueBlob) diffIds.push(l.diffId ?? sha256(l.tar))
    }
    const cfg = Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux', config: {User: '1000'},
      rootfs: {type: 'layers', diff_ids: diffIds}, ...config,
    }))
    this.blobs.set(sha256(cfg), cfg)
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: {mediaType: OCI_CONFIG, digest: sha256(cfg), size: cfg.length}, layers: descs,
    }))
    this.manifest = {mediaType: OCI_MANIFEST, digest: sha256(manifest), bytes: manifest}
  }

  async resolve(): Promise<Descriptor> {
    return {mediaType: OCI_MANIFEST, digest: this.manifest.digest, size: this.manifest.bytes.length}
  }

  async fetchManifest(): Promise<RawManifest> {
    return this.manifest
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    const data = this.blobs.get(desc.digest)
    if (!data) throw new Error(`no blob ${desc.digest}`)
    this.opened++
    return Readable.from([data]).pipe(new VerifyingStream({digest: desc.digest, size: desc.size}, desc.digest))
  }
}

export async function imageOf(layers: readonly LayerSpec[], config?: Record<string, unknown>): Promise<{image: Image; source: MemorySource}> {
  const source = new MemorySource(layers, config)
  return {image: await loadImage(source, {os: 'linux', architecture: 'amd64'}), source}
}

/** What the marker check looks for: `MARKER{...}`; the braces' content is the "secret". */
export const MARKER = /MARKER\{([A-Za-z0-9]+)\}/

/**
 * The plug-in contract in miniature: wants regular files, reads their bytes, and reports a Detection for each
 * marker. `version` is a parameter so cache tests can bump it.
 */
export function markerCheck(version = 1, calls: WalkEntry[] = []): FileCheck {
  return {
    id: 'test.marker',
    version,
    maxBytes: 4096,
    wants: (e) => (e.type === 'file' ? 'content' : false),
    inspect(entry, content): Detection[] {
      calls.push(entry)
      const m = content ? MARKER.exec(content.toString('utf8')) : null
      if (!m?.[1]) return []
      return [{id: 'test.marker', severity: 'high', category: 'secret', title: 'marker found', rule: 'no-credentials', secret: m[1]}]
    },
  }
}

/** A header-only check: links are reported without their (non-existent) content being read. */
export function linkCheck(): FileCheck {
  return {
    id: 'test.links',
    version: 1,
    wants: (e) => (e.type === 'symlink' || e.type === 'hardlink' ? 'header' : false),
    inspect(entry, content): Detection[] {
      return [{id: 'test.links', severity: 'info', category: 'config', title: `${entry.type} ${content === null ? 'header-only' : 'with content'}`, rule: 'minimal-host', secret: `${entry.path}->${entry.linkname ?? ''}`}]
    },
  }
}
