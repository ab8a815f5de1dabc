import test from 'ava'
import {ImgvetError} from '../../src/errors.js'
import {resolveTop} from '../../src/image/image.js'
import {loadImage} from '../../src/image/resolve.js'
import {openSource} from '../../src/image/open.js'
import {walkImage} from '../../src/layers/walk.js'
import {startHostileRegistry, sha256, type HostileOptions, type HostileRegistry, type TestImage} from '../support/hostile-registry.js'
import {drain, registries} from '../support/cli.js'
import type {RegistryOptions} from '../../src/registry/options.js'

const AMD64 = {os: 'linux', architecture: 'amd64'}
const MiB = 1024 * 1024

async function hostile(t: {teardown: (fn: () => Promise<void>) => void}, opts: HostileOptions = {}): Promise<HostileRegistry> {
  const h = await startHostileRegistry(opts)
  t.teardown(() => h.stop())
  return h
}

function validImage(h: HostileRegistry): TestImage {
  const img = h.images['hostile/valid']
  if (!img) throw new Error('hostile registry serves no hostile/valid')
  return img
}

// Small timeouts and fast retries: the hostile cases must end quickly whatever the server does.
const FAST: RegistryOptions = {timeoutMs: 1500, retries: 3}

async function loadValid(t: Parameters<typeof registries>[0], h: HostileRegistry, opts: RegistryOptions = FAST) {
  const regs = registries(t, opts)
  return loadImage(await openSource(`${h.host}/hostile/valid:latest`, regs), AMD64)
}

test('the hostile registry serves a valid image honestly when no rule fires (control)', async (t) => {
  const h = await hostile(t)
  const image = await loadValid(t, h)
  t.is(image.digest, validImage(h).manifestDigest)
  const res = await walkImage(image, {checks: []})
  t.true(res.view.entries.has('/hello.txt'))
})

test('a corrupted layer blob (same size, wrong bytes) is an integrity error', async (t) => {
  const h = await hostile(t, {rules: [{target: 'layer', misbehave: {kind: 'corrupt'}}]})
  const image = await loadValid(t, h)
  const layer = image.layers[0]
  if (!layer) return t.fail('no layer')
  const err = await t.throwsAsync(drain(await layer.open()), {instanceOf: ImgvetError})
  t.is(err?.code, 'integrity')
  t.regex(err?.message ?? '', /digest mismatch/)
  // and the walk fails with the same error instead of returning a result for bytes that are not the layer
  const walkErr = await t.throwsAsync(walkImage(image, {checks: []}), {instanceOf: ImgvetError})
  t.is(walkErr?.code, 'integrity')
})

test('a corrupted config blob is an integrity error before the config is parsed', async (t) => {
  const h = await hostile(t, {rules: [{target: 'config', misbehave: {kind: 'corrupt'}}]})
  const err = await t.throwsAsync(loadValid(t, h), {instanceOf: ImgvetError})
  t.is(err?.code, 'integrity')
})

test('a blob whose body is shorter than its descriptor is an integrity error', async (t) => {
  const h = await hostile(t, {rules: [{target: 'layer', misbehave: {kind: 'short-body'}}]})
  const image = await loadValid(t, h)
  const layer = image.layers[0]
  if (!layer) return t.fail('no layer')
  const err = await t.throwsAsync(async () => drain(await layer.open()), {instanceOf: ImgvetError})
  t.is(err?.code, 'integrity')
  t.regex(err?.message ?? '', /size mismatch/)
})

// The consumer never sees a clean end: the read fails, and as the blob's size failing, not as a socket error.
test('a blob cut off mid-transfer is an integrity error', async (t) => {
  const h = await hostile(t, {rules: [{target: 'layer', misbehave: {kind: 'truncate'}}]})
  const image = await loadValid(t, h, {...FAST, retries: 0})
  const layer = image.layers[0]
  if (!layer) return t.fail('no layer')
  const err = await t.throwsAsync(async () => drain(await layer.open()), {instanceOf: ImgvetError})
  t.is(err?.exitCode, 3)
  t.is(err?.code, 'integrity')
})

