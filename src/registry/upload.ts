import type {Readable} from 'node:stream'
import {ImgvetError} from '../errors.js'
import {parseDigest} from '../image/digest.js'
import {releaseDeadBuffers} from '../image/heap.js'
import type {Descriptor} from '../image/types.js'
import type {RegistryClient} from './client.js'
import {readBounded, type HttpResponse} from './http.js'

/** How a blob got to the destination repository. */
export type BlobOutcome = 'present' | 'mounted' | 'uploaded'

export interface BlobUpload {
  /** Opens the blob's bytes (a verifying stream: it fails unless size and digest hold). Called once per attempt. */
  open: () => Promise<Readable>
  /** A repository on the same registry holding the blob: try a cross-repository mount first. */
  mountFrom?: string
  /** Chunked PATCH uploads of this many bytes; absent: one monolithic PUT. */
  chunkSize?: number
  /** Skip the existence check (a HEAD that said "present" was proven wrong). */
  noHead?: boolean
}

const MAX_ERROR_BODY = 64 * 1024
const MAX_ATTEMPTS = 3

/** The registry's own error code and message from a distribution error body, if it sent one. */
export async function registryError(res: HttpResponse): Promise<{code?: string; message: string}> {
  try {
    const body = await readBounded(res.body, MAX_ERROR_BODY, 'error body')
    const parsed = JSON.parse(body.toString('utf8')) as {errors?: Array<{code?: string; message?: string}>}
    const first = parsed.errors?.[0]
    if (first) return {code: first.code, message: `${first.code ?? ''}${first.message ? ` ${first.message}` : ''}`}
  } catch {
    // Not a distribution error body; the status says enough.
  }
  return {message: `HTTP ${res.status}`}
}

/**
 * The registry no longer knows the upload session. CNCF 2.8 cancels a session when a request arrives with stale
 * state, which is what a retried PATCH whose first answer was lost carries: the blob starts over from POST.
 */
class SessionLost extends ImgvetError {}
const SESSION_GONE = new Set(['BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN'])

async function failed(res: HttpResponse, what: string, where: string): Promise<never> {
  const err = await registryError(res)
  const code = res.status === 401 || res.status === 403 ? 'unauthorized' : 'registry'
  const message = `${what}: HTTP ${res.status}${err.code ? ` ${err.message}` : ''}`
  if (res.status === 404 && SESSION_GONE.has(err.code ?? '')) throw new SessionLost(code, message, where)
  throw new ImgvetError(code, message, where)
}

/**
 * OCI distribution push of one blob: HEAD first, a cross-repository mount when one is offered (a 202 answer is an
 * upload session, used as such), then a monolithic PUT or chunked PATCHes, each following the newest Location the
 * registry sent (the CNCF registry 2.8 cancels a session on a stale one). The bytes are streamed, never buffered
 * whole; a failed attempt deletes its session and starts over from the source.
 */
export async function pushBlob(client: RegistryClient, repository: string, desc: Descriptor,
  up: BlobUpload): Promise<BlobOutcome> {
  const where = `${client.registry}/${repository}@${desc.digest}`
  parseDigest(desc.digest, where)
  if (!up.noHead && await blobExists(client, repository, desc)) return 'present'
  let lastError: unknown
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const session = await openSession(client, repository, desc, attempt === 0 ? up.mountFrom : undefined)
    if (session === 'mounted') return 'mounted'
    try {
      const send = up.chunkSize ? sendChunked : sendWhole
      await send(client, repository, desc, session, up)
      return 'uploaded'
    } catch (e) {
      lastError = e
      await cancel(client, repository, session)
      // Integrity failures do not get better by trying again; a cut connection may, and so may a token that
      // expired mid-body (the client dropped it, so the next attempt asks for a fresh one).
      const again = e instanceof SessionLost
        || (e instanceof ImgvetError && (e.code === 'network' || (e.code === 'unauthorized' && attempt === 0)))
      if (!again) throw e
    }
  }
  throw lastError
}

/** HEAD in the destination repository: the CNCF registry links blobs per repository, so another repo's copy does not count. */
export async function blobExists(client: RegistryClient, repository: string,
  desc: Pick<Descriptor, 'digest' | 'size'>): Promise<boolean> {
  const res = await client.call(`/v2/${repository}/blobs/${desc.digest}`,
    {method: 'HEAD', scope: `repository:${repository}:pull`})
  if (res.status === 404) return false
  if (res.status !== 200) await client.fail(res, `blob ${desc.digest}`)
  const size = Number(res.headers.get('content-length') ?? NaN)
  const digest = res.headers.get('docker-content-digest')
  // A HEAD naming another size or digest is no proof the blob is there; upload it.
  return (!Number.isFinite(size) || size === desc.size) && (!digest || digest === desc.digest)
}

