import {createReadStream} from 'node:fs'
import {open, stat} from 'node:fs/promises'
import {basename, join, normalize} from 'node:path'
import type {Readable} from 'node:stream'
import {ImgvetError} from '../../errors.js'
import {readTarIndex, type TarIndex} from './tar-index.js'
import type {Reference} from '../../reference/reference.js'

/**
 * Read-only access to the files of an OCI layout or docker-save archive, whether they sit in a directory or inside
 * an uncompressed tar. Lets one source implementation serve `oci:` and `oci-archive:` alike.
 */
export interface FileTree {
  readonly name: string
  size(path: string): Promise<number | null>
  read(path: string, limit: number): Promise<Buffer>
  open(path: string): Readable
}

/**
 * The name policy scopes match a local image by: `oci/<dir>` (or `docker-archive/<file>`) with its tag, unless the
 * user says what it stands for (`--as`).
 */
export function localScopeReference(registry: 'oci' | 'docker-archive', path: string, tag?: string): Reference {
  const name = basename(path).toLowerCase().replace(/\.(tar|oci)$/, '')
    .replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'image'
  return {registry, repository: name, tag: tag ?? 'latest'}
}

function safeRelative(path: string, where: string): string {
  const n = normalize(path).replace(/^\/+/, '')
  if (n.startsWith('..') || n.includes('\0')) throw new ImgvetError('bad-input', `path escapes the image: ${path}`, where)
  return n
}

export class DirTree implements FileTree {
  constructor(readonly name: string) {}

  async size(path: string): Promise<number | null> {
    try {
      const s = await stat(join(this.name, safeRelative(path, this.name)))
      return s.isFile() ? s.size : null
    } catch {
      return null
    }
  }

  async read(path: string, limit: number): Promise<Buffer> {
    const full = join(this.name, safeRelative(path, this.name))
    let fh
    try {
      fh = await open(full, 'r')
    } catch (e) {
      throw new ImgvetError('not-found', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, this.name)
    }
    try {
      const {size} = await fh.stat()
      if (size > limit) throw new ImgvetError('too-large', `${path} is ${size} bytes, over the ${limit}-byte limit`, this.name)
      const buf = Buffer.alloc(size)
      await fh.read(buf, 0, size, 0)
      return buf
    } finally {
      await fh.close()
    }
  }

  open(path: string): Readable {
    return createReadStream(join(this.name, safeRelative(path, this.name)))
  }
}

/** Members of an uncompressed tar, read in place by offset: the archive is never extracted. */
export class TarTree implements FileTree {
  private constructor(readonly name: string, private readonly index: TarIndex) {}

  static async load(file: string): Promise<TarTree> {
    return new TarTree(file, await readTarIndex(file))
  }

  private member(path: string) {
    return this.index.get(safeRelative(path, this.name))
  }

  async size(path: string): Promise<number | null> {
    return this.member(path)?.size ?? null
  }

  async read(path: string, limit: number): Promise<Buffer> {
    const m = this.member(path)
    if (!m) throw new ImgvetError('not-found', `archive has no member ${path}`, this.name)
    if (m.size > limit) throw new ImgvetError('too-large', `${path} is ${m.size} bytes, over the ${limit}-byte limit`, this.name)
    const fh = await open(this.name, 'r')
    try {
      const buf = Buffer.alloc(m.size)
      await fh.read(buf, 0, m.size, m.offset)
      return buf
    } finally {
      await fh.close()
    }
  }

  open(path: string): Readable {
    const m = this.member(path)
    if (!m) throw new ImgvetError('not-found', `archive has no member ${path}`, this.name)
    if (m.size === 0) return createReadStream(this.name, {start: 1, end: 0})
    return createReadStream(this.name, {start: m.offset, end: m.offset + m.size - 1})
  }
}
