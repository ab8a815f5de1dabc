import test from 'ava'
import {createHash, generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {LayerCache} from '../../src/cache/layer-cache.js'
import {FILE_CHECKS} from '../../src/checks/index.js'
import type {Finding} from '../../src/findings/finding.js'
import {walkImage} from '../../src/layers/walk.js'
import {LayerWorkerPool} from '../../src/layers/worker-pool.js'
import {scanLoadedImage, scanReport} from '../../src/pipeline/scan.js'
import {renderAs} from '../../src/report/render.js'
import {imageOf, makeTar, type LayerSpec, type TarItem} from './helpers.js'

const pem = () => generateKeyPairSync('rsa', {modulusLength: 1024}).privateKey.export({type: 'pkcs8', format: 'pem'})
const KEY = pem() as string
const OTHER = pem() as string
const FILE = '/usr/share/libfoo/test.key'
const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex')
const b64 = (algo: string, s: string) => createHash(algo).update(s).digest('base64')

const STATUS = (pkg: string, version: string, conffiles = '') =>
  `Package: ${pkg}\nStatus: install ok installed\nVersion: ${version}\n${conffiles}Description: test\n\n`

/** What `dpkg -i` writes in one layer: the file, its info/*.list and *.md5sums, and the status stanza. */
function dpkgInstall(pkg: string, version: string, files: Record<string, string | Buffer>, hashes = files): TarItem[] {
  const list = ['/.', ...Object.keys(files)].join('\n')
  const sums = Object.entries(hashes).map(([p, c]) => `${md5(c)}  ${p.slice(1)}`).join('\n')
  return [
    ...Object.entries(files).map(([p, c]) => ({name: p.slice(1), content: c})),
    {name: `var/lib/dpkg/info/${pkg}.list`, content: `${list}\n`},
    {name: `var/lib/dpkg/info/${pkg}.md5sums`, content: `${sums}\n`},
    {name: 'var/lib/dpkg/status', content: STATUS(pkg, version)},
  ]
}

async function findingsOf(layers: TarItem[][], config?: Record<string, unknown>, cache?: LayerCache) {
  const specs: LayerSpec[] = await Promise.all(layers.map(async (l) => ({tar: await makeTar(l)})))
  const {image} = await imageOf(specs, config)
  const walk = await walkImage(image, {checks: FILE_CHECKS, cache: cache ?? null})
  return walk.findings.filter((f: Finding) => f.category === 'private-key')
}

test('a key shipped unmodified by a dpkg package is info and says which package', async (t) => {
  const [f, more] = await findingsOf([dpkgInstall('libfoo-test', '1.2-3', {'/usr/share/libfoo/test.key': KEY})])
  t.is(more, undefined)
  t.is(f?.severity, 'info')
  t.is(f?.note, 'shipped unmodified by libfoo-test 1.2-3')
  const pkg = {manager: 'dpkg', name: 'libfoo-test', version: '1.2-3'}
  t.deepEqual(f?.origin, {layer: 0, from: 'unknown', content: 'unmodified', package: pkg})
})

test('a dpkg file whose content no longer matches its md5sums keeps its severity and says modified', async (t) => {
  const [f] = await findingsOf([dpkgInstall('libfoo-test', '1.2-3', {[FILE]: KEY}, {[FILE]: OTHER})])
  t.is(f?.severity, 'high')
  t.regex(f?.note ?? '', /modified after install/)
  t.is(f?.origin?.content, 'modified')
})

test('a conffile is vouched for by the md5 in the status Conffiles field', async (t) => {
  const conffiles = `Conffiles:\n /etc/foo/server.key ${md5(KEY)}\n /etc/foo/x.conf ${md5('x')} obsolete\n`
  const status = STATUS('foo-server', '2.0', conffiles)
  const [f] = await findingsOf([[{name: 'etc/foo/server.key', content: KEY}, {name: 'var/lib/dpkg/status', content: status}]])
  t.is(f?.severity, 'info')
  t.deepEqual(f?.origin?.package, {manager: 'dpkg', name: 'foo-server', version: '2.0'})
})

test('a record in layer 0 gives no credit to the file rewritten by layer 1', async (t) => {
  const l0 = dpkgInstall('libfoo-test', '1.2-3', {'/usr/share/libfoo/test.key': KEY})
  // The same bytes rewritten: matching hash, but no install of layer 1 wrote a record for it.
  const l1: TarItem[] = [{name: 'usr/share/libfoo/test.key', content: KEY}]
  const fs = await findingsOf([l0, l1])
  const top = fs.find((f) => f.layer?.index === 1)
  const low = fs.find((f) => f.layer?.index === 0)
  t.is(top?.severity, 'high')
  t.is(top?.origin?.content, 'unowned')
  t.is(top?.note, undefined)
  // The replaced copy is still in layer 0's blob; that one is the package's own.
  t.is(low?.removedIn?.index, 1)
  t.is(low?.severity, 'info')
})

test('a layer that rewrites the record alone vouches for nothing below it', async (t) => {
  const l0: TarItem[] = [{name: 'usr/share/libfoo/test.key', content: KEY}]
  const l1 = dpkgInstall('libfoo-test', '1.2-3', {}, {[FILE]: KEY}).filter((i) => !i.name.startsWith('usr/'))
  const [f] = await findingsOf([l0, l1])
  t.is(f?.severity, 'high')
  t.is(f?.origin?.content, 'unowned')
})

test('a file a later layer adds inside a package directory gets no credit', async (t) => {
  const l0 = dpkgInstall('libfoo-test', '1.2-3', {'/usr/share/libfoo/README': 'readme'})
  const l1: TarItem[] = [{name: 'usr/share/libfoo/dropped.key', content: KEY}]
  const [f] = await findingsOf([l0, l1])
  t.is(f?.severity, 'high')
  t.is(f?.origin?.content, 'unowned')
  t.is(f?.origin?.package, undefined)
})

test('a generated key that no record lists (ssl-cert snakeoil) stays high', async (t) => {
  const install = dpkgInstall('ssl-cert', '1.1.2', {'/usr/sbin/make-ssl-cert': '#!/bin/sh\n'})
  const [f] = await findingsOf([[...install, {name: 'etc/ssl/private/ssl-cert-snakeoil.key', content: KEY}]])
  t.is(f?.path, '/etc/ssl/private/ssl-cert-snakeoil.key')
  t.is(f?.severity, 'high')
  t.deepEqual(f?.origin, {layer: 0, from: 'unknown', content: 'unowned'})
})

test('a Python dist-info RECORD sha256 vouches for the wheel file', async (t) => {
  const site = 'usr/lib/python3/site-packages'
  const hash = b64('sha256', KEY).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  const record = [
    'foo/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0',
    `"foo/data,x/test.key",sha256=${hash},${KEY.length}`,
    'foo_test-0.9.dist-info/RECORD,,',
  ].join('\n')
  const [f] = await findingsOf([[
    {name: `${site}/foo/data,x/test.key`, content: KEY},
    {name: `${site}/foo_test-0.9.dist-info/RECORD`, content: record},
  ]])
  t.is(f?.severity, 'info')
  t.deepEqual(f?.origin?.package, {manager: 'python', name: 'foo_test', version: '0.9'})
  t.is(f?.note, 'shipped unmodified by foo_test 0.9')
})

test('an apk Z: checksum (Q1 + base64 sha1) vouches for the file', async (t) => {
  const db = (z: string) => `C:Q1abc=\nP:foo-test\nV:3.1-r0\nF:etc/foo\nR:other.conf\nZ:Q1${b64('sha1', 'x')}\nR:test.key\nZ:Q1${z}\n\n`
  const key = {name: 'etc/foo/test.key', content: KEY}
  const [f] = await findingsOf([[{name: 'lib/apk/db/installed', content: db(b64('sha1', KEY))}, key]])
  t.is(f?.severity, 'info')
  t.deepEqual(f?.origin?.package, {manager: 'apk', name: 'foo-test', version: '3.1-r0'})
  const [g] = await findingsOf([[{name: 'lib/apk/db/installed', content: db(b64('sha1', OTHER))}, key]])
  t.is(g?.severity, 'high')
  t.is(g?.origin?.content, 'modified')
})

test('an npm package owns its directory but has no hash: owned, unverified, severity kept', async (t) => {
  const [f] = await findingsOf([[
    {name: 'app/node_modules/@acme/tls/package.json', content: '{"name":"@acme/tls","version":"4.0.1"}'},
    {name: 'app/node_modules/@acme/tls/lib/server.key', content: KEY},
  ]])
  t.is(f?.severity, 'high')
  const pkg = {manager: 'npm', name: '@acme/tls', version: '4.0.1'}
  t.deepEqual(f?.origin, {layer: 0, from: 'unknown', content: 'unverified', package: pkg})
})

test('history tells the base image layers from the image own, with the base name label', async (t) => {
  const history = [
    {created_by: '/bin/sh -c #(nop) ADD file:abc in / '},
    {created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true},
    {created_by: 'RUN /bin/sh -c cp key /srv # buildkit'},
    {created_by: 'CMD ["/srv/run"]', empty_layer: true},
  ]
  const labels = {'org.opencontainers.image.base.name': 'docker.io/library/debian:12'}
  const config = {history, config: {User: '1000', Labels: labels}}
  const fs = await findingsOf([
    dpkgInstall('libfoo-test', '1.2-3', {'/usr/share/libfoo/test.key': KEY}),
    [{name: 'srv/own.key', content: OTHER}],
  ], config)
  t.deepEqual(fs.find((f) => f.layer?.index === 0)?.origin?.from, 'base')
  t.is(fs.find((f) => f.layer?.index === 0)?.origin?.baseImage, 'docker.io/library/debian:12')
  t.deepEqual(fs.find((f) => f.layer?.index === 1)?.origin, {layer: 1, from: 'image', content: 'unowned'})
})

test('origins come back the same from the layer cache', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'imgvet-origin-cache-'))
  try {
    const cache = new LayerCache(dir)
    const layers = [dpkgInstall('libfoo-test', '1.2-3', {[FILE]: KEY}), [{name: 'srv/k.key', content: OTHER}]]
    const first = await findingsOf(layers, undefined, cache)
    const again = await findingsOf(layers, undefined, cache)
    t.is(cache.hits, 2)
    t.deepEqual(again, first)
    t.deepEqual(first.map((f) => f.severity).sort(), ['high', 'info'])
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})

