import test from 'ava'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {ImgvetError} from '../../src/errors.js'
import {resolveTop, type Image} from '../../src/image/image.js'
import {loadImage} from '../../src/image/resolve.js'
import {openSource} from '../../src/image/open.js'
import {pullToLayout} from '../../src/image/pull.js'
import {walkImage} from '../../src/layers/walk.js'
import {run} from '../support/exec.js'
import {dockerRef, loadFixtures} from '../support/env.js'
import {startHostileRegistry} from '../support/hostile-registry.js'
import {drain, registries, tempDir} from '../support/cli.js'

const fx = loadFixtures()
const AMD64 = {os: 'linux', architecture: 'amd64'}
const {dockerArchive, ociArchive, ociLayout} = fx.archives

async function load(t: Parameters<typeof registries>[0], ref: string): Promise<Image> {
  return loadImage(await openSource(ref, registries(t)), AMD64)
}

async function skopeoInspect(ref: string, extra: string[] = []): Promise<{Digest: string; Architecture: string; Layers: string[]; LayersData?: Array<{MIMEType: string}>}> {
  const {stdout} = await run('skopeo', ['inspect', ...extra, ref])
  return JSON.parse(stdout) as {Digest: string; Architecture: string; Layers: string[]}
}

async function skopeoRaw(ref: string): Promise<{mediaType?: string; manifests?: unknown[]}> {
  const {stdout} = await run('skopeo', ['inspect', '--raw', ref])
  return JSON.parse(stdout) as {mediaType?: string}
}

