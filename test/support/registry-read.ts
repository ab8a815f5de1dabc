import {gunzipSync} from 'node:zlib'
import {extract} from 'tar-stream'
import {request} from './net.js'
import type {RegistryState} from './state.js'

/**
 * Reading fixture images straight off the registry with plain HTTP, to check the fixtures themselves. Deliberately
 * tiny and buffered: it is test scaffolding, not the imgvet client (src/registry/), and must not depend on it.
 */
const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ')

function authHeaders(r: RegistryState): Record<string, string> {
  return r.username && r.password && r.mode === 'htpasswd' ? {authorization: `Basic ${Buffer.from(`${r.username}:${r.password}`).toString('base64')}`} : {}
}

export async function getManifest(r: RegistryState, repo: string, ref: string): Promise<{body: Buffer; json: unknown; contentType: string}> {
  const res = await request(`${r.url}/v2/${repo}/manifests/${ref}`, {caFile: r.caFile, headers: {accept: ACCEPT, ...authHeaders(r)}})
  if (res.status !== 200) throw new Error(`manifest ${repo}:${ref}: HTTP ${res.status}`)
  return {body: res.body, json: JSON.parse(res.body.toString('utf8')), contentType: String(res.headers['content-type'])}
}

export async function getBlob(r: RegistryState, repo: string, digest: string): Promise<Buffer> {
  const res = await request(`${r.url}/v2/${repo}/blobs/${digest}`, {caFile: r.caFile, headers: authHeaders(r), timeoutMs: 30_000})
  if (res.status !== 200) throw new Error(`blob ${repo}@${digest}: HTTP ${res.status}`)
  return res.body
}

export interface TarEntry {
  name: string
  type: string
  content: Buffer
}

/** All entries of a tar (gzip detected by magic bytes), in archive order. */
export async function readTar(data: Buffer): Promise<TarEntry[]> {
  const tar = data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data
  const ex = extract()
  const entries: TarEntry[] = []
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = []
      stream.on('data', (d: unknown) => chunks.push(d as Buffer))
      stream.on('end', () => {
        entries.push({name: header.name.replace(/^\.\//, ''), type: header.type, content: Buffer.concat(chunks)})
        next()
      })
    })
    ex.on('finish', () => resolve())
    ex.on('error', reject)
  })
  ex.end(tar)
  await done
  return entries
}