test('text, SARIF and GitLab reports show the origin', async (t) => {
  const specs = [{tar: await makeTar(dpkgInstall('libfoo-test', '1.2-3', {'/usr/share/libfoo/test.key': KEY}))}]
  const {image} = await imageOf(specs)
  const walk = await walkImage(image, {checks: FILE_CHECKS})
  const r = scanReport({reference: image.name, results: [{image, walk, findings: walk.findings}]})
  t.regex(renderAs('vet', 'text', r), /origin: layer 0 \(base or own unknown\); dpkg libfoo-test 1\.2-3: shipped unmodified/)
  type Sarif = {runs: Array<{results: Array<{properties: {origin?: {content: string}}}>}>}
  const sarif = JSON.parse(renderAs('vet', 'sarif', r)) as Sarif
  t.is(sarif.runs[0]?.results.find((x) => x.properties.origin)?.properties.origin?.content, 'unmodified')
  t.regex(renderAs('vet', 'gitlab', r), /Origin: layer 0 .*dpkg libfoo-test 1\.2-3: shipped unmodified/)
})

test('a member of an archive a package shipped unmodified is vouched for by the archive record', async (t) => {
  const tgz = gzipSync(await makeTar([{name: 'certs/server.key', content: KEY}]))
  const [f] = await findingsOf([dpkgInstall('foo-fixtures', '1.0', {'/usr/share/foo/certs.tgz': tgz})])
  t.is(f?.path, '/usr/share/foo/certs.tgz!/certs/server.key')
  t.is(f?.severity, 'info')
  t.is(f?.origin?.package?.name, 'foo-fixtures')
})

