// A minimal OCI distribution pusher for hand-made artifacts (signature manifests, referrer indexes, attestation
// manifests) that skopeo and buildah cannot produce. Plain HTTP, no auth: it targets startRegistry({mode: 'plain'}).
import {createHash} from 'node:crypto'

export interface Pushed {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
  artifactType?: string
  platform?: {os: string; architecture: string}
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json'

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`
}

export class Pusher {
  /** `base` is `http://127.0.0.1:PORT`. */
  constructor(readonly base: string) {}

  /** Monolithic upload: POST to open a session, PUT the bytes with `?digest=`. */
  async blob(repo: string, data: Buffer | string, mediaType = 'application/octet-stream'): Promise<Pushed> {
    const bytes = Buffer.from(data)
    const digest = sha256(bytes)
    const start = await fetch(`${this.base}/v2/${repo}/blobs/uploads/`, {method: 'POST'})
    if (start.status !== 202) throw new Error(`blob upload start for ${repo}: HTTP ${start.status} ${await start.text()}`)
    const location = start.headers.get('location')
    if (!location) throw new Error('blob upload start: no Location header')
    const url = new URL(location, this.base)
    url.searchParams.set('digest', digest)
    const put = await fetch(url, {method: 'PUT', headers: {'content-type': 'application/octet-stream'}, body: new Uint8Array(bytes)})
    if (put.status !== 201) throw new Error(`blob upload ${digest} to ${repo}: HTTP ${put.status} ${await put.text()}`)
    return {mediaType, digest, size: bytes.length}
  }

  /** PUT a manifest or index under a tag or its digest; the body's mediaType is sent as the content type. */
  async manifest(repo: string, ref: string | null, body: object | Buffer, mediaType?: string): Promise<Pushed> {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body))
    const type = mediaType ?? (Buffer.isBuffer(body) ? OCI_MANIFEST : ((body as {mediaType?: string}).mediaType ?? OCI_MANIFEST))
    const digest = sha256(bytes)
    const res = await fetch(`${this.base}/v2/${repo}/manifests/${ref ?? digest}`, {method: 'PUT', headers: {'content-type': type}, body: new Uint8Array(bytes)})
    if (res.status !== 201) throw new Error(`manifest ${repo}:${ref ?? digest}: HTTP ${res.status} ${await res.text()}`)
    const artifactType = Buffer.isBuffer(body) ? undefined : (body as {artifactType?: string}).artifactType
    return {mediaType: type, digest, size: bytes.length, ...(artifactType ? {artifactType} : {})}
  }

  /** A tiny single-layer image (config + one gzip-free tar layer); distinct `seed`s give distinct digests. */
  async image(repo: string, tag: string | null, seed: string, platform = {os: 'linux', architecture: 'amd64'}): Promise<Pushed> {
    const layer = await this.blob(repo, tarWithFile('hello.txt', `hello ${seed}\n`), 'application/vnd.oci.image.layer.v1.tar')
    const config = await this.blob(repo, JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      config: {Env: ['PATH=/usr/bin'], Labels: {seed}},
      rootfs: {type: 'layers', diff_ids: [layer.digest]},
      history: [{created_by: `COPY hello.txt / # ${seed}`}],
    }), 'application/vnd.oci.image.config.v1+json')
    const m = await this.manifest(repo, tag, {schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer]})
    return {...m, platform}
  }

  /** An OCI artifact manifest (empty config) whose layers are the given blobs, optionally with a subject. */
  async artifact(
    repo: string,
    ref: string | null,
    o: {artifactType?: string; layers: Pushed[]; subject?: Pushed; annotations?: Record<string, string>; configType?: string},
  ): Promise<Pushed> {
    const config = await this.blob(repo, '{}', o.configType ?? OCI_EMPTY)
    const body: Record<string, unknown> = {schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: o.layers}
    if (o.artifactType) body.artifactType = o.artifactType
    if (o.subject) body.subject = {mediaType: o.subject.mediaType, digest: o.subject.digest, size: o.subject.size}
    if (o.annotations) body.annotations = o.annotations
    return this.manifest(repo, ref, body)
  }

  async index(repo: string, ref: string | null, manifests: Pushed[], extra: Record<string, unknown> = {}): Promise<Pushed> {
    return this.manifest(repo, ref, {schemaVersion: 2, mediaType: OCI_INDEX, manifests, ...extra})
  }
}

/** One regular file in a ustar archive: enough for a layer the registry stores and imgvet can read. */
export function tarWithFile(name: string, content: string): Buffer {
  return tarFiles([[name, content]])
}

/** A ustar archive of regular files, by hand (uncompressed, so the blob digest is the diffID). */
export function tarFiles(files: ReadonlyArray<readonly [string, string | Buffer]>): Buffer {
  const parts: Buffer[] = []
  for (const [name, content] of files) {
    const data = Buffer.from(content)
    const header = Buffer.alloc(512)
    header.write(name, 0, 100, 'utf8')
    header.write('0000644\0', 100)
    header.write('0000000\0', 108)
    header.write('0000000\0', 116)
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124)
    header.write('00000000000\0', 136)
    header.write('        ', 148)
    header.write('0', 156)
    header.write('ustar\0', 257)
    header.write('00', 263)
    let sum = 0
    for (const b of header) sum += b
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
    parts.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512))
  }
  parts.push(Buffer.alloc(1024))
  return Buffer.concat(parts)
}
