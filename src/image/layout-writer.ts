import {randomBytes} from 'node:crypto'
import {processAlive} from '../process-alive.js'
import {createWriteStream, existsSync, readdirSync, rmSync, statSync} from 'node:fs'
import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {asImgvetError, ImgvetError} from '../errors.js'
import {parseDigest} from './digest.js'
import {releaseDeadBuffers} from './heap.js'
import type {Descriptor, ImageSource} from './types.js'

/** Partial data lives here, outside blobs/: umoci gc and skopeo treat every file under blobs/ as a blob. */
const INGEST_DIR = '.imgvet-tmp'
// What older versions left beside the blob they were writing.
/** Bytes a blob may queue for the disk before the socket is paused: larger only holds more memory (4 MiB: +40 MiB). */
const WRITE_BUFFER = 256 * 1024
const LEGACY_TMP = /^[0-9a-f]{64}\.tmp-[0-9a-f]{8}$/

/**
 * Writes an OCI image layout that skopeo and umoci read. A blob is written in this process's own ingest directory
 * (same filesystem, so the rename is atomic) and moved into blobs/ only after the verifying stream accepted every
 * byte, so an interrupted or corrupt pull never leaves a wrong or partial blob in the layout.
 */
export class LayoutWriter {
  /** `<layout>/.imgvet-tmp/<pid>-<random>`: named by pid so the next pull can tell a dead run's leftovers. */
  readonly ingest: string

  constructor(readonly dir: string) {
    this.ingest = join(dir, INGEST_DIR, `${process.pid}-${randomBytes(4).toString('hex')}`)
  }

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), {recursive: true})
    this.sweep()
    await mkdir(this.ingest, {recursive: true})
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
  }

  /** Remove what interrupted runs left: ingest dirs of processes that are gone, and old in-blobs temp files. */
  private sweep(): void {
    const root = join(this.dir, INGEST_DIR)
    if (existsSync(root)) {
      for (const name of readdirSync(root)) {
        const pid = Number(/^(\d+)-/.exec(name)?.[1])
        if (!(pid > 0) || !processAlive(pid)) rmSync(join(root, name), {recursive: true, force: true})
      }
    }
    const sha = join(this.dir, 'blobs', 'sha256')
    for (const name of readdirSync(sha)) if (LEGACY_TMP.test(name)) rmSync(join(sha, name), {force: true})
  }

  /**
   * Drop this run's partial data. Synchronous so a signal handler can call it right before exiting; the ingest
   * root goes too when no other run is using it.
   */
  discardSync(): void {
    rmSync(this.ingest, {recursive: true, force: true})
    const root = join(this.dir, INGEST_DIR)
    try {
      if (readdirSync(root).length === 0) rmSync(root, {recursive: true, force: true})
    } catch {
      // already gone
    }
  }

  private tmpFile(): string {
    return join(this.ingest, randomBytes(8).toString('hex'))
  }

  private path(digest: string): string {
    const {algorithm, hex} = parseDigest(digest, this.dir)
    return join(this.dir, 'blobs', algorithm, hex)
  }

  has(desc: Pick<Descriptor, 'digest' | 'size'>): boolean {
    const p = this.path(desc.digest)
    return existsSync(p) && statSync(p).size === desc.size
  }

  async writeBytes(digest: string, bytes: Buffer): Promise<void> {
    const final = this.path(digest)
    await mkdir(join(final, '..'), {recursive: true})
    const tmp = this.tmpFile()
    await writeFile(tmp, bytes)
    await rename(tmp, final)
  }

  /** Copy one blob; `onBytes` reports progress. Returns false when it was already present. */
  async copyBlob(source: ImageSource, desc: Descriptor, onBytes?: (n: number) => void): Promise<boolean> {
    if (this.has(desc)) return false
    const final = this.path(desc.digest)
    await mkdir(join(final, '..'), {recursive: true})
    const tmp = this.tmpFile()
    try {
      const stream = await source.openBlob(desc)
      stream.on('data', (c: Buffer) => {
        onBytes?.(c.length)
        releaseDeadBuffers(c.length)
      })
      await pipeline(stream, createWriteStream(tmp, {highWaterMark: WRITE_BUFFER}))
      await rename(tmp, final)
      return true
    } catch (e) {
      await rm(tmp, {force: true})
      throw asImgvetError(e, 'network', `${source.name}@${desc.digest}`)
    }
  }

  /** Add or replace the index.json entry for `ref` (tags are unique within a layout, as skopeo keeps them). */
  async addToIndex(desc: Descriptor, ref: string | undefined): Promise<void> {
    const file = join(this.dir, 'index.json')
    let index: {schemaVersion: 2; mediaType: string; manifests: Descriptor[]} = {schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: []}
    if (existsSync(file)) {
      try {
        index = JSON.parse(await readFile(file, 'utf8')) as typeof index
        if (!Array.isArray(index.manifests)) throw new Error('no manifests')
      } catch (e) {
        throw new ImgvetError('bad-input', `existing index.json is invalid: ${(e as Error).message}`, file)
      }
    }
    const entry: Descriptor = {mediaType: desc.mediaType, digest: desc.digest, size: desc.size}
    if (desc.platform) entry.platform = desc.platform
    if (ref) entry.annotations = {'org.opencontainers.image.ref.name': ref}
    index.manifests = index.manifests.filter((m) => (ref ? m.annotations?.['org.opencontainers.image.ref.name'] !== ref : m.digest !== desc.digest))
    index.manifests.push(entry)
    // Renamed into place: a pull stopped mid-write must not leave a truncated index.json.
    const tmp = this.tmpFile()
    await writeFile(tmp, `${JSON.stringify(index, null, 2)}\n`)
    await rename(tmp, file)
  }
}
