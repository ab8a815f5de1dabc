import test from 'ava'
import {ImgvetError} from '../../src/errors.js'
import {expectedFingerprint} from '../support/fingerprint.js'
import {walkImage} from '../../src/layers/walk.js'
import type {WalkEntry} from '../../src/layers/entry.js'
import {imageOf, linkCheck, makeTar, markerCheck, sha256} from './helpers.js'

const KB = 1024

test('a whiteout removes the file of a lower layer and records removedIn', async (t) => {
  const l0 = await makeTar([{name: 'etc/'}, {name: 'etc/secret.conf', content: 'key=MARKER{lowersecret}\n'}, {name: 'etc/other.conf', content: 'x'}])
  const l1 = await makeTar([{name: 'etc/'}, {name: 'etc/.wh.secret.conf', content: ''}])
  const {image} = await imageOf([{tar: l0}, {tar: l1}])
  const res = await walkImage(image, {checks: [markerCheck()]})
  t.false(res.view.entries.has('/etc/secret.conf'))
  t.true(res.view.entries.has('/etc/other.conf'))
  t.false(res.view.entries.has('/etc/.wh.secret.conf'), 'whiteout markers are never entries')
  t.is(res.findings.length, 1)
  const f = res.findings[0]
  t.is(f?.path, '/etc/secret.conf')
  t.deepEqual(f?.layer, {index: 0, digest: image.layers[0]?.descriptor.digest})
  t.deepEqual(f?.removedIn, {index: 1, digest: image.layers[1]?.descriptor.digest})
  t.deepEqual(res.scans[1]?.whiteouts, [{path: '/etc/secret.conf', opaque: false}])
})

test('a whiteout only hides lower layers: the same layer may add the name back', async (t) => {
  const l0 = await makeTar([{name: 'a/secret', content: 'MARKER{old}'}])
  // the whiteout comes after the file in the tar; it still must not hide its own layer's entry
  const l1 = await makeTar([{name: 'a/secret', content: 'MARKER{new}'}, {name: 'a/.wh.secret'}])
  const {image} = await imageOf([{tar: l0}, {tar: l1}])
  const res = await walkImage(image, {checks: [markerCheck()]})
  t.is(res.view.entries.get('/a/secret')?.layer.index, 1)
  const byLayer = new Map(res.findings.map((f) => [f.layer?.index, f]))
  t.is(byLayer.get(0)?.removedIn?.index, 1)
  t.is(byLayer.get(1)?.removedIn, null)
  t.is(byLayer.get(1)?.fingerprint, expectedFingerprint('test.marker', '/a/secret', 'new'))
})

test('removedIn points at the layer that deletes, even several layers above', async (t) => {
  const l0 = await makeTar([{name: 'app/'}, {name: 'app/id_rsa', content: 'MARKER{deep}'}])
  const l1 = await makeTar([{name: 'unrelated.txt', content: 'nothing'}])
  const l2 = await makeTar([{name: 'app/.wh.id_rsa'}])
  const {image} = await imageOf([{tar: l0}, {tar: l1}, {tar: l2}])
  const res = await walkImage(image, {checks: [markerCheck()]})
  t.is(res.findings[0]?.layer?.index, 0)
  t.is(res.findings[0]?.removedIn?.index, 2)
  t.true(res.view.entries.has('/app'))
  t.true(res.view.entries.has('/unrelated.txt'))
})

test('a whiteout of a directory removes its whole tree', async (t) => {
  const l0 = await makeTar([{name: 'dir/'}, {name: 'dir/sub/'}, {name: 'dir/sub/key', content: 'MARKER{tree}'}, {name: 'dirx', content: 'sibling with a common prefix'}])
  const l1 = await makeTar([{name: '.wh.dir'}])
  const {image} = await imageOf([{tar: l0}, {tar: l1}])
  const res = await walkImage(image, {checks: [markerCheck()]})
  t.deepEqual([...res.view.entries.keys()].sort(), ['/dirx'])
  t.is(res.findings[0]?.removedIn?.index, 1)
})

