// The floor a layer scanner is compared with: fetch every layer blob of an image from a plain-HTTP registry and
// stream it through node:zlib gunzip and a sha256 of the output, two layers at a time (the walk's concurrency),
// nothing else. Prints {bytes, seconds} of uncompressed data as JSON.
// Usage: node --import=tsx bench/gunzip-baseline.ts http://127.0.0.1:PORT repo tag
import {createHash} from 'node:crypto'
import {Readable, Writable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import type {ReadableStream as WebReadableStream} from 'node:stream/web'
import {createGunzip} from 'node:zlib'

const [base, repo, tag] = process.argv.slice(2)
if (!base || !repo || !tag) throw new Error('usage: gunzip-baseline.ts BASE_URL REPO TAG')

const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
const started = process.hrtime.bigint()
const res = await fetch(`${base}/v2/${repo}/manifests/${tag}`, {headers: {accept}})
if (!res.ok) throw new Error(`manifest: HTTP ${res.status}`)
const manifest = (await res.json()) as {config: {digest: string}; layers: Array<{digest: string}>}
const config = (await (await fetch(`${base}/v2/${repo}/blobs/${manifest.config.digest}`)).json()) as {rootfs: {diff_ids: string[]}}

let bytes = 0
async function layer(i: number): Promise<void> {
  const l = manifest.layers[i]
  if (!l) return
  const blob = await fetch(`${base}/v2/${repo}/blobs/${l.digest}`)
  if (!blob.ok || !blob.body) throw new Error(`blob ${l.digest}: HTTP ${blob.status}`)
  const hash = createHash('sha256')
  await pipeline(
    Readable.fromWeb(blob.body as WebReadableStream<Uint8Array>),
    createGunzip({chunkSize: 256 * 1024}),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        bytes += chunk.length
        hash.update(chunk)
        cb()
      },
    }),
  )
  // Checked so the floor does the same work as the scanner's diffID verification.
  const diffId = `sha256:${hash.digest('hex')}`
  if (diffId !== config.rootfs.diff_ids[i]) throw new Error(`layer ${i}: diffID mismatch`)
}

let next = 0
await Promise.all([0, 1].map(async () => {
  while (next < manifest.layers.length) await layer(next++)
}))
process.stdout.write(JSON.stringify({bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9}) + '\n')
