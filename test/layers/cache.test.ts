import test from 'ava'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {LayerCache, layerCacheKey} from '../../src/cache/layer-cache.js'
import {walkImage} from '../../src/layers/walk.js'
import {imageOf, makeTar, markerCheck, linkCheck} from './helpers.js'

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

test('the key holds diffID, check ids+versions (order-free) and walk options', (t) => {
  const diff = `sha256:${'1'.repeat(64)}`
  const a = markerCheck(1)
  const b = linkCheck()
  const base = layerCacheKey(diff, [a, b], {maxLayerBytes: 10})
  t.regex(base, /^[0-9a-f]{64}$/)
  t.is(layerCacheKey(diff, [b, a], {maxLayerBytes: 10}), base)
  t.not(layerCacheKey(diff, [markerCheck(2), b], {maxLayerBytes: 10}), base)
  t.not(layerCacheKey(diff, [a], {maxLayerBytes: 10}), base)
  t.not(layerCacheKey(diff, [a, b], {maxLayerBytes: 11}), base)
  t.not(layerCacheKey(`sha256:${'2'.repeat(64)}`, [a, b], {maxLayerBytes: 10}), base)
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
  const key = layerCacheKey(image.layers[0]?.diffId ?? '', [markerCheck()], {maxLayerBytes: 32 * 1024 ** 3})
  mkdirSync(join(dir, key.slice(0, 2)), {recursive: true})
  writeFileSync(join(dir, key.slice(0, 2), `${key}.json.gz`), 'not gzip')
  const again = await walkImage(image, {checks: [markerCheck()], cache})
  t.is(again.stats.layersScanned, 2)
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
