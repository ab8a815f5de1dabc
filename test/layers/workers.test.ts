import test from 'ava'
import {generateKeyPairSync, randomBytes} from 'node:crypto'
import {ImgvetError} from '../../src/errors.js'
import {LayerWorkerPool} from '../../src/layers/worker-pool.js'
import {scanLoadedImage} from '../../src/pipeline/scan.js'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {LayerCache} from '../../src/cache/layer-cache.js'
import {imageOf, makeTar, sha256} from './helpers.js'

// Layers above the 1 MiB threshold go to worker threads running the built-in checks; the result must be the same
// as scanning them in this thread, down to fingerprints, lines and removedIn.
async function twoLayerImage() {
  const key = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  const noise = randomBytes(3 * 1024 * 1024)
  const l0 = await makeTar([
    {name: 'opt/app/blob.bin', content: noise},
    {name: 'opt/app/server.key', content: key},
    {name: 'root/.npmrc', content: `//registry.npmjs.org/:_authToken=npm_${randomBytes(18).toString('hex').slice(0, 36)}\n`},
  ])
  const l1 = await makeTar([{name: 'opt/app/.wh.server.key', content: ''}, {name: 'opt/app/more.bin', content: randomBytes(2 * 1024 * 1024)}])
  // gzip of random bytes stays above the threshold, so both layers go to the pool.
  return imageOf([{tar: l0}, {tar: l1}])
}

test('worker-thread scan gives the same findings as the in-thread scan', async (t) => {
  const {image} = await twoLayerImage()
  t.true(image.layers.every((l) => l.descriptor.size >= 1024 * 1024))
  const pool = new LayerWorkerPool(2)
  try {
    const viaWorkers = await scanLoadedImage(image, {pool})
    const inThread = await scanLoadedImage(image, {pool: null})
    t.true(viaWorkers.findings.length >= 2)
    t.deepEqual(viaWorkers.findings, inThread.findings)
    t.deepEqual([...viaWorkers.walk.view.entries.keys()].sort(), [...inThread.walk.view.entries.keys()].sort())
    const key = viaWorkers.findings.find((f) => f.path === '/opt/app/server.key')
    t.is(key?.removedIn?.index, 1)
  } finally {
    await pool.close()
  }
})

test('an integrity error inside a worker comes back coded, and the pool stays usable', async (t) => {
  const {image} = await twoLayerImage()
  const layer = image.layers[0]
  if (!layer) return t.fail('no layer')
  const pool = new LayerWorkerPool(1)
  try {
    const err = await t.throwsAsync(pool.scan({...layer, diffId: `sha256:${'0'.repeat(64)}`}, 'test', 1024 ** 3))
    t.true(err instanceof ImgvetError)
    t.is((err as ImgvetError).code, 'integrity')
    const ok = await pool.scan(layer, 'test', 1024 ** 3)
    t.is(ok.diffId, layer.diffId)
    t.true(ok.findings.some((f) => f.path === '/opt/app/server.key'))
  } finally {
    await pool.close()
  }
})

test('through the pool too, a borrowed diffID misses the cache: the worker reads the blob and fails', async (t) => {
  const dir = mkdtempSync(join(process.env['IMGVET_TEST_TMP'] ?? tmpdir(), 'imgvet-pool-cache-'))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  const cache = new LayerCache(dir)
  const noise = randomBytes(2 * 1024 * 1024)
  const clean = await makeTar([{name: 'opt/blob.bin', content: noise}])
  const key = generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  const dirty = await makeTar([{name: 'opt/blob.bin', content: noise}, {name: 'opt/server.key', content: key}])
  const honest = await imageOf([{tar: clean}])
  const lying = await imageOf([{tar: dirty, diffId: sha256(clean)}])
  t.true((lying.image.layers[0]?.descriptor.size ?? 0) >= 1024 * 1024, 'large enough for the pool')
  const pool = new LayerWorkerPool(1)
  try {
    t.is((await scanLoadedImage(honest.image, {pool, cache})).walk.stats.layersScanned, 1)
    const err = await t.throwsAsync(scanLoadedImage(lying.image, {pool, cache}), {instanceOf: ImgvetError})
    t.is(err?.code, 'integrity')
    t.is((await scanLoadedImage(honest.image, {pool, cache})).walk.stats.layersFromCache, 1)
  } finally {
    await pool.close()
  }
})

test('an escaping name scanned by a worker gives the same findings; the rest of the layer is scanned', async (t) => {
  const key = generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  const tar = await makeTar([
    {name: 'opt/blob.bin', content: randomBytes(2 * 1024 * 1024)},
    {name: '../../../etc/cron.d/evil', content: '* * * * * root sh\n'},
    {name: 'opt/server.key', content: key},
  ])
  const {image} = await imageOf([{tar}])
  t.true((image.layers[0]?.descriptor.size ?? 0) >= 1024 * 1024, 'large enough for the pool')
  const pool = new LayerWorkerPool(1)
  try {
    const viaWorker = await scanLoadedImage(image, {pool})
    const inThread = await scanLoadedImage(image, {pool: null})
    t.deepEqual(viaWorker.findings, inThread.findings)
    t.true(viaWorker.findings.some((f) => f.id === 'layer.path-escape' && f.path === '../../../etc/cron.d/evil'))
    t.true(viaWorker.findings.some((f) => f.category === 'private-key' && f.path === '/opt/server.key'))
  } finally {
    await pool.close()
  }
})
