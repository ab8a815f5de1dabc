import test from 'ava'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {LayerCache} from '../../src/cache/layer-cache.js'
import {skipMatcher} from '../../src/layers/skip.js'
import {walkImage} from '../../src/layers/walk.js'
import {imageOf, makeTar, markerCheck} from './helpers.js'

test('dir globs skip the directory and everything below it; file globs the file, a bare one by base name', (t) => {
  const skip = skipMatcher({dirs: ['/usr/share/doc', '**/node_modules', 'opt/vendor/'], files: ['*.pem', '/app/test/fixture.key']})
  if (!skip) return t.fail()
  for (const p of ['/usr/share/doc', '/usr/share/doc/x/README', '/srv/app/node_modules/a/index.js', '/node_modules/x',
    '/opt/vendor/lib.so', '/etc/ssl/server.pem', '/server.pem', '/app/test/fixture.key']) t.true(skip(p), p)
  for (const p of ['/usr/share/docs', '/usr/share', '/srv/app/node_modules_x/a', '/app/test/fixture.key.txt', '/etc/ssl/server.pem.bak',
    '/app/test/other.key']) t.false(skip(p), p)
  t.is(skipMatcher(undefined), null)
  t.is(skipMatcher({dirs: [], files: []}), null)
})

test('a skipped path is seen by no check, stays in the view, and is counted with its layer', async (t) => {
  const l0 = await makeTar([{name: 'app/'}, {name: 'app/test/'}, {name: 'app/test/key', content: 'MARKER{fixture}'},
    {name: 'app/main.conf', content: 'MARKER{real}'}])
  const l1 = await makeTar([{name: 'docs/'}, {name: 'docs/a.txt', content: 'MARKER{doc}'}])
  const {image} = await imageOf([{tar: l0}, {tar: l1}])
  const all = await walkImage(image, {checks: [markerCheck()]})
  t.is(all.findings.length, 3)
  t.is(all.stats.skippedPaths, undefined, 'no skip, no figure')
  const res = await walkImage(image, {checks: [markerCheck()], skip: {dirs: ['/app/test', 'docs'], files: []}})
  t.deepEqual(res.findings.map((f) => f.path), ['/app/main.conf'])
  t.true(res.view.entries.has('/app/test/key'), 'the final view still has it')
  t.is(res.stats.skippedPaths, 4)
  t.deepEqual(res.stats.skippedExamples, [{path: '/app/test', layer: 0}, {path: '/app/test/key', layer: 0},
    {path: '/docs', layer: 1}, {path: '/docs/a.txt', layer: 1}])
  t.deepEqual(res.stats.skip, {dirs: ['/app/test', 'docs'], files: []})
  t.is(res.stats.files, all.stats.files - 2, 'skipped files are not counted as scanned')
})

test('the layer cache key holds the skip list: a skipping scan never answers for a full one, nor the reverse', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'imgvet-skip-cache-'))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  const cache = new LayerCache(dir)
  const {image} = await imageOf([{tar: await makeTar([{name: 'a/k', content: 'MARKER{one}'}])}])
  const skipped = await walkImage(image, {checks: [markerCheck()], cache, skip: {dirs: ['/a'], files: []}})
  t.is(skipped.findings.length, 0)
  const full = await walkImage(image, {checks: [markerCheck()], cache})
  t.is(full.stats.layersFromCache, 0, 'not served from the skipping entry')
  t.is(full.findings.length, 1)
  const again = await walkImage(image, {checks: [markerCheck()], cache, skip: {dirs: ['/a'], files: []}})
  t.is(again.stats.layersFromCache, 1)
  t.is(again.findings.length, 0)
  t.is(skipped.stats.skippedPaths, 1)
  t.is(again.stats.skippedPaths, 1, 'the count comes back from the cache too')
})
