import test from 'ava'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {LayerCache, layerCacheKey} from '../../src/cache/layer-cache.js'
import {DEFAULT_MAX_LAYER_BYTES, DEFAULT_MAX_TEXT_BYTES, walkImage} from '../../src/layers/walk.js'
import {ImgvetError} from '../../src/errors.js'
import {imageOf, makeTar, markerCheck, linkCheck, sha256} from './helpers.js'

const SECRET = 'CacheSecretValue12345'

function cacheDir(t: {teardown: (fn: () => void) => void}): string {
  const dir = mkdtempSync(join(process.env['IMGVET_TEST_TMP'] ?? tmpdir(), 'imgvet-layer-cache-'))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

function cacheFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((d) => readdirSync(join(dir, d)).map((f) => join(dir, d, f)))
}

async function twoLayerImage() {
  const l0 = await makeTar([{name: 'etc/'}, {name: 'etc/app.conf', content: `token=MARKER{${SECRET}}`}, {name: 'bin/'}, {name: 'bin/sh', type: 'symlink', linkname: 'busybox'}])
  const l1 = await makeTar([{name: 'etc/.wh.app.conf'}])
  return imageOf([{tar: l0}, {tar: l1}])
}

test('a second walk is served from the cache and gives the same result', async (t) => {
  const cache = new LayerCache(cacheDir(t))
  const checks = [markerCheck(1), linkCheck()]
  const {image, source} = await twoLayerImage()
  const first = await walkImage(image, {checks, cache})
  t.is(first.stats.layersScanned, 2)
  t.is(first.stats.layersFromCache, 0)
  const openedAfterFirst = source.opened
  const second = await walkImage(image, {checks, cache})
  t.is(second.stats.layersScanned, 0)
  t.is(second.stats.layersFromCache, 2)
  t.is(source.opened, openedAfterFirst, 'no blob is opened for cached layers')
  t.deepEqual(second.findings, first.findings)
  t.deepEqual([...second.view.entries], [...first.view.entries])
  t.true(first.view.entries.has('/bin/sh'))
  t.is(second.findings[0]?.removedIn?.index, 1)
})

test('changing a check version misses the cache; the old entry stays for the old version', async (t) => {
  const dir = cacheDir(t)
  const cache = new LayerCache(dir)
  const {image} = await twoLayerImage()
  await walkImage(image, {checks: [markerCheck(1)], cache})
  t.is(cacheFiles(dir).length, 2)
  const bumped = await walkImage(image, {checks: [markerCheck(2)], cache})
  t.is(bumped.stats.layersScanned, 2)
  t.is(bumped.stats.layersFromCache, 0)
  t.is(cacheFiles(dir).length, 4)
  const old = await walkImage(image, {checks: [markerCheck(1)], cache})
  t.is(old.stats.layersFromCache, 2)
  // adding a check is a different key too
  const more = await walkImage(image, {checks: [markerCheck(1), linkCheck()], cache})
  t.is(more.stats.layersScanned, 2)
})

test('the key holds the (digest, diffID) pair, check ids+versions (order-free) and walk options', (t) => {
  const pair = {digest: `sha256:${'3'.repeat(64)}`, diffId: `sha256:${'1'.repeat(64)}`}
  const a = markerCheck(1)
  const b = linkCheck()
  const base = layerCacheKey(pair, [a, b], {maxLayerBytes: 10})
  t.regex(base, /^[0-9a-f]{64}$/)
  t.is(layerCacheKey(pair, [b, a], {maxLayerBytes: 10}), base)
  t.not(layerCacheKey(pair, [markerCheck(2), b], {maxLayerBytes: 10}), base)
  t.not(layerCacheKey(pair, [a], {maxLayerBytes: 10}), base)
  t.not(layerCacheKey(pair, [a, b], {maxLayerBytes: 11}), base)
  t.not(layerCacheKey({...pair, diffId: `sha256:${'2'.repeat(64)}`}, [a, b], {maxLayerBytes: 10}), base)
  const otherBlob = {...pair, digest: `sha256:${'4'.repeat(64)}`}
  t.not(layerCacheKey(otherBlob, [a, b], {maxLayerBytes: 10}), base, 'same claimed diffID, other blob')
})

test('a different maxLayerBytes is a cache miss', async (t) => {
  const cache = new LayerCache(cacheDir(t))
  const {image} = await twoLayerImage()
  await walkImage(image, {checks: [markerCheck()], cache, maxLayerBytes: 1024 * 1024})
  const other = await walkImage(image, {checks: [markerCheck()], cache, maxLayerBytes: 2 * 1024 * 1024})
  t.is(other.stats.layersFromCache, 0)
})

test('cached entries never hold the raw secret, only its fingerprint and redacted evidence', async (t) => {
  const dir = cacheDir(t)
  const {image} = await twoLayerImage()
  await walkImage(image, {checks: [markerCheck()], cache: new LayerCache(dir)})
  const all = cacheFiles(dir).map((f) => gunzipSync(readFileSync(f)).toString('utf8')).join('\n')
  t.true(all.includes('/etc/app.conf'))
  t.false(all.includes(SECRET))
})