test('a manifest that does not hash to the digest asked for is an integrity error', async (t) => {
  const h = await hostile(t, {rules: [{target: 'manifest', misbehave: {kind: 'wrong-manifest'}}]})
  const regs = registries(t, FAST)
  const digest = validImage(h).manifestDigest
  const byDigest = await t.throwsAsync(resolveTop(await openSource(`${h.host}/hostile/valid@${digest}`, regs)), {instanceOf: ImgvetError})
  t.is(byDigest?.code, 'integrity')
  // by tag: the Docker-Content-Digest header claims the right digest, the bytes say otherwise
  const byTag = await t.throwsAsync(resolveTop(await openSource(`${h.host}/hostile/valid:latest`, regs)), {instanceOf: ImgvetError})
  t.is(byTag?.code, 'integrity')
})

test('429 with Retry-After is retried, then succeeds', async (t) => {
  const h = await hostile(t, {rules: [{target: 'manifest', method: 'GET', misbehave: {kind: 'status', status: 429, retryAfter: '1'}, times: 2}]})
  const image = await loadValid(t, h)
  t.is(image.digest, validImage(h).manifestDigest)
  t.is(h.hits[0], 2)
  t.is(h.requests.filter((r) => r.method === 'GET' && r.url.includes('/manifests/')).length, 3, 'two 429s, then the answer')
})

test('429 beyond the retry budget is a registry error naming the rate limit', async (t) => {
  const h = await hostile(t, {rules: [{target: 'manifest', misbehave: {kind: 'status', status: 429, retryAfter: '0'}}]})
  const err = await t.throwsAsync(loadValid(t, h, {...FAST, retries: 2}), {instanceOf: ImgvetError})
  t.is(err?.code, 'registry')
  t.regex(err?.message ?? '', /rate limited/)
  t.is(h.hits[0], 3, 'one try and two retries')
})

test('503 is retried, then succeeds; a blob 503 as well', async (t) => {
  const h = await hostile(t, {rules: [
    {target: 'manifest', misbehave: {kind: 'status', status: 503}, times: 2},
    {target: 'layer', misbehave: {kind: 'status', status: 503}, times: 1},
  ]})
  const image = await loadValid(t, h)
  const layer = image.layers[0]
  if (!layer) return t.fail('no layer')
  t.is((await drain(await layer.open())).digest, layer.descriptor.digest)
  t.deepEqual(h.hits, [2, 1])
})

test('a 404 is not retried', async (t) => {
  const h = await hostile(t)
  const regs = registries(t, FAST)
  const err = await t.throwsAsync(resolveTop(await openSource(`${h.host}/hostile/absent:latest`, regs)), {instanceOf: ImgvetError})
  t.is(err?.code, 'no-such-image')
  // The tag is resolved by HEAD; its 404 says nothing about why, so one GET fetches the error body that does.
  t.deepEqual(h.requests.filter((r) => r.url.includes('/hostile/absent/')).map((r) => r.method), ['HEAD', 'GET'])
})

for (const scheme of ['basic', 'bearer'] as const) {
  test(`a blob redirect to another host gets no Authorization header (${scheme}) and still verifies`, async (t) => {
    const auth = scheme === 'basic' ? {scheme, username: 'u', password: 'p'} as const : {scheme, username: 'u', password: 'p'} as const
    const h = await hostile(t, {auth, rules: [{target: 'blob', misbehave: {kind: 'redirect'}}]})
    const image = await loadValid(t, h, {...FAST, username: 'u', password: 'p'})
    const layer = image.layers[0]
    if (!layer) return t.fail('no layer')
    t.is((await drain(await layer.open())).digest, layer.descriptor.digest)
    t.true(h.redirectRequests.length >= 2, 'config and layer came from the other host')
    for (const r of h.redirectRequests) t.is(r.headers.authorization, undefined, r.url)
    const blobAsks = h.requests.filter((r) => r.url.includes('/blobs/'))
    t.true(blobAsks.length >= 2)
    t.true(blobAsks.every((r) => typeof r.headers.authorization === 'string'), 'the registry itself did get the credentials')
  })
}