function pushScopes(repository: string, mountFrom?: string): string[] {
  return [`repository:${repository}:pull,push`, ...(mountFrom ? [`repository:${mountFrom}:pull`] : [])]
}

async function openSession(client: RegistryClient, repository: string, desc: Descriptor,
  mountFrom?: string): Promise<string | 'mounted'> {
  const where = `${client.registry}/${repository}@${desc.digest}`
  const query = mountFrom ? `?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(mountFrom)}` : ''
  const res = await client.call(`/v2/${repository}/blobs/uploads/${query}`, {
    method: 'POST', scope: pushScopes(repository, mountFrom), headers: {'content-length': '0'}, body: Buffer.alloc(0),
  })
  if (res.status === 201 && mountFrom) {
    res.body?.resume()
    const said = res.headers.get('docker-content-digest')
    if (said && said !== desc.digest) throw new ImgvetError('integrity', `mount answered for ${said}`, where)
    return 'mounted'
  }
  if (res.status !== 202) await failed(res, 'opening an upload', where)
  res.body?.resume()
  return location(res, where)
}

function location(res: HttpResponse, where: string): string {
  const loc = res.headers.get('location')
  if (!loc) throw new ImgvetError('registry', `HTTP ${res.status} without a Location`, where)
  return loc
}

function withDigest(loc: string, digest: string): string {
  return `${loc}${loc.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`
}

async function sendWhole(client: RegistryClient, repository: string, desc: Descriptor, session: string,
  up: BlobUpload): Promise<void> {
  const body = await up.open()
  body.on('data', (c: Buffer) => releaseDeadBuffers(c.length))
  const res = await client.call(withDigest(session, desc.digest), {
    method: 'PUT',
    scope: pushScopes(repository),
    headers: {'content-type': 'application/octet-stream', 'content-length': String(desc.size)},
    body,
  }).catch((e: unknown) => {
    body.destroy()
    throw e
  })
  try {
    await finished(res, desc, `${client.registry}/${repository}@${desc.digest}`)
  } finally {
    // A registry that answers before reading the whole body leaves the source download paused: release it.
    body.destroy()
  }
}

async function sendChunked(client: RegistryClient, repository: string, desc: Descriptor, session: string,
  up: BlobUpload): Promise<void> {
  const where = `${client.registry}/${repository}@${desc.digest}`
  const size = up.chunkSize ?? desc.size
  const body = await up.open()
  let loc = session
  let offset = 0
  try {
    for await (const chunk of chunks(body, size)) {
      const res = await client.call(loc, {
        method: 'PATCH',
        scope: pushScopes(repository),
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(chunk.length),
          'content-range': `${offset}-${offset + chunk.length - 1}`,
        },
        body: chunk,
      })
      if (res.status !== 202) await failed(res, `chunk at ${offset}`, where)
      res.body?.resume()
      // The newest Location carries the session state; reusing an older one cancels the upload on CNCF 2.8.
      loc = location(res, where)
      offset += chunk.length
    }
  } finally {
    body.destroy()
  }
  const res = await client.call(withDigest(loc, desc.digest), {
    method: 'PUT', scope: pushScopes(repository), headers: {'content-length': '0'}, body: Buffer.alloc(0),
  })
  await finished(res, desc, where)
}

async function finished(res: HttpResponse, desc: Descriptor, where: string): Promise<void> {
  if (res.status !== 201) await failed(res, 'completing the upload', where)
  res.body?.resume()
  const said = res.headers.get('docker-content-digest')
  if (said && said !== desc.digest) {
    throw new ImgvetError('integrity', `registry stored the blob as ${said}, not ${desc.digest}`, where)
  }
}

async function cancel(client: RegistryClient, repository: string, session: string): Promise<void> {
  try {
    const res = await client.call(session, {method: 'DELETE', scope: pushScopes(repository)})
    res.body?.resume()
  } catch {
    // Best effort: the registry expires abandoned sessions on its own.
  }
}

/** Re-cut a stream into pieces of exactly `size` bytes (the last one shorter). */
async function* chunks(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = []
  let have = 0
  for await (const c of stream as AsyncIterable<Buffer>) {
    releaseDeadBuffers(c.length)
    pending.push(c)
    have += c.length
    while (have >= size) {
      const all = Buffer.concat(pending)
      yield all.subarray(0, size)
      pending = [all.subarray(size)]
      have -= size
    }
  }
  if (have > 0) yield Buffer.concat(pending)
}
