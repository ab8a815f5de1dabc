import test from 'ava'
import {createHash} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {ImgvetError} from '../../src/errors.js'
import {OciLayoutSource} from '../../src/image/sources/oci-layout.js'
import {DirTree} from '../../src/image/sources/files.js'
import {localReferrerStore} from '../../src/signatures/layout-store.js'
import {tempDir} from '../support/cli.js'

// Hand-written layouts: the store answers what a registry would, from index.json and blobs, and trusts no entry.
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

interface Entry {body: unknown; annotations?: Record<string, string>; bytes?: Buffer}

function layout(dir: string, entries: Entry[]): Array<{digest: string; size: number}> {
  mkdirSync(join(dir, 'blobs', 'sha256'), {recursive: true})
  const blob = (b: Buffer, as = sha(b)) => {
    writeFileSync(join(dir, 'blobs', 'sha256', as.slice(7)), b)
    return as
  }
  const config = Buffer.from('{}')
  blob(config)
  const listed = entries.map((e) => {
    const bytes = Buffer.from(JSON.stringify(e.body))
    const digest = sha(bytes)
    blob(e.bytes ?? bytes, digest)
    return {mediaType: MANIFEST, digest, size: bytes.length, ...(e.annotations ? {annotations: e.annotations} : {})}
  })
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
  writeFileSync(join(dir, 'index.json'), JSON.stringify({schemaVersion: 2, manifests: listed}))
  return listed
}

const image = (seed: string) => ({schemaVersion: 2, mediaType: MANIFEST,
  config: {mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(Buffer.from('{}')), size: 2},
  layers: [], annotations: {seed}})
const store = (dir: string) => localReferrerStore(new OciLayoutSource(new DirTree(dir), undefined), `oci:${dir}`)

test('tags are ref names, bare (skopeo) or whole references (cosign save); referrers name the subject',
  async (t) => {
  const dir = tempDir(t, 'layout-store')
  const img = image('a')
  const imgDigest = sha(Buffer.from(JSON.stringify(img)))
  const tag = `${imgDigest.replace(':', '-')}.sig`
  const [, sig, ref] = layout(dir, [
    {body: img, annotations: {'org.opencontainers.image.ref.name': 'v1'}},
    {body: image('sig'), annotations: {'org.opencontainers.image.ref.name': `127.0.0.1:5000/app:${tag}`}},
    {body: {...image('ref'), artifactType: 'application/x-ref', subject: {mediaType: MANIFEST, digest: imgDigest,
      size: 1}}},
  ])
  const s = store(dir)
  t.is((await s.headManifest('', tag))?.digest, sig?.digest)
  t.is((await s.getManifest('', tag)).digest, sig?.digest ?? '')
  t.is(await s.headManifest('', 'sha256-nothing.att'), null)
  t.deepEqual((await s.referrersApi('', imgDigest))?.map((d) => [d.digest, d.artifactType]),
    [[ref?.digest, 'application/x-ref']])
  t.is(await s.referrersApi('', sig?.digest ?? ''), null)
  t.true(s.local)
})

test('an entry whose bytes do not hash to its digest is an integrity error, not a missing signature', async (t) => {
  const dir = tempDir(t, 'layout-store-bad')
  layout(dir, [{body: image('a'), annotations: {'org.opencontainers.image.ref.name': 'sha256-00.sig'},
    bytes: Buffer.from(JSON.stringify(image('forged')))}])
  const err = await t.throwsAsync(store(dir).getManifest('', 'sha256-00.sig'))
  t.true(err instanceof ImgvetError && err.code === 'integrity', String(err))
  const scan = await t.throwsAsync(store(dir).referrersApi('', 'sha256:aa'))
  t.true(scan instanceof ImgvetError && scan.code === 'integrity')
})

test('old cosign save: kind alone names the signatures of the one image; with two images nothing is guessed',
  async (t) => {
  const one = tempDir(t, 'layout-store-kind')
  const img = image('a')
  const digest = sha(Buffer.from(JSON.stringify(img)))
  const [, sig] = layout(one, [{body: img, annotations: {kind: 'dev.cosignproject.cosign/image'}},
    {body: image('sig'), annotations: {kind: 'dev.cosignproject.cosign/sigs'}}])
  t.is((await store(one).headManifest('', `${digest.replace(':', '-')}.sig`))?.digest, sig?.digest)
  t.is(await store(one).headManifest('', `${digest.replace(':', '-')}.att`), null)
  const two = tempDir(t, 'layout-store-kind-two')
  layout(two, [{body: img, annotations: {kind: 'dev.cosignproject.cosign/image'}},
    {body: image('b'), annotations: {kind: 'dev.cosignproject.cosign/image'}},
    {body: image('sig'), annotations: {kind: 'dev.cosignproject.cosign/sigs'}}])
  t.is(await store(two).headManifest('', `${digest.replace(':', '-')}.sig`), null)
})

test('a layout of an image and its signatures resolves without a tag to the image itself', async (t) => {
  const dir = tempDir(t, 'layout-store-resolve')
  const [img] = layout(dir, [{body: image('a'), annotations: {'org.opencontainers.image.ref.name': 'v1'}},
    {body: image('s'), annotations: {'org.opencontainers.image.ref.name': `sha256-${'a'.repeat(64)}.sig`}},
    {body: image('k'), annotations: {kind: 'dev.cosignproject.cosign/atts'}}])
  t.is((await new OciLayoutSource(new DirTree(dir), undefined).resolve()).digest, img?.digest ?? '')
})