test('a corrupt cache file is a miss and the layer is rescanned', async (t) => {
  const dir = cacheDir(t)
  const cache = new LayerCache(dir)
  const {image} = await twoLayerImage()
  const first = await walkImage(image, {checks: [markerCheck()], cache})
  for (const f of cacheFiles(dir)) rmSync(f)
  const l0 = image.layers[0]
  if (!l0?.diffId) return t.fail('no layer')
  const options = {maxLayerBytes: DEFAULT_MAX_LAYER_BYTES, maxTextBytes: DEFAULT_MAX_TEXT_BYTES}
  const key = layerCacheKey({digest: l0.descriptor.digest, diffId: l0.diffId}, [markerCheck()], options)
  mkdirSync(join(dir, key.slice(0, 2)), {recursive: true})
  writeFileSync(join(dir, key.slice(0, 2), `${key}.json.gz`), 'not gzip')
  const again = await walkImage(image, {checks: [markerCheck()], cache})
  t.is(again.stats.layersScanned, 2)
  t.notThrows(() => gunzipSync(readFileSync(join(dir, key.slice(0, 2), `${key}.json.gz`))), 'the rescan rewrote that entry')
  t.deepEqual(again.findings, first.findings)
})

test('prune drops the least recently used entries past the bound', async (t) => {
  const dir = cacheDir(t)
  const {image} = await twoLayerImage()
  await walkImage(image, {checks: [markerCheck(1)], cache: new LayerCache(dir)})
  await walkImage(image, {checks: [markerCheck(2)], cache: new LayerCache(dir)})
  t.is(cacheFiles(dir).length, 4)
  t.is(new LayerCache(dir, 3).prune(), 1)
  t.is(cacheFiles(dir).length, 3)
})

// Issue 11 item 1: a config that claims a cached clean layer's diffID for a blob holding a secret.
async function cleanAndLying() {
  const clean = await makeTar([{name: 'etc/'}, {name: 'etc/app.conf', content: 'nothing to see\n'}])
  const secret = await makeTar([{name: 'etc/'}, {name: 'etc/app.conf', content: `token=MARKER{${SECRET}}\n`}])
  const honest = await imageOf([{tar: clean}])
  const lying = await imageOf([{tar: secret, diffId: sha256(clean)}])
  return {honest, lying}
}

test('a borrowed diffID never hits the cache: the lying blob is read and fails as integrity, cold or warm', async (t) => {
  const cache = new LayerCache(cacheDir(t))
  const {honest, lying} = await cleanAndLying()
  t.is(lying.image.layers[0]?.diffId, honest.image.layers[0]?.diffId, 'the lie: both configs claim one diffID')
  const cold = await t.throwsAsync(walkImage(lying.image, {checks: [markerCheck()], cache}), {instanceOf: ImgvetError})
  t.is(cold?.code, 'integrity')
  t.is(cold?.exitCode, 3)
  const clean = await walkImage(honest.image, {checks: [markerCheck()], cache})
  t.is(clean.stats.layersScanned, 1)
  t.deepEqual(clean.findings, [])
  const before = lying.source.opened
  const warm = await t.throwsAsync(walkImage(lying.image, {checks: [markerCheck()], cache}), {instanceOf: ImgvetError})
  t.is(warm?.code, 'integrity')
  t.regex(warm?.message ?? '', /diffID mismatch/)
  t.true(lying.source.opened > before, 'the blob was opened although its claimed diffID is cached')
  t.is(cache.hits, 0)
  // and the honest image still comes from the cache
  t.is((await walkImage(honest.image, {checks: [markerCheck()], cache})).stats.layersFromCache, 1)
})

test('the same content behind another compressed digest is scanned once more, then has its own entry', async (t) => {
  const cache = new LayerCache(cacheDir(t))
  const tar = await makeTar([{name: 'etc/app.conf', content: `token=MARKER{${SECRET}}\n`}])
  const gz = await imageOf([{tar}])
  const plain = await imageOf([{tar, compression: 'none'}])
  t.not(gz.image.layers[0]?.descriptor.digest, plain.image.layers[0]?.descriptor.digest)
  const a = await walkImage(gz.image, {checks: [markerCheck()], cache})
  const b = await walkImage(plain.image, {checks: [markerCheck()], cache})
  t.is(b.stats.layersScanned, 1)
  const c = await walkImage(plain.image, {checks: [markerCheck()], cache})
  t.is(c.stats.layersFromCache, 1)
  t.is(c.scans[0]?.digest, plain.image.layers[0]?.descriptor.digest, 'a hit reports this image\'s blob')
  t.deepEqual(c.findings.map((f) => f.fingerprint), a.findings.map((f) => f.fingerprint))
})

test('a layer with escaping names round-trips through the cache with its path-escape findings', async (t) => {
  const cache = new LayerCache(cacheDir(t))
  const tar = await makeTar([
    {name: '../../etc/cron.d/x', content: 'evil'},
    {name: 'app/', type: 'directory'},
    {name: 'app/up', type: 'symlink', linkname: '../../../root'},
    {name: 'app/conf', content: `token=MARKER{${SECRET}}\n`},
  ])
  const {image, source} = await imageOf([{tar}])
  const first = await walkImage(image, {checks: [markerCheck()], cache})
  const opened = source.opened
  const second = await walkImage(image, {checks: [markerCheck()], cache})
  t.is(second.stats.layersFromCache, 1)
  t.is(source.opened, opened)
  t.deepEqual(second.findings, first.findings)
  const found = first.findings.map((f) => `${f.id} ${f.path}`).sort()
  t.deepEqual(found, ['layer.path-escape ../../etc/cron.d/x', 'layer.path-escape /app/up', 'test.marker /app/conf'])
})