test('an opaque whiteout hides everything below the directory before the same layer adds its entries, whatever the tar order', async (t) => {
  const l0 = await makeTar([{name: 'd/'}, {name: 'd/old', content: 'MARKER{opaque}'}, {name: 'd/sub/'}, {name: 'd/sub/deeper', content: 'y'}, {name: 'keep', content: 'k'}])
  for (const opqFirst of [true, false]) {
    const items = [{name: 'd/'}, {name: 'd/new', content: 'fresh'}]
    const l1 = await makeTar(opqFirst ? [{name: 'd/.wh..wh..opq'}, ...items] : [...items, {name: 'd/.wh..wh..opq'}])
    const {image} = await imageOf([{tar: l0}, {tar: l1}])
    const res = await walkImage(image, {checks: [markerCheck()]})
    t.deepEqual([...res.view.entries.keys()].sort(), ['/d', '/d/new', '/keep'], `opaque ${opqFirst ? 'first' : 'last'}`)
    t.is(res.findings[0]?.removedIn?.index, 1)
    t.deepEqual(res.scans[1]?.whiteouts, [{path: '/d', opaque: true}])
  }
})

test('a file replaced by an upper layer: the lower finding is removedIn the replacing layer', async (t) => {
  const l0 = await makeTar([{name: 'app/config.ini', content: 'password=MARKER{replaced}'}])
  const l1 = await makeTar([{name: 'app/config.ini', content: 'password=<from env>'}])
  const {image} = await imageOf([{tar: l0}, {tar: l1}])
  const res = await walkImage(image, {checks: [markerCheck()]})
  t.is(res.findings.length, 1)
  t.is(res.findings[0]?.removedIn?.index, 1)
  const final = res.view.entries.get('/app/config.ini')
  t.is(final?.layer.index, 1)
  t.is(final?.size, 'password=<from env>'.length)
})

test('a file replaced by a directory in an upper layer is gone: its finding is removedIn that layer', async (t) => {
  const l0 = await makeTar([{name: 'conf', content: 'MARKER{filebecomesdir}'}])
  const l1 = await makeTar([{name: 'conf/'}, {name: 'conf/new', content: 'x'}])
  const {image} = await imageOf([{tar: l0}, {tar: l1}])
  const res = await walkImage(image, {checks: [markerCheck()]})
  t.is(res.view.entries.get('/conf')?.type, 'directory')
  t.is(res.findings[0]?.removedIn?.index, 1)
})

test('a directory replaced by a file in an upper layer takes its tree with it', async (t) => {
  const l0 = await makeTar([{name: 'conf/'}, {name: 'conf/key', content: 'MARKER{dirbecomesfile}'}])
  const l1 = await makeTar([{name: 'conf', content: 'now a file'}])
  const {image} = await imageOf([{tar: l0}, {tar: l1}])
  const res = await walkImage(image, {checks: [markerCheck()]})
  t.deepEqual([...res.view.entries.keys()], ['/conf'])
  t.is(res.findings[0]?.removedIn?.index, 1)
})

test('symlinks and hardlinks are recorded with their targets and handed to header checks without content', async (t) => {
  const tar = await makeTar([
    {name: 'bin/'},
    {name: 'bin/busybox', content: 'ELF', mode: 0o4755},
    {name: 'bin/sh', type: 'symlink', linkname: 'busybox'},
    {name: 'bin/abs', type: 'symlink', linkname: '/etc/passwd'},
    {name: 'bin/ls', type: 'link', linkname: './bin/busybox'},
  ])
  const seen: WalkEntry[] = []
  const {image} = await imageOf([{tar}])
  const res = await walkImage(image, {checks: [markerCheck(1, seen), linkCheck()]})
  const e = res.view.entries
  t.like(e.get('/bin/sh'), {type: 'symlink', linkname: 'busybox'})
  t.like(e.get('/bin/abs'), {type: 'symlink', linkname: '/etc/passwd'}, 'absolute symlink targets are normal, not hostile')
  t.like(e.get('/bin/ls'), {type: 'hardlink', linkname: '/bin/busybox'}, 'hardlink targets are normalised')
  t.like(e.get('/bin/busybox'), {type: 'file', mode: 0o4755})
  t.deepEqual(seen.map((s) => s.path), ['/bin/busybox'], 'content checks only get regular files')
  t.deepEqual(res.findings.map((f) => `${f.path} ${f.title}`).sort(), ['/bin/abs symlink header-only', '/bin/ls hardlink header-only', '/bin/sh symlink header-only'])
})

