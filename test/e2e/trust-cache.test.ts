import test from 'ava'
import {generateKeyPairSync} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import type {RunReport} from '../../src/nightly/types.js'
import {skopeoCopy} from '../support/builder.js'
import {dockerRef} from '../support/env.js'
import {blob, imageFromLayers, makeTarItems, OCI_LAYER_GZIP, sha256} from '../support/hostile-image.js'
import {buildLyingImages, type LyingImages} from '../support/lying-image.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {makeTempDir, removeDir} from '../support/tmp.js'
import {runCli} from '../support/cli.js'
import {assertBuilt, fx, oneLineError, parseJson, tempDir, writeLayout, type VetJson} from './helpers.js'

// Issue 11 items 1 and 7, end to end through a real registry: an image whose config borrows a clean layer's diffID
// for a layer holding a private key must never pass, whatever the layer cache holds; a layer with escaping names is
// a failing image, not one that could not be scanned.

let registry: RunningRegistry
let dir: string
let lying: LyingImages
const ref = (repo: string) => `docker://${registry.host}/${repo}:1`

function pemKey(): string {
  return generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
}

/** Layer 0 escapes the root three ways and holds a key in a normal file; layer 1 holds another. */
async function writeHostileLayout(into: string): Promise<void> {
  const l0 = await makeTarItems([
    {name: '../../etc/cron.d/evil', content: '* * * * * root sh\n'},
    {name: '/etc/ld.so.preload', content: '/tmp/x.so\n'},
    {name: 'var/', type: 'directory'},
    {name: 'var/up\x1b[2J', type: 'symlink', linkname: '../../../root'},
    {name: 'etc/', type: 'directory'},
    {name: 'etc/ssl/private/same-layer.key', content: pemKey()},
  ])
  const l1 = await makeTarItems([{name: 'opt/', type: 'directory'}, {name: 'opt/later-layer.key', content: pemKey()}])
  const layer = (tar: Buffer) => ({blob: blob(OCI_LAYER_GZIP, gzipSync(tar)), diffId: sha256(tar)})
  writeLayout(into, imageFromLayers([layer(l0), layer(l1)]), 'hostile')
}

test.before(async () => {
  await assertBuilt()
  dir = makeTempDir('imgvet-trust-cache')
  registry = await startRegistry({mode: 'plain'})
  lying = await buildLyingImages(dockerRef(fx.images.base), dir)
  await writeHostileLayout(join(dir, 'hostile'))
  for (const tag of Object.values(lying.tags)) await skopeoCopy(`oci:${lying.layout}:${tag}`, ref(`app/${tag}`), {}, dir)
  await skopeoCopy(`oci:${join(dir, 'hostile')}:hostile`, ref('app/hostile'), {}, dir)
  const policy = ['version: 1', 'name: trust-cache', 'scopes:', '  - match: "**"', '    failOn: high',
    '    user:', '      nonRoot: true']
  writeFileSync(join(dir, 'policy.yaml'), `${policy.join('\n')}\n`)
})

test.after.always(async () => {
  await registry?.stop()
  if (dir) removeDir(dir)
})

const cacheFlags = (cacheDir: string | null) => (cacheDir ? ['--cache-dir', cacheDir] : ['--no-cache'])
const vet = (args: string[], cacheDir: string | null) =>
  runCli(['vet', ...args, '--policy', join(dir, 'policy.yaml'), ...cacheFlags(cacheDir)], {timeoutMs: 60_000})
const scan = (args: string[], cacheDir: string | null) =>
  runCli(['scan', ...args, ...cacheFlags(cacheDir)], {timeoutMs: 60_000})

test('control: the clean image passes, the honest key image fails; the lie is only in the config', async (t) => {
  const cache = tempDir(t, 'imgvet-tc-cache')
  const clean = await vet([ref('app/clean'), '--format', 'json'], cache)
  t.is(clean.code, 0, clean.stderr)
  t.is(parseJson<VetJson>(clean).verdict, 'pass')
  const again = parseJson<VetJson>(await vet([ref('app/clean'), '--format', 'json'], cache))
  t.is(again.stats.layersFromCache, again.stats.layers, 'the cache is warm for every clean layer')
  const dirty = await vet([ref('app/dirty'), '--format', 'json'], cache)
  t.is(dirty.code, 1, dirty.stderr)
  t.true(parseJson<VetJson>(dirty).findings.some((f) => f.category === 'private-key' && f.path === '/etc/app.conf'))
  t.not(lying.cleanDiffId, lying.dirtyDiffId)
})

