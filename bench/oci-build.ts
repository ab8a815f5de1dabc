import {createHash} from 'node:crypto'
import {createWriteStream, mkdirSync, renameSync, writeFileSync} from 'node:fs'
import {once} from 'node:events'
import {join, posix} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {Transform} from 'node:stream'
import {createGzip} from 'node:zlib'

export interface BlobRef {
  mediaType: string
  digest: string
  size: number
}

export interface BuiltLayer extends BlobRef {
  diffId: string
  uncompressed: number
  files: number
}

/**
 * Writes an OCI layout by hand. buildah with the vfs driver copies every layer into a new directory per layer and
 * commit, which for a GB-scale image costs minutes and several GB of disk; a ustar stream gzipped at the default
 * level is what a build tool pushes anyway, and skopeo then puts it into the registry byte for byte.
 */
export class Layout {
  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'blobs', 'sha256'), {recursive: true})
    writeFileSync(join(dir, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
  }

  blobPath(digest: string): string {
    return join(this.dir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''))
  }

  writeJson(mediaType: string, obj: unknown): BlobRef {
    const bytes = Buffer.from(JSON.stringify(obj))
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    writeFileSync(this.blobPath(digest), bytes)
    return {mediaType, digest, size: bytes.length}
  }

  layer(): LayerWriter {
    return new LayerWriter(this)
  }

  /** Config, manifest and index.json for a linux/amd64 image of these layers, tagged `tag`. */
  finish(layers: readonly BuiltLayer[], tag: string, createdBy: readonly string[]): void {
    const config = this.writeJson('application/vnd.oci.image.config.v1+json', {
      created: '2024-05-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: {Env: ['PATH=/usr/local/bin:/usr/bin:/bin'], Cmd: ['/bin/sh'], User: '1000:1000', WorkingDir: '/app'},
      rootfs: {type: 'layers', diff_ids: layers.map((l) => l.diffId)},
      history: layers.map((_, i) => ({created: '2024-05-01T00:00:00Z', created_by: createdBy[i] ?? `layer ${i}`})),
    })
    const manifest = this.writeJson('application/vnd.oci.image.manifest.v1+json', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config,
      layers: layers.map((l) => ({mediaType: l.mediaType, digest: l.digest, size: l.size})),
    })
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{...manifest, annotations: {'org.opencontainers.image.ref.name': tag}}],
    }))
  }
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0'
}

/** A ustar header; long names go into the prefix field (the generated trees keep names under 100+155 bytes). */
function header(name: string, size: number, type: '0' | '5', mode: number): Buffer {
  const h = Buffer.alloc(512)
  let prefix = ''
  let base = name
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155)
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar name too long: ${name}`)
    prefix = name.slice(0, cut)
    base = name.slice(cut + 1)
  }
  h.write(base, 0, 100, 'utf8')
  h.write(octal(mode, 8), 100, 'ascii')
  h.write(octal(0, 8), 108, 'ascii')
  h.write(octal(0, 8), 116, 'ascii')
  h.write(octal(size, 12), 124, 'ascii')
  h.write(octal(1_714_521_600, 12), 136, 'ascii')
  h.write('        ', 148, 'ascii')
  h.write(type, 156, 'ascii')
  h.write('ustar\0', 257, 'ascii')
  h.write('00', 263, 'ascii')
  h.write('root', 265, 'ascii')
  h.write('root', 297, 'ascii')
  h.write(prefix, 345, 155, 'utf8')
  let sum = 0
  for (const b of h) sum += b
  h.write(octal(sum, 7) + ' ', 148, 'ascii')
  return h
}

const ZERO = Buffer.alloc(1024)

/** One gzip tar layer streamed to disk: uncompressed bytes hashed for the diffID, compressed for the digest. */
export class LayerWriter {
  private readonly gz = createGzip({level: 6})
  private readonly diff = createHash('sha256')
  private readonly blob = createHash('sha256')
  private readonly tmp: string
  private readonly done: Promise<void>
  private readonly dirs = new Set<string>()
  private uncompressed = 0
  private compressed = 0
  private files = 0

  constructor(private readonly layout: Layout) {
    this.tmp = join(layout.dir, `layer-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`)
    const count = new Transform({
      transform: (chunk: Buffer, _e, cb) => {
        this.blob.update(chunk)
        this.compressed += chunk.length
        cb(null, chunk)
      },
    })
    this.done = pipeline(this.gz, count, createWriteStream(this.tmp))
  }

  private async write(b: Buffer): Promise<void> {
    this.diff.update(b)
    this.uncompressed += b.length
    if (!this.gz.write(b)) await once(this.gz, 'drain')
  }

  private async parents(path: string): Promise<void> {
    const dir = posix.dirname(path)
    if (dir === '.' || dir === '' || this.dirs.has(dir)) return
    await this.parents(dir)
    this.dirs.add(dir)
    await this.write(header(`${dir}/`, 0, '5', 0o755))
  }

  async file(path: string, content: Buffer, mode = 0o644): Promise<void> {
    const name = path.replace(/^\/+/, '')
    await this.parents(name)
    await this.write(header(name, content.length, '0', mode))
    await this.write(content)
    const pad = (512 - (content.length % 512)) % 512
    if (pad) await this.write(Buffer.alloc(pad))
    this.files++
  }

  /** An OCI whiteout: `.wh.<name>` next to the deleted path. */
  async whiteout(path: string): Promise<void> {
    await this.file(posix.join(posix.dirname(path), `.wh.${posix.basename(path)}`), Buffer.alloc(0))
    this.files--
  }

  async finish(): Promise<BuiltLayer> {
    await this.write(ZERO)
    this.gz.end()
    await this.done
    const digest = `sha256:${this.blob.digest('hex')}`
    renameSync(this.tmp, this.layout.blobPath(digest))
    return {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest,
      size: this.compressed,
      diffId: `sha256:${this.diff.digest('hex')}`,
      uncompressed: this.uncompressed,
      files: this.files,
    }
  }
}
