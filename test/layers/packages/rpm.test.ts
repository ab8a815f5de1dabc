import test from 'ava'
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {FILE_CHECKS} from '../../../src/checks/index.js'
import {walkImage} from '../../../src/layers/walk.js'
import {PackageDbs} from '../../../src/layers/package-db.js'
import {scanReport} from '../../../src/pipeline/scan.js'
import {renderAs} from '../../../src/report/render.js'
import {rpmQueryAll, rpmRoot} from '../../support/rpm-root.js'
import {makeTempDir, removeDir} from '../../support/tmp.js'
import {imageOf, makeTar} from '../helpers.js'
import {keyFindings, pem} from './helpers.js'

const KEY = pem()
const CLIENT = pem()
const EXTRAS = 30
let dir = ''
let root = ''

test.before(() => {
  dir = makeTempDir('imgvet-rpm')
  // Enough files for a header that spills over many overflow pages, enough packages for an interior b-tree page.
  const data = Object.fromEntries(Array.from({length: 1500}, (_, i) => [`/usr/share/tlsdemo/data/f${i}.txt`, `${i}\n`]))
  root = rpmRoot(dir, [
    {name: 'tlsdemo', version: '1.2', release: '3.el9', files: {'/usr/share/tlsdemo/server.key': KEY, ...data}},
    {name: 'tlsdemo-client', version: '0.9', release: '1', files: {'/etc/tlsdemo/client.key': CLIENT}},
    ...Array.from({length: EXTRAS}, (_, i) => ({name: `extra${i}`, version: `${i}.0`, release: '1', files: {[`/usr/share/extra${i}/README`]: `${i}\n`}})),
  ])
})

test.after.always(() => {
  if (dir) removeDir(dir)
})

/** The root as one layer, tarred by tar, with what a later RUN of the same layer would have changed. */
async function walkRoot(change: (root: string) => void = () => {}) {
  change(root)
  const tar = execFileSync('tar', ['-C', root, '--numeric-owner', '-cf', '-', '.'], {maxBuffer: 64 * 1024 * 1024})
  const {image} = await imageOf([{tar}])
  return walkImage(image, {checks: FILE_CHECKS, cache: null})
}

test.serial('rpmdb.sqlite written by rpm vouches for a file by its sha256 digest; a file changed after install is modified', async (t) => {
  const walk = await walkRoot((r) => {
    writeFileSync(join(r, 'etc/tlsdemo/client.key'), pem())
    writeFileSync(join(r, 'usr/share/tlsdemo/dropped.key'), pem())
  })
  const keys = walk.findings.filter((f) => f.category === 'private-key')
  const server = keys.find((f) => f.path === '/usr/share/tlsdemo/server.key')
  t.is(server?.severity, 'info')
  t.is(server?.note, 'shipped unmodified by tlsdemo 1.2-3.el9')
  t.deepEqual(server?.origin, {layer: 0, from: 'unknown', content: 'unmodified', package: {manager: 'rpm', name: 'tlsdemo', version: '1.2-3.el9'}})
  const client = keys.find((f) => f.path === '/etc/tlsdemo/client.key')
  t.is(client?.severity, 'high')
  t.is(client?.origin?.content, 'modified')
  t.regex(client?.note ?? '', /tlsdemo-client 0\.9-1 file modified after install/)
  const dropped = keys.find((f) => f.path === '/usr/share/tlsdemo/dropped.key')
  t.deepEqual(dropped?.origin, {layer: 0, from: 'unknown', content: 'unowned'})
})

test.serial('every package rpm -qa lists is read from the database (interior pages, overflow chains)', (t) => {
  const listed = rpmQueryAll(root)
  t.is(listed.length, EXTRAS + 2)
  const dbs = new PackageDbs()
  dbs.add('/var/lib/rpm/rpmdb.sqlite', readFileSync(join(root, 'var/lib/rpm/rpmdb.sqlite')))
  const paths = ['/usr/share/tlsdemo/server.key', '/etc/tlsdemo/client.key', ...Array.from({length: EXTRAS}, (_, i) => `/usr/share/extra${i}/README`)]
  const records = dbs.resolve(new Set(paths))
  t.deepEqual(Object.values(records).map((r) => `${r.name} ${r.version}`).sort(), listed)
  t.true(Object.values(records).every((r) => r.hash?.algo === 'sha256' && r.hash.hex.length === 64))
})

test('a BerkeleyDB rpm database is not read, and the origin says so instead of "not owned"', async (t) => {
  // The hash-database magic at offset 12, as db_load writes it; its content is never parsed.
  const bdb = Buffer.alloc(4096)
  bdb.writeUInt32LE(0x00061561, 12)
  const [f] = await keyFindings([[{name: 'var/lib/rpm/Packages', content: bdb}, {name: 'usr/share/foo/server.key', content: KEY}]])
  t.is(f?.severity, 'high')
  t.deepEqual(f?.origin, {layer: 0, from: 'unknown', content: 'unowned', unreadable: 'rpm database /var/lib/rpm/Packages (BerkeleyDB) not readable'})
  const specs = [{tar: await makeTar([{name: 'var/lib/rpm/Packages', content: bdb}, {name: 'srv/server.key', content: KEY}])}]
  const {image} = await imageOf(specs)
  const w = await walkImage(image, {checks: FILE_CHECKS})
  const text = renderAs('vet', 'text', scanReport({reference: image.name, results: [{image, walk: w, findings: w.findings}]}))
  t.regex(text, /origin: layer 0 \(base or own unknown\); not in any package record of that layer \(rpm database \/var\/lib\/rpm\/Packages \(BerkeleyDB\) not readable\)/)
})
