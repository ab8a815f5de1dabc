import test from 'ava'
import {ImgvetError} from '../../src/errors.js'
import {resolveTop} from '../../src/image/image.js'
import {loadImage} from '../../src/image/resolve.js'
import {openSource} from '../../src/image/open.js'
import {walkImage} from '../../src/layers/walk.js'
import {RegistrySource} from '../../src/registry/source.js'
import {dockerRef, loadFixtures} from '../support/env.js'
import {drain, registries} from '../support/cli.js'

const fx = loadFixtures()
const AMD64 = {os: 'linux', architecture: 'amd64'}
const ARM64 = {os: 'linux', architecture: 'arm64'}

test('plain HTTP on loopback: resolve, config and a verified layer of the OCI base', async (t) => {
  const logs: string[] = []
  const regs = registries(t, {log: (m) => logs.push(m)})
  const source = await openSource(dockerRef(fx.images.base), regs)
  t.true(source instanceof RegistrySource)
  const top = await resolveTop(source)
  t.is(top.kind, 'image')
  t.is(top.raw.digest, fx.images.base.digest)
  t.is(top.raw.mediaType, 'application/vnd.oci.image.manifest.v1+json')
  const image = await loadImage(source, AMD64, top)
  t.is(image.config.config?.User, fx.baseUser.name)
  t.deepEqual(image.platform, AMD64)
  t.is(image.layers.length, 1)
  const layer = image.layers[0]
  if (!layer) return t.fail('no layer')
  t.is(layer.descriptor.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip')
  t.regex(layer.diffId ?? '', /^sha256:[0-9a-f]{64}$/)
  const got = await drain(await layer.open())
  t.is(got.digest, layer.descriptor.digest)
  t.is(got.bytes, layer.descriptor.size)
  t.true(logs.some((l) => l.startsWith(`using http://${fx.registries.plain.host}`)), 'fell back to http on loopback')
  t.true(regs.bytesDownloaded >= layer.descriptor.size)
})

test('by digest: the manifest bytes are verified against the reference digest', async (t) => {
  const regs = registries(t)
  const source = await openSource(dockerRef(fx.images.base, true), regs)
  const top = await resolveTop(source)
  t.is(top.raw.digest, fx.images.base.digest)
})

test('Docker schema2 media types are read as they are served', async (t) => {
  const regs = registries(t)
  const image = await loadImage(await openSource(dockerRef(fx.images.baseDocker), regs), AMD64)
  t.is(image.digest, fx.images.baseDocker.digest)
  t.is(image.rawManifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json')
  t.is(image.manifest.config.mediaType, 'application/vnd.docker.container.image.v1+json')
  t.deepEqual(image.layers.map((l) => l.descriptor.mediaType), ['application/vnd.docker.image.rootfs.diff.tar.gzip'])
  // same filesystem as the OCI base: same diffIDs
  const oci = await loadImage(await openSource(dockerRef(fx.images.base), regs), AMD64)
  t.deepEqual(image.layers.map((l) => l.diffId), oci.layers.map((l) => l.diffId))
})

for (const [name, img] of [['OCI index', fx.images.multiOci], ['Docker manifest list', fx.images.multiDocker]] as const) {
  test(`${name}: --platform picks linux/arm64 or linux/amd64`, async (t) => {
    const regs = registries(t)
    const source = await openSource(dockerRef(img), regs)
    const top = await resolveTop(source)
    t.is(top.kind, 'index')
    t.is(top.raw.digest, img.digest)
    t.is(top.raw.mediaType, img.mediaType)
    const amd = await loadImage(source, AMD64, top)
    const arm = await loadImage(source, ARM64, top)
    const want = new Map(img.platforms?.map((p) => [p.platform, p.digest]))
    t.is<string | undefined, string | undefined>(amd.digest, want.get('linux/amd64'))
    t.is<string | undefined, string | undefined>(arm.digest, want.get('linux/arm64/v8'))
    t.is(arm.config.architecture, 'arm64')
    t.deepEqual(arm.platform, {os: 'linux', architecture: 'arm64', variant: 'v8'})
    t.is(arm.index?.digest, img.digest)
    // an explicit v8 variant matches too
    t.is<string | undefined, string | undefined>((await loadImage(source, {...ARM64, variant: 'v8'}, top)).digest, want.get('linux/arm64/v8'))
  })

  test(`${name}: a missing platform is not-found and lists the available ones`, async (t) => {
    const regs = registries(t)
    const source = await openSource(dockerRef(img), regs)
    for (const p of [{os: 'linux', architecture: 's390x'}, {os: 'windows', architecture: 'amd64'}, {os: 'linux', architecture: 'arm64', variant: 'v7'}]) {
      const err = await t.throwsAsync(loadImage(source, p), {instanceOf: ImgvetError})
      t.is(err?.code, 'not-found')
      t.is(err?.exitCode, 3)
      t.regex(err?.message ?? '', /available: linux\/amd64, linux\/arm64\/v8\)/)
    }
  })
}

test('a zstd layer is fetched, decompressed and walked; its diffID matches the gzip original', async (t) => {
  const regs = registries(t)
  const zstdImage = await loadImage(await openSource(dockerRef(fx.images.zstd), regs), AMD64)
  t.deepEqual(zstdImage.layers.map((l) => l.descriptor.mediaType), ['application/vnd.oci.image.layer.v1.tar+zstd'])
  const gzImage = await loadImage(await openSource(dockerRef(fx.images.base), regs), AMD64)
  t.is(zstdImage.layers[0]?.diffId, gzImage.layers[0]?.diffId)
  t.not(zstdImage.layers[0]?.descriptor.digest, gzImage.layers[0]?.descriptor.digest)
  const [z, g] = await Promise.all([walkImage(zstdImage, {checks: []}), walkImage(gzImage, {checks: []})])
  t.deepEqual(z.scans[0]?.entries, g.scans[0]?.entries)
  t.like(z.view.entries.get('/bin/busybox'), {type: 'file'})
  t.like(z.view.entries.get('/bin/sh'), {type: 'symlink'})
  t.regex(z.view.files.get('/etc/passwd')?.toString() ?? '', /^app:x:1000:/m)
  t.true(z.stats.bytes > 1024 * 1024)
})

test('catalog follows Link pagination with a small page size', async (t) => {
  const regs = registries(t)
  const client = regs.get(fx.registries.plain.host)
  const repos: string[] = []
  for await (const r of client.catalog(fx.catalog.pageSize)) repos.push(r)
  t.true(repos.length > fx.catalog.pageSize * 2, 'more than two pages')
  t.deepEqual(repos, fx.catalog.repositories)
  const one: string[] = []
  for await (const r of client.catalog(1)) one.push(r)
  t.deepEqual(one, fx.catalog.repositories)
})

test('tags are listed sorted; HEAD gives a descriptor or null', async (t) => {
  const regs = registries(t)
  const client = regs.get(fx.registries.plain.host)
  const tags = await client.tags(fx.images.base.repository)
  t.deepEqual(tags, [...tags].sort())
  t.true(tags.includes('oci') && tags.includes('docker'))
  const head = await client.headManifest(fx.images.base.repository, 'oci')
  t.like(head, {digest: fx.images.base.digest, mediaType: fx.images.base.mediaType})
  t.is(await client.headManifest(fx.images.base.repository, 'no-such-tag'), null)
})

// A typo is not retried by a wrapper that retries on 3: the user's own reference naming nothing is exit 2.
test('unknown repository, tag and digest are no-such-image (exit 2) named by what the registry lacks', async (t) => {
  const regs = registries(t)
  const base = `${fx.registries.plain.host}/imgvet/base`
  for (const [ref, message] of [[`${base}:no-such-tag`, 'no such tag (tags: '], [`${fx.registries.plain.host}/imgvet/nothing:latest`, 'no such repository'],
    [`${base}@sha256:${'1'.repeat(64)}`, 'no such manifest']] as const) {
    const err = await t.throwsAsync(resolveTop(await openSource(ref, regs)), {instanceOf: ImgvetError})
    t.is(err?.code, 'no-such-image', ref)
    t.is(err?.exitCode, 2)
    t.true(err?.message.startsWith(message), err?.message)
  }
  const client = regs.get(fx.registries.plain.host)
  const missing = `sha256:${'0'.repeat(64)}`
  const err = await t.throwsAsync(client.openBlob(fx.images.base.repository, {digest: missing, size: 1}), {instanceOf: ImgvetError})
  t.is(err?.code, 'not-found')
})

test('a wrong descriptor size for a real blob is an integrity error before any byte is trusted', async (t) => {
  const regs = registries(t)
  const image = await loadImage(await openSource(dockerRef(fx.images.base), regs), AMD64)
  const client = regs.get(fx.registries.plain.host)
  const layer = image.layers[0]?.descriptor
  if (!layer) return t.fail('no layer')
  const err = await t.throwsAsync(client.openBlob(fx.images.base.repository, {digest: layer.digest, size: layer.size - 1}), {instanceOf: ImgvetError})
  t.is(err?.code, 'integrity')
})

test('nothing listens: a network error (exit 3), not a crash', async (t) => {
  const regs = registries(t, {timeoutMs: 3000, retries: 0})
  const err = await t.throwsAsync(resolveTop(await openSource('127.0.0.1:1/imgvet/base:oci', regs)), {instanceOf: ImgvetError})
  t.is(err?.code, 'network')
  t.is(err?.exitCode, 3)
  t.regex(err?.message ?? '', /ECONNREFUSED/)
})