// Issue 11 item 7: a hostile name is a critical finding, and the rest of the layer and image is still scanned.
type Hostile = [what: string, items: Parameters<typeof makeTar>[0], want: {path: string; evidence: RegExp}]
const HOSTILE_NAMES: Hostile[] = [
  ['absolute path', [{name: '/etc/passwd', content: 'root'}],
    {path: '/etc/passwd', evidence: /^name is an absolute path: "\/etc\/passwd"$/}],
  ['../ escape', [{name: '../../escape.sh', content: 'x'}],
    {path: '../../escape.sh', evidence: /^name climbs above the root: "\.\.\/\.\.\/escape\.sh"$/}],
  ['escape through a subdirectory', [{name: 'a/../../b', content: 'x'}], {path: 'a/../../b', evidence: /climbs above the root/}],
  ['hardlink pointing out of the root', [{name: 'x', type: 'link', linkname: '../../etc/shadow'}],
    {path: '/x', evidence: /^hardlink target climbs above the root: "\.\.\/\.\.\/etc\/shadow"$/}],
  ['symlink pointing out of the root', [{name: 'usr/lib/up', type: 'symlink', linkname: '../../../../etc'}],
    {path: '/usr/lib/up', evidence: /^symlink target climbs above the root: /}],
  ['control characters in an escaping name', [{name: '../\x1b[2J\nFAKE PASS', content: 'x'}],
    {path: '../\\x1b[2J\\nFAKE PASS', evidence: /"\.\.\/\\x1b\[2J\\nFAKE PASS"$/}],
]

for (const [what, items, want] of HOSTILE_NAMES) {
  test(`a tar entry with ${what} is a critical layer.path-escape finding; the scan goes on`, async (t) => {
    const hostile = await makeTar([...items, {name: 'etc/app.conf', content: 'token=MARKER{samelayer}\n'}])
    const later = await makeTar([{name: 'opt/later.conf', content: 'token=MARKER{laterlayer}\n'}])
    const {image} = await imageOf([{tar: hostile}, {tar: later}])
    const res = await walkImage(image, {checks: [markerCheck()]})
    const escape = res.findings.filter((f) => f.id === 'layer.path-escape')
    t.is(escape.length, 1)
    const layer = {index: 0, digest: image.layers[0]?.descriptor.digest}
    t.like(escape[0], {severity: 'critical', category: 'integrity', rule: 'trust-external', path: want.path, layer})
    t.regex(escape[0]?.evidence ?? '', want.evidence)
    t.false(/[\u0000-\u001f\u007f]/.test(`${escape[0]?.path}${escape[0]?.evidence}`), 'nothing raw reaches a terminal')
    const markers = res.findings.filter((f) => f.id === 'test.marker').map((f) => f.path)
    t.deepEqual(markers.sort(), ['/etc/app.conf', '/opt/later.conf'], 'the same and the later layer are still scanned')
    for (const p of res.view.entries.keys()) t.true(p.startsWith('/') && !p.split('/').includes('..'), p)
  })
}

test('a relative symlink that stays inside the root is not an escape', async (t) => {
  const tar = await makeTar([
    {name: 'usr/lib/x', type: 'symlink', linkname: '../../bin/x'},
    {name: 'lib', type: 'symlink', linkname: 'usr/lib'},
  ])
  const {image} = await imageOf([{tar}])
  const res = await walkImage(image, {checks: [markerCheck()]})
  t.deepEqual(res.findings, [])
})

test('thousands of escaping names give a bounded number of findings, counted', async (t) => {
  const tar = await makeTar(Array.from({length: 3000}, (_, i) => ({name: `../x${i}`, content: ''})))
  const {image} = await imageOf([{tar}])
  const res = await walkImage(image, {checks: []})
  t.is(res.findings.length, 26)
  t.regex(res.findings.at(-1)?.evidence ?? '', /^2975 more entries escape the root/)
})