test('a file too large for one read is owned but not verified, and keeps its severity', async (t) => {
  const big = `${KEY}${'# padding line of a large key bundle, nothing secret here\n'.repeat(40_000)}`
  const [f] = await findingsOf([dpkgInstall('libfoo-test', '1.2-3', {'/usr/share/libfoo/bundle.pem': big})])
  t.true(big.length > 2 * 1024 * 1024)
  t.is(f?.severity, 'high')
  t.is(f?.origin?.content, 'unverified')
})

test('origins made in a worker thread match the in-thread walk', async (t) => {
  const noise = createHash('sha256').update('seed').digest('hex').repeat(40_000)
  const items = [...dpkgInstall('libfoo-test', '1.2-3', {[FILE]: KEY}), {name: 'srv/noise.bin', content: noise}]
  const {image} = await imageOf([{tar: await makeTar(items), compression: 'none'}])
  t.true((image.layers[0]?.descriptor.size ?? 0) >= 1024 * 1024)
  const pool = new LayerWorkerPool(1)
  try {
    const viaWorker = await scanLoadedImage(image, {pool})
    const inThread = await scanLoadedImage(image, {pool: null})
    t.deepEqual(viaWorker.findings, inThread.findings)
    t.is(viaWorker.findings.find((f) => f.path === '/usr/share/libfoo/test.key')?.severity, 'info')
  } finally {
    await pool.close()
  }
})

test('a hostile package database gets a bounded name in the note', async (t) => {
  const [f] = await findingsOf([dpkgInstall(`lib${'x'.repeat(5000)}`, '9'.repeat(5000), {[FILE]: KEY})])
  t.is(f?.severity, 'info')
  t.true((f?.note?.length ?? 0) < 300)
  t.is(f?.origin?.package?.name.length, 128)
})