test('a 64 MiB manifest with Content-Length is refused as too-large from the header', async (t) => {
  const h = await hostile(t, {rules: [{target: 'manifest', misbehave: {kind: 'huge', bytes: 64 * MiB}}]})
  const err = await t.throwsAsync(loadValid(t, h), {instanceOf: ImgvetError})
  t.is(err?.code, 'too-large')
  t.regex(err?.message ?? '', /67108864 bytes exceeds/)
})

test('a 64 MiB chunked manifest is refused as too-large after the limit, not read to the end', async (t) => {
  const h = await hostile(t, {rules: [{target: 'manifest', misbehave: {kind: 'huge', bytes: 64 * MiB, chunked: true}}]})
  const err = await t.throwsAsync(loadValid(t, h), {instanceOf: ImgvetError})
  t.is(err?.code, 'too-large')
  t.regex(err?.message ?? '', /larger than 4194304 bytes/)
})

test('a server that never answers ends with a timeout error', async (t) => {
  t.timeout(15_000)
  const h = await hostile(t, {rules: [{target: 'manifest', misbehave: {kind: 'hang'}}]})
  const err = await t.throwsAsync(loadValid(t, h, {timeoutMs: 1500, retries: 1}), {instanceOf: ImgvetError})
  t.is(err?.code, 'timeout')
  t.is(err?.exitCode, 3)
  t.regex(err?.message ?? '', /no answer within/)
})

test('a ping that never answers ends with a timeout error too', async (t) => {
  t.timeout(15_000)
  const h = await hostile(t, {rules: [{target: 'ping', misbehave: {kind: 'hang'}}]})
  const err = await t.throwsAsync(loadValid(t, h, {timeoutMs: 1500, retries: 0}), {instanceOf: ImgvetError})
  t.is(err?.code, 'timeout')
})

test('a gzip bomb layer is stopped by maxLayerBytes as a hostile-layer error', async (t) => {
  const h = await hostile(t, {bombSize: 256 * MiB})
  const regs = registries(t, FAST)
  const image = await loadImage(await openSource(`${h.host}/hostile/bomb:latest`, regs), AMD64)
  const layer = image.layers[0]
  if (!layer) return t.fail('no layer')
  t.true(layer.descriptor.size < 2 * MiB, 'small on the wire')
  const err = await t.throwsAsync(walkImage(image, {checks: [], maxLayerBytes: 16 * MiB}), {instanceOf: ImgvetError})
  t.is(err?.code, 'hostile-layer')
  t.regex(err?.message ?? '', /decompression bomb/)
})

function schema1Image(mediaType: string): TestImage {
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 1, name: 'hostile/old', tag: 'latest', architecture: 'amd64',
    fsLayers: [{blobSum: sha256('layer')}], history: [{v1Compatibility: '{}'}],
    signatures: [{header: {alg: 'ES256'}, signature: 'c2ln', protected: 'cHJvdA'}],
  }))
  const config = {mediaType: 'application/octet-stream', digest: sha256('{}'), size: 2, data: Buffer.from('{}')}
  return {manifest, manifestDigest: sha256(manifest), manifestMediaType: mediaType, config, layers: [], diffIds: [], blobs: new Map()}
}

for (const mediaType of ['application/vnd.docker.distribution.manifest.v1+prettyjws', 'application/json']) {
  test(`a schema1 manifest (served as ${mediaType}) is refused as unsupported`, async (t) => {
    const h = await hostile(t, {images: {'hostile/old': schema1Image(mediaType)}})
    const regs = registries(t, FAST)
    const err = await t.throwsAsync(resolveTop(await openSource(`${h.host}/hostile/old:latest`, regs)), {instanceOf: ImgvetError})
    t.is(err?.code, 'unsupported')
    t.regex(err?.message ?? '', /schema1/)
  })
}