test('OCI layout dir, oci-archive and docker-archive give the registry image\'s config and layer diffIDs', async (t) => {
  const registry = await load(t, dockerRef(fx.images.base))
  const layout = await load(t, `oci:${ociLayout.dir}:${ociLayout.tag}`)
  const archive = await load(t, `oci-archive:${ociArchive.path}:${ociArchive.tag}`)
  const docker = await load(t, `docker-archive:${dockerArchive.path}`)
  const diffIds = registry.layers.map((l) => l.diffId)
  t.is(diffIds.length, 1)
  for (const [name, img] of [['oci layout', layout], ['oci-archive', archive], ['docker-archive', docker]] as const) {
    t.deepEqual(img.layers.map((l) => l.diffId), diffIds, name)
    t.deepEqual(img.config.rootfs, registry.config.rootfs, name)
    t.deepEqual(img.config.config, registry.config.config, name)
    t.is(img.config.architecture, 'amd64', name)
  }
  // skopeo copied without conversion: same manifest digest in the layout and the archive
  t.is(layout.digest, fx.archives.ociDigest)
  t.is(archive.digest, fx.archives.ociDigest)
  t.is(layout.digest, registry.digest)
  // docker-archive has no registry manifest: a Docker schema2 one is synthesised around the saved files
  t.is(docker.rawManifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json')
})

test('every source walks to the same filesystem (diffIDs verified on the way)', async (t) => {
  const refs = [`oci:${ociLayout.dir}:${ociLayout.tag}`, `oci-archive:${ociArchive.path}:${ociArchive.tag}`, `docker-archive:${dockerArchive.path}`]
  const walks = []
  for (const ref of refs) walks.push(await walkImage(await load(t, ref), {checks: []}))
  const [a, b, c] = walks.map((w) => w.scans[0]?.entries)
  t.true((a?.length ?? 0) > 100)
  t.deepEqual(b, a)
  t.deepEqual(c, a)
})

test('a zstd OCI layout walks like the gzip one', async (t) => {
  const z = await load(t, `oci:${fx.archives.zstdLayout.dir}:${fx.archives.zstdLayout.tag}`)
  t.deepEqual(z.layers.map((l) => l.descriptor.mediaType), ['application/vnd.oci.image.layer.v1.tar+zstd'])
  const g = await load(t, `oci:${ociLayout.dir}:${ociLayout.tag}`)
  t.deepEqual((await walkImage(z, {checks: []})).scans[0]?.entries, (await walkImage(g, {checks: []})).scans[0]?.entries)
})

test('local sources: unknown tag is no-such-image (exit 2), missing dir is bad-input, untagged single image resolves', async (t) => {
  const regs = registries(t)
  const noTag = await t.throwsAsync(resolveTop(await openSource(`oci:${ociLayout.dir}:nope`, regs)), {instanceOf: ImgvetError})
  t.is(noTag?.code, 'no-such-image')
  t.is(noTag?.exitCode, 2)
  t.regex(noTag?.message ?? '', /tags: latest/)
  const noDir = await t.throwsAsync(openSource('oci:/nonexistent/imgvet-layout', regs), {instanceOf: ImgvetError})
  t.is(noDir?.code, 'bad-input')
  t.is(noDir?.exitCode, 2)
  const untagged = await resolveTop(await openSource(`oci:${ociLayout.dir}`, regs))
  t.is(untagged.raw.digest, fx.archives.ociDigest)
  const notArchive = await t.throwsAsync(async () => resolveTop(await openSource(`oci-archive:${join(ociLayout.dir, 'index.json')}`, regs)), {instanceOf: ImgvetError})
  t.is(notArchive?.code, 'bad-input')
})

test('a layout blob altered on disk is caught when it is read', async (t) => {
  const dir = tempDir(t)
  await run('cp', ['-r', ociLayout.dir, join(dir, 'copy')])
  const copy = join(dir, 'copy')
  const image = await load(t, `oci:${copy}:${ociLayout.tag}`)
  const layer = image.layers[0]
  if (!layer) return t.fail('no layer')
  const file = join(copy, 'blobs', 'sha256', layer.descriptor.digest.slice(7))
  const bytes = readFileSync(file)
  bytes[100] = (bytes[100] ?? 0) ^ 0xff
  writeFileSync(file, bytes)
  const err = await t.throwsAsync(async () => drain(await layer.open()), {instanceOf: ImgvetError})
  t.is(err?.code, 'integrity')
})

// skopeo names docker-archive images as PATH:docker-reference (the fixture archive was written that way).
test('docker-archive:FILE:repo:tag, as skopeo writes it, selects the image', async (t) => {
  const img = await load(t, `docker-archive:${dockerArchive.path}:${dockerArchive.ref}`)
  t.is(img.config.config?.User, fx.baseUser.name)
})

test('pull of an OCI image writes a layout skopeo reads, with the same manifest digest', async (t) => {
  const dir = join(tempDir(t), 'layout')
  const regs = registries(t)
  const res = await pullToLayout(await openSource(dockerRef(fx.images.base), regs), dir, {platform: AMD64, tag: 'v1'})
  t.is(res.digest, fx.images.base.digest)
  t.is(res.sourceDigest, fx.images.base.digest)
  t.is(res.blobs, 2)
  t.is(res.blobsSkipped, 0)
  const info = await skopeoInspect(`oci:${dir}:v1`)
  t.is(info.Digest, fx.images.base.digest)
  t.is(info.Architecture, 'amd64')
  t.deepEqual(readdirSync(join(dir, 'blobs', 'sha256')).filter((f) => f.includes('.tmp-')), [], 'no temp files left')
  // umoci reads it as well
  const {stdout} = await run('umoci', ['stat', '--json', '--image', `${dir}:v1`])
  t.true((JSON.parse(stdout) as {history?: unknown[]}).history !== undefined)
  // a second pull into the same layout skips what is there and keeps one entry per tag
  const again = await pullToLayout(await openSource(dockerRef(fx.images.base), regs), dir, {platform: AMD64, tag: 'v1'})
  t.is(again.blobsSkipped, 2)
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {manifests: unknown[]}
  t.is(index.manifests.length, 1)
})

test('pull of a Docker-typed image converts the manifest to OCI as skopeo does; blobs are unchanged', async (t) => {
  const dir = join(tempDir(t), 'layout')
  const regs = registries(t)
  const res = await pullToLayout(await openSource(dockerRef(fx.images.baseDocker), regs), dir, {platform: AMD64, tag: 'docker'})
  t.is(res.sourceDigest, fx.images.baseDocker.digest)
  t.not(res.digest, fx.images.baseDocker.digest)
  t.is(res.mediaType, 'application/vnd.oci.image.manifest.v1+json')
  const raw = await skopeoRaw(`oci:${dir}:docker`)
  t.is(raw.mediaType, 'application/vnd.oci.image.manifest.v1+json')
  const info = await skopeoInspect(`oci:${dir}:docker`)
  t.is(info.Digest, res.digest)
  const original = await load(t, dockerRef(fx.images.baseDocker))
  t.deepEqual(info.Layers, original.layers.map((l) => l.descriptor.digest))
  // and imgvet reads back the same filesystem from what it wrote
  const back = await load(t, `oci:${dir}:docker`)
  t.deepEqual(back.layers.map((l) => l.diffId), original.layers.map((l) => l.diffId))
})

for (const [name, img] of [['an OCI index', fx.images.multiOci], ['a Docker manifest list', fx.images.multiDocker]] as const) {
  test(`pull --all-platforms of ${name} writes an OCI index; skopeo selects either platform`, async (t) => {
    const dir = join(tempDir(t), 'layout')
    const regs = registries(t)
    const res = await pullToLayout(await openSource(dockerRef(img), regs), dir, {platform: AMD64, allPlatforms: true, tag: 'all'})
    t.is(res.sourceDigest, img.digest)
    t.is(res.mediaType, 'application/vnd.oci.image.index.v1+json')
    if (img.mediaType === 'application/vnd.oci.image.index.v1+json') t.is(res.digest, img.digest)
    const raw = await skopeoRaw(`oci:${dir}:all`)
    t.is(raw.mediaType, 'application/vnd.oci.image.index.v1+json')
    t.is(raw.manifests?.length, 2)
    t.is((await skopeoInspect(`oci:${dir}:all`, ['--override-arch', 'arm64'])).Architecture, 'arm64')
    t.is((await skopeoInspect(`oci:${dir}:all`, ['--override-arch', 'amd64'])).Architecture, 'amd64')
  })
}

test('pull of one platform from an index records that platform in index.json', async (t) => {
  const dir = join(tempDir(t), 'layout')
  const regs = registries(t)
  const res = await pullToLayout(await openSource(dockerRef(fx.images.multiOci), regs), dir, {platform: {os: 'linux', architecture: 'arm64'}, tag: 'arm'})
  t.is<string | undefined, string | undefined>(res.digest, fx.images.multiOci.platforms?.find((p) => p.platform === 'linux/arm64/v8')?.digest)
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {manifests: Array<{platform?: unknown}>}
  t.deepEqual(index.manifests[0]?.platform, {os: 'linux', architecture: 'arm64', variant: 'v8'})
  t.is((await skopeoInspect(`oci:${dir}:arm`)).Architecture, 'arm64')
})

test('a failed pull from a lying registry leaves no blob under the bad digest, no temp file and no index', async (t) => {
  const h = await startHostileRegistry({rules: [{target: 'layer', misbehave: {kind: 'corrupt'}}]})
  t.teardown(() => h.stop())
  const dir = join(tempDir(t), 'layout')
  const regs = registries(t, {timeoutMs: 3000, retries: 0})
  const err = await t.throwsAsync(pullToLayout(await openSource(`${h.host}/hostile/valid:latest`, regs), dir, {platform: AMD64, tag: 'x'}), {instanceOf: ImgvetError})
  t.is(err?.code, 'integrity')
  const layer = h.images['hostile/valid']?.layers[0]
  if (!layer) return t.fail('no layer')
  const files = readdirSync(join(dir, 'blobs', 'sha256'))
  t.false(files.includes(layer.digest.slice(7)), 'the corrupt layer was never renamed into place')
  t.deepEqual(files.filter((f) => f.includes('.tmp-')), [])
  t.false(files.includes(h.images['hostile/valid']?.manifestDigest.slice(7) ?? ''), 'no manifest pointing at missing blobs')
  t.false(existsSync(join(dir, 'index.json')))
})
