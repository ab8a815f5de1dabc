import {randomBytes} from 'node:crypto'
import {createWriteStream, existsSync, statSync} from 'node:fs'
import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {asImgvetError, ImgvetError} from '../errors.js'
import {parseDigest} from './digest.js'
import type {Descriptor, ImageSource} from './types.js'

/**
 * Writes an OCI image layout that skopeo and umoci read. A blob lands under a temporary name and is renamed only
 * after the verifying stream accepted every byte, so an interrupted or corrupt pull never leaves a wrong blob.
 */
export class LayoutWriter {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), {recursive: true})
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
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
    const tmp = `${final}.tmp-${randomBytes(4).toString('hex')}`
    await writeFile(tmp, bytes)
    await rename(tmp, final)
  }

  /** Copy one blob; `onBytes` reports progress. Returns false when it was already present. */
  async copyBlob(source: ImageSource, desc: Descriptor, onBytes?: (n: number) => void): Promise<boolean> {
    if (this.has(desc)) return false
    const final = this.path(desc.digest)
    await mkdir(join(final, '..'), {recursive: true})
    const tmp = `${final}.tmp-${randomBytes(4).toString('hex')}`
    try {
      const stream = await source.openBlob(desc)
      if (onBytes) stream.on('data', (c: Buffer) => onBytes(c.length))
      await pipeline(stream, createWriteStream(tmp, {highWaterMark: 1024 * 1024}))
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
    await writeFile(file, `${JSON.stringify(index, null, 2)}\n`)
  }
}