test('vet and scan of the lying image, cold (with and without a cache dir): one-line integrity error, exit 3', async (t) => {
  for (const cache of [null, tempDir(t, 'imgvet-tc-cold')]) {
    for (const [name, cmd] of [['vet', vet], ['scan', scan]] as const) {
      const r = await cmd([ref('app/lying')], cache)
      t.is(r.code, 3, `${name} ${cache ? 'cache' : 'no-cache'}: ${r.stderr}`)
      const line = oneLineError(r)
      t.regex(line, /^imgvet: integrity: diffID mismatch: config says sha256:[0-9a-f]{64}, uncompressed layer hashes to /)
      t.true(line.includes(lying.cleanDiffId) && line.includes(lying.dirtyDiffId), line)
    }
  }
})

test('vet and scan of the lying image, warm (clean image scanned first into the same cache): still exit 3', async (t) => {
  const cache = tempDir(t, 'imgvet-tc-warm')
  t.is((await vet([ref('app/clean')], cache)).code, 0)
  const v = await vet([ref('app/lying'), '--format', 'json'], cache)
  t.is(v.code, 3, v.stdout)
  t.regex(oneLineError(v), /^imgvet: integrity: diffID mismatch/)
  // The JSON asked for still comes, so a CI upload has something true: the error, and no verdict at all.
  const j = JSON.parse(v.stdout) as {verdict?: string; error?: {code: string}}
  t.is(j.verdict, undefined, 'no verdict at all, least of all a pass')
  t.is(j.error?.code, 'integrity')
  const s = await scan([ref('app/lying')], cache)
  t.is(s.code, 3)
  // and the clean image is still served from that cache: the fix costs the liar, not the honest
  const clean = parseJson<VetJson>(await vet([ref('app/clean'), '--format', 'json'], cache))
  t.is(clean.stats.layersFromCache, 2)
})

test('registry scan, one run, empty cache: clean passes, the lying image is not PASS, hostile fails', async (t) => {
  const out = join(dir, 'nightly.json')
  const cache = tempDir(t, 'imgvet-tc-nightly')
  const repos = ['app/clean', 'app/lying', 'app/hostile'].flatMap((r) => ['--repository', r])
  const r = await runCli(['registry', 'scan', registry.host, '--policy', join(dir, 'policy.yaml'), '--no-signatures',
    '--cache-dir', cache, '--state', join(dir, 'state.jsonl'), ...repos, '--format', 'json', '-o', out], {timeoutMs: 90_000})
  t.not(r.code, 0, r.stderr)
  const report = JSON.parse(readFileSync(out, 'utf8')) as RunReport
  const verdict = (repo: string) => report.images.find((i) => i.repository === repo)?.verdict
  t.is(verdict('app/clean'), 'pass')
  t.not(verdict('app/lying'), 'pass')
  const err = report.errors.find((e) => e.repository === 'app/lying')
  t.truthy(err, JSON.stringify(report.errors))
  t.regex(JSON.stringify(err), /diffID mismatch/)
  t.is(verdict('app/hostile'), 'fail', 'judged, not "could not scan"')
  t.false(report.errors.some((e) => e.repository === 'app/hostile'))
  const hostile = report.images.find((i) => i.repository === 'app/hostile')
  t.true(hostile?.reasons.some((x) => x.id === 'layer.path-escape'))
})

test('vet of a hostile layer: exit 1, one critical layer.path-escape per escape, keys in both layers found', async (t) => {
  const hostile = `oci:${join(dir, 'hostile')}:hostile`
  const r = await vet([hostile, '--format', 'json'], tempDir(t, 'imgvet-tc-hostile'))
  t.is(r.code, 1, r.stderr)
  const j = parseJson<VetJson>(r)
  t.is(j.verdict, 'fail')
  const escapes = j.findings.filter((f) => f.id === 'layer.path-escape')
  t.deepEqual(escapes.map((f) => f.path).sort(), ['../../etc/cron.d/evil', '/etc/ld.so.preload', '/var/up\\x1b[2J'])
  t.true(escapes.every((f) => f.severity === 'critical' && f.category === 'integrity' && f.layer?.index === 0))
  t.true(j.reasons.some((x) => x.id === 'layer.path-escape'))
  const keys = j.findings.filter((f) => f.category === 'private-key').map((f) => `${f.layer?.index} ${f.path}`).sort()
  t.deepEqual(keys, ['0 /etc/ssl/private/same-layer.key', '1 /opt/later-layer.key'])
  const text = await vet([hostile], tempDir(t, 'imgvet-tc-hostile-text'))
  t.is(text.code, 1)
  t.false(text.stdout.includes('\x1b'), 'the escape sequence in the name never reaches the terminal')
  t.true(text.stdout.includes('layer.path-escape'))
  // the shipped default policy fails it on the escape too (not only on its missing signature)
  const d = await runCli(['vet', hostile, '--policy', 'default', '--format', 'json', '--no-cache'])
  t.true(parseJson<VetJson>(d).reasons.some((x) => x.id === 'layer.path-escape'))
})