test('a `..` that stays inside the root is normalised, not rejected', async (t) => {
  const tar = await makeTar([{name: 'a/b/../c.txt', content: 'MARKER{inside}'}])
  const {image} = await imageOf([{tar}])
  const res = await walkImage(image, {checks: [markerCheck()]})
  t.true(res.view.entries.has('/a/c.txt'))
  t.is(res.findings[0]?.path, '/a/c.txt')
})

test('a diffID that does not match the uncompressed layer is an integrity error', async (t) => {
  const tar = await makeTar([{name: 'f', content: 'x'}])
  const {image} = await imageOf([{tar, diffId: sha256('something else')}])
  const err = await t.throwsAsync(walkImage(image, {checks: []}), {instanceOf: ImgvetError})
  t.is(err?.code, 'integrity')
  t.regex(err?.message ?? '', /diffID mismatch/)
})

test('gzip, zstd and uncompressed layers are detected by magic bytes and give the same entries and diffID', async (t) => {
  const tar = await makeTar([{name: 'etc/'}, {name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n'}, {name: 'k', content: 'MARKER{comp}'}])
  const results = []
  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    const {image} = await imageOf([{tar, compression}])
    results.push(await walkImage(image, {checks: [markerCheck()]}))
  }
  const [gz, zs, none] = results
  t.deepEqual(zs?.scans[0]?.entries, gz?.scans[0]?.entries)
  t.deepEqual(none?.scans[0]?.entries, gz?.scans[0]?.entries)
  t.is(zs?.findings[0]?.fingerprint, gz?.findings[0]?.fingerprint)
  t.is(zs?.view.files.get('/etc/passwd')?.toString(), 'root:x:0:0::/root:/bin/sh\n', 'kept files survive for image checks')
  t.is(gz?.stats.bytes, tar.length)
})

test('a layer whose media type lies (gzip bytes labelled uncompressed) still walks', async (t) => {
  const tar = await makeTar([{name: 'f', content: 'MARKER{mislabelled}'}])
  const {image} = await imageOf([{tar, compression: 'gzip', mediaType: 'application/vnd.oci.image.layer.v1.tar'}])
  const res = await walkImage(image, {checks: [markerCheck()]})
  t.is(res.findings.length, 1)
})

test('an unknown layer media type is skipped, never a crash', async (t) => {
  const l0 = await makeTar([{name: 'f', content: 'MARKER{real}'}])
  const notATar = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}')
  const {image} = await imageOf([{tar: l0}, {tar: notATar, compression: 'none', mediaType: 'application/vnd.in-toto+json', opaqueBlob: true}, {tar: notATar, compression: 'none', mediaType: 'application/vnd.example.unknown.v1', opaqueBlob: true}])
  t.is(image.layers.length, 3)
  t.is(image.layers[1]?.diffId, null)
  const res = await walkImage(image, {checks: [markerCheck()]})
  t.is(res.scans.length, 3)
  t.deepEqual(res.scans[1]?.entries, [])
  t.deepEqual(res.scans[2]?.entries, [])
  t.is(res.findings.length, 1)
  t.is(res.stats.layersScanned, 1)
})

test('a layer that is not a tar at all is a hostile-layer error, not a crash', async (t) => {
  const garbage = Buffer.alloc(4 * KB, 0x41)
  const {image} = await imageOf([{tar: garbage, compression: 'gzip'}])
  const err = await t.throwsAsync(walkImage(image, {checks: [markerCheck()]}), {instanceOf: ImgvetError})
  t.is(err?.code, 'hostile-layer')
})

test('a layer larger than maxLayerBytes once decompressed is refused as hostile', async (t) => {
  const tar = await makeTar([{name: 'zeros', content: Buffer.alloc(2 * 1024 * KB)}])
  const {image} = await imageOf([{tar}])
  const err = await t.throwsAsync(walkImage(image, {checks: [], maxLayerBytes: 256 * KB}), {instanceOf: ImgvetError})
  t.is(err?.code, 'hostile-layer')
  t.regex(err?.message ?? '', /more than 262144 bytes/)
})

test('detections become findings with redacted evidence and a fingerprint; the secret itself is not kept', async (t) => {
  const secret = 'S3cr3tValueThatMustNotLeak'
  const tar = await makeTar([{name: 'root/.env', content: `TOKEN=MARKER{${secret}}`}])
  const {image} = await imageOf([{tar}])
  const res = await walkImage(image, {checks: [markerCheck()]})
  const f = res.findings[0]
  t.like(f, {id: 'test.marker', severity: 'high', category: 'secret', rule: 'no-credentials', path: '/root/.env', removedIn: null})
  t.is(f?.fingerprint, expectedFingerprint('test.marker', '/root/.env', secret))
  t.false(JSON.stringify(res).includes(secret))
})

test('content is cut at the check maxBytes and the check is told it was truncated', async (t) => {
  const seen: Array<{len: number; truncated: boolean}> = []
  const tar = await makeTar([{name: 'big', content: Buffer.alloc(10 * KB, 0x61)}, {name: 'small', content: 'abc'}])
  const {image} = await imageOf([{tar}])
  await walkImage(image, {
    checks: [{id: 'test.bound', version: 1, maxBytes: KB, wants: () => 'content', inspect: (_e, c, truncated) => (seen.push({len: c?.length ?? -1, truncated}), [])}],
  })
  t.deepEqual(seen, [{len: KB, truncated: true}, {len: 3, truncated: false}])
})

test('empty regular files are handed to content checks as an empty buffer', async (t) => {
  const seen: Array<[string, number | undefined]> = []
  const tar = await makeTar([{name: 'empty', content: ''}, {name: 'one', content: 'x'}])
  const {image} = await imageOf([{tar}])
  await walkImage(image, {checks: [{id: 'test.all', version: 1, wants: () => 'content', inspect: (e, c) => (seen.push([e.path, c?.length]), [])}]})
  t.deepEqual(seen, [['/empty', 0], ['/one', 1]])
})

test('a check that throws is not reported as a hostile layer', async (t) => {
  const tar = await makeTar([{name: 'f', content: 'x'}])
  const {image} = await imageOf([{tar}])
  const boom = {id: 'test.boom', version: 1, wants: () => 'content' as const, inspect: (): never => {
    throw new TypeError('bug in a check')
  }}
  const err = await t.throwsAsync(walkImage(image, {checks: [boom]}))
  t.false(err instanceof ImgvetError && err.code === 'hostile-layer', err?.message)
  t.regex(err?.message ?? '', /bug in a check/)
})

// A hostile layer repeating one path must not make the walk quadratic (it used to re-filter every record per duplicate).
test('a layer repeating one path 50,000 times is recorded once, the last entry winning', async (t) => {
  const items = Array.from({length: 50_000}, (_, i) => ({name: 'etc/dup.conf', content: `v${i}\n`}))
  const {image} = await imageOf([{tar: await makeTar(items)}])
  const r = await walkImage(image, {checks: []})
  t.is(r.scans[0]?.entries.filter((e) => e[0] === '/etc/dup.conf').length, 1)
  t.is(r.view.entries.get('/etc/dup.conf')?.size, `v${49_999}\n`.length)
})

// Tars often carry files without their parent directories; a whiteout of an ancestor must still remove them, and
// 20,000 whiteouts of paths that do not exist must not cost a pass over every live path each.
test('a whiteout removes files whose parent directories were never in the tar; bogus whiteouts are harmless', async (t) => {
  const l0 = await makeTar([{name: 'opt/vendor/lib/deep/secret.txt', content: 'MARKER{deep}'}, {name: 'opt/keep.txt', content: 'keep'}])
  const l1 = await makeTar([
    {name: 'opt/.wh.vendor', content: ''},
    ...Array.from({length: 20_000}, (_, i) => ({name: `srv/.wh.nothing-${i}`, content: ''})),
  ])
  const {image} = await imageOf([{tar: l0}, {tar: l1}])
  const r = await walkImage(image, {checks: [markerCheck()]})
  t.false(r.view.entries.has('/opt/vendor/lib/deep/secret.txt'))
  t.true(r.view.entries.has('/opt/keep.txt'))
  const f = r.findings.find((x) => x.path === '/opt/vendor/lib/deep/secret.txt')
  t.is(f?.removedIn?.index, 1)
})
