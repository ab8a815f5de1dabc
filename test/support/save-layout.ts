// Registry content written into an OCI image layout the way tools that keep signatures beside an image do: every
// manifest and blob under blobs/sha256/, and index.json listing the chosen manifests with the caller's annotations
// (cosign save: `kind` plus the whole reference as ref name; oras: referrers as untagged entries). skopeo cannot
// produce the untagged entries and there is no cosign or oras binary here, so the layout is written by hand.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {request} from './net.js'
import {sha256} from './push.js'

const ACCEPT = ['application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

export interface LayoutEntry {
  digest: string
  annotations?: Record<string, string>
}

interface Desc {
  mediaType: string
  digest: string
  size: number
}

async function fetchOk(url: string, headers: Record<string, string> = {}): Promise<Buffer> {
  const r = await request(url, {headers})
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status}`)
  return r.body
}

/** Copies each entry's manifest with everything it contains (children, configs, layers) from `base`/`repo`. */
export async function saveLayout(base: string, repo: string, dir: string,
  entries: readonly LayoutEntry[]): Promise<void> {
  mkdirSync(join(dir, 'blobs', 'sha256'), {recursive: true})
  const put = (digest: string, bytes: Buffer) => {
    if (sha256(bytes) !== digest) throw new Error(`${digest}: served bytes hash to ${sha256(bytes)}`)
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes)
  }
  const manifest = async (digest: string): Promise<Desc> => {
    const bytes = await fetchOk(`${base}/v2/${repo}/manifests/${digest}`, {accept: ACCEPT})
    put(digest, bytes)
    const m = JSON.parse(bytes.toString('utf8')) as
      {mediaType: string; manifests?: Desc[]; config?: Desc; layers?: Desc[]}
    for (const child of m.manifests ?? []) await manifest(child.digest)
    for (const b of [...(m.config ? [m.config] : []), ...(m.layers ?? [])]) {
      put(b.digest, await fetchOk(`${base}/v2/${repo}/blobs/${b.digest}`))
    }
    return {mediaType: m.mediaType, digest, size: bytes.length}
  }
  const listed = []
  for (const e of entries) {
    listed.push({...(await manifest(e.digest)), ...(e.annotations ? {annotations: e.annotations} : {})})
  }
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
  writeFileSync(join(dir, 'index.json'),
    JSON.stringify({schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: listed}))
}
