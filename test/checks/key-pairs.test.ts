import test from 'ava'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {LayerCache} from '../../src/cache/layer-cache.js'
import type {Finding} from '../../src/findings/finding.js'
import {LayerWorkerPool} from '../../src/layers/worker-pool.js'
import {scanLoadedImage} from '../../src/pipeline/scan.js'
import {makeServerCerts, type ServerCerts} from '../support/certs.js'
import {imageOf, makeTar, type TarItem} from '../layers/helpers.js'
import {sh} from './secret-fixtures.js'

// A leaf certificate and its private key in two files, as nginx and most TLS servers want them, made once with
// openssl for the whole file: the CA and the server certificate of test/support/certs.ts, plus an EC pair.
interface Material {
  ca: string
  caKey: string
  leaf: string
  leafDer: Buffer
  key: string
  keyPkcs1: string
  otherKey: string
  ecCert: string
  ecKey: string
}

let material: Material | undefined
let dir = ''

test.before(async () => {
  dir = mkdtempSync(join(process.env['IMGVET_TEST_TMP'] ?? tmpdir(), 'imgvet-key-pairs-'))
  const c: ServerCerts = await makeServerCerts(dir)
  sh('openssl', ['x509', '-in', c.certFile, '-outform', 'DER', '-out', 'server.der'], dir)
  sh('openssl', ['rsa', '-in', c.keyFile, '-traditional', '-out', 'server.rsa'], dir)
  sh('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'other.key'], dir)
  sh('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ec.p8', '-out', 'ec.crt',
    '-days', '2', '-subj', '/CN=ec.example', '-addext', 'basicConstraints=critical,CA:FALSE'], dir)
  sh('openssl', ['ec', '-in', 'ec.p8', '-out', 'ec.key'], dir)
  const read = (f: string) => readFileSync(join(dir, f), 'utf8')
  material = {
    ca: read('ca.crt'), caKey: read('ca.key'), leaf: read('server.crt'), leafDer: readFileSync(join(dir, 'server.der')),
    key: read('server.key'), keyPkcs1: read('server.rsa'), otherKey: read('other.key'), ecCert: read('ec.crt'), ecKey: read('ec.key'),
  }
})

test.after.always(() => {
  if (dir) rmSync(dir, {recursive: true, force: true})
})

function m(): Material {
  if (!material) throw new Error('certificates were not made')
  return material
}

async function scan(layers: TarItem[][], opts: {cache?: LayerCache; pool?: LayerWorkerPool | null} = {}) {
  const {image} = await imageOf(await Promise.all(layers.map(async (items) => ({tar: await makeTar(items)}))))
  return scanLoadedImage(image, {pool: opts.pool ?? null, cache: opts.cache ?? null})
}

const pairs = (fs: Finding[]) => fs.filter((f) => f.id === 'cert.leaf-with-key')
const base64Lines = (pem: string) => pem.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'))

test('a certificate and its key in two files of one layer: one finding on the certificate naming the key', async (t) => {
  const r = await scan([[
    {name: 'etc/nginx/certs/server.crt', content: m().leaf},
    {name: 'etc/nginx/certs/server.key', content: m().key},
  ]])
  const found = pairs(r.findings)
  t.is(found.length, 1)
  const f = found[0]
  t.is(f?.path, '/etc/nginx/certs/server.crt')
  t.is(f?.severity, 'high')
  t.is(f?.category, 'certificate')
  t.is(f?.layer?.index, 0)
  t.is(f?.removedIn, null)
  t.is(f?.line, 1)
  t.regex(f?.evidence ?? '', /^subject CN=127\.0\.0\.1, issuer CN=imgvet test CA, not after \d{4}-\d\d-\d\d; its private key is at \/etc\/nginx\/certs\/server\.key \(layer 0\)$/)
  t.regex(f?.fingerprint ?? '', /^[0-9a-f]{32}$/)
  // The key file keeps its own finding; the pair finding adds to it, never replaces it.
  t.true(r.findings.some((x) => x.path === '/etc/nginx/certs/server.key' && x.id === 'private-key.pkcs8'))
  const text = JSON.stringify(r.findings) + JSON.stringify(r.walk.keySightings)
  for (const l of base64Lines(m().key)) t.false(text.includes(l), 'no key material in findings or sightings')

  // Stable: the same image gives the same fingerprint; the key somewhere else is another fingerprint.
  const again = await scan([[{name: 'etc/nginx/certs/server.crt', content: m().leaf}, {name: 'etc/nginx/certs/server.key', content: m().key}]])
  t.is(pairs(again.findings)[0]?.fingerprint, f?.fingerprint)
  const moved = await scan([[{name: 'etc/nginx/certs/server.crt', content: m().leaf}, {name: 'etc/ssl/private/server.key', content: m().key}]])
  t.not(pairs(moved.findings)[0]?.fingerprint, f?.fingerprint)
  t.regex(pairs(moved.findings)[0]?.evidence ?? '', /its private key is at \/etc\/ssl\/private\/server\.key \(layer 0\)$/)
})

test('PKCS#1, SEC1 EC and DER certificates pair too', async (t) => {
  const r = await scan([[
    {name: 'srv/tls/rsa.crt', content: m().leaf},
    {name: 'srv/tls/rsa.key', content: m().keyPkcs1},
    {name: 'srv/tls/ec.crt', content: m().ecCert},
    {name: 'srv/tls/ec.key', content: m().ecKey},
    {name: 'srv/der/server.der', content: m().leafDer},
  ]])
  const byPath = new Map(pairs(r.findings).map((f) => [f.path, f]))
  t.deepEqual([...byPath.keys()].sort(), ['/srv/der/server.der', '/srv/tls/ec.crt', '/srv/tls/rsa.crt'])
  t.regex(byPath.get('/srv/tls/ec.crt')?.evidence ?? '', /subject CN=ec\.example, self-signed, .*its private key is at \/srv\/tls\/ec\.key \(layer 0\)$/)
  t.regex(byPath.get('/srv/tls/rsa.crt')?.evidence ?? '', /its private key is at \/srv\/tls\/rsa\.key \(layer 0\)$/)
  t.regex(byPath.get('/srv/der/server.der')?.evidence ?? '', /its private key is at \/srv\/tls\/rsa\.key \(layer 0\)$/)
  t.true(r.findings.some((f) => f.path === '/srv/tls/ec.key' && f.id === 'private-key.ec'))
})

test('a key in a lower layer deleted by an upper layer is still paired, and the evidence says it was deleted', async (t) => {
  const r = await scan([
    [{name: 'etc/ssl/private/x.key', content: m().key}, {name: 'etc/nginx/certs/server.crt', content: m().leaf}],
    [{name: 'etc/ssl/private/.wh.x.key'}],
  ])
  const found = pairs(r.findings)
  t.is(found.length, 1)
  t.is(found[0]?.path, '/etc/nginx/certs/server.crt')
  t.is(found[0]?.removedIn, null, 'the certificate is still in the final filesystem')
  t.regex(found[0]?.evidence ?? '', /its private key is at \/etc\/ssl\/private\/x\.key \(layer 0, deleted in layer 1 but still extractable\)$/)
  t.false(r.walk.view.entries.has('/etc/ssl/private/x.key'))
  t.is(r.findings.find((f) => f.path === '/etc/ssl/private/x.key')?.removedIn?.index, 1)
})

test('certificate and key in different layers, the certificate deleted later: removedIn on the finding', async (t) => {
  const r = await scan([
    [{name: 'etc/ssl/private/x.key', content: m().key}],
    [{name: 'etc/nginx/certs/server.crt', content: m().leaf}],
    [{name: 'etc/nginx/.wh.certs'}],
  ])
  const found = pairs(r.findings)
  t.is(found.length, 1)
  t.is(found[0]?.layer?.index, 1)
  t.is(found[0]?.removedIn?.index, 2)
  t.regex(found[0]?.evidence ?? '', /its private key is at \/etc\/ssl\/private\/x\.key \(layer 0\)$/)
})

test('a certificate whose key is not in the image is not reported', async (t) => {
  const r = await scan([[
    {name: 'etc/nginx/certs/server.crt', content: m().leaf},
    {name: 'etc/nginx/certs/other.key', content: m().otherKey},
  ]])
  t.deepEqual(pairs(r.findings), [])
  t.false(r.findings.some((f) => f.path === '/etc/nginx/certs/server.crt'), 'a leaf certificate alone is public')
  t.true(r.findings.some((f) => f.path === '/etc/nginx/certs/other.key'))
  t.is(r.walk.keySightings.filter((s) => s.role === 'cert').length, 1)
  t.is(r.walk.keySightings.filter((s) => s.role === 'key').length, 1)
})

test('a CA certificate with its key, in two files or one: existing behaviour, no leaf-with-key', async (t) => {
  const r = await scan([[
    {name: 'opt/pki/ca.crt', content: m().ca},
    {name: 'opt/pki/ca.key', content: m().caKey},
    {name: 'opt/pki/ca-and-key.pem', content: `${m().ca}${m().caKey}`},
  ]])
  t.deepEqual(pairs(r.findings), [])
  t.deepEqual(r.findings.filter((f) => f.category === 'certificate').map((f) => `${f.path} ${f.id}`).sort(),
    ['/opt/pki/ca-and-key.pem cert.private-ca', '/opt/pki/ca.crt cert.private-ca'])
  t.is(r.findings.filter((f) => f.category === 'private-key').length, 2)
})

test('a leaf already reported with its key in the same file is not reported twice', async (t) => {
  const r = await scan([[
    {name: 'etc/haproxy/site.pem', content: `${m().leaf}${m().key}`},
    {name: 'etc/haproxy/backup/site.key', content: m().key},
  ]])
  const found = pairs(r.findings)
  t.is(found.length, 1)
  t.is(found[0]?.path, '/etc/haproxy/site.pem')
  t.regex(found[0]?.evidence ?? '', /the key matches its public key$/)
})

test('a pair under a test folder is kept at info, like the same-file rule', async (t) => {
  const r = await scan([[
    {name: 'usr/lib/node_modules/x/test/fixtures/server.crt', content: m().leaf},
    {name: 'usr/lib/node_modules/x/test/fixtures/server.key', content: m().key},
  ]])
  const found = pairs(r.findings)
  t.is(found.length, 1)
  t.is(found[0]?.severity, 'info')
  t.regex(found[0]?.note ?? '', /test fixture/)
})

test('the cached second walk gives the same findings, and the cache holds hashes, not keys', async (t) => {
  const cacheDir = mkdtempSync(join(process.env['IMGVET_TEST_TMP'] ?? tmpdir(), 'imgvet-key-pairs-cache-'))
  t.teardown(() => rmSync(cacheDir, {recursive: true, force: true}))
  const cache = new LayerCache(cacheDir)
  const layers: TarItem[][] = [
    [{name: 'etc/ssl/private/x.key', content: m().key}],
    [{name: 'etc/nginx/certs/server.crt', content: m().leaf}, {name: 'etc/ssl/private/.wh.x.key'}],
  ]
  const first = await scan(layers, {cache})
  t.is(first.walk.stats.layersScanned, 2)
  const second = await scan(layers, {cache})
  t.is(second.walk.stats.layersFromCache, 2)
  t.is(second.walk.stats.layersScanned, 0)
  t.is(pairs(second.findings).length, 1)
  t.deepEqual(second.findings, first.findings)

  const stored = readdirSync(cacheDir).flatMap((d) => readdirSync(join(cacheDir, d)).map((f) => gunzipSync(readFileSync(join(cacheDir, d, f))).toString('utf8')))
  t.is(stored.length, 2)
  const all = stored.join('\n')
  t.regex(all, /"keySightings":\[\{"role":"key","spki":"[0-9a-f]{64}"/)
  t.false(all.includes('PRIVATE KEY'))
  for (const l of base64Lines(m().key)) t.false(all.includes(l))
})

test('layers scanned in worker threads carry the sightings: same pair finding as in-thread', async (t) => {
  // Random bytes keep the compressed layers above the 1 MiB threshold that sends them to the pool.
  const layers: TarItem[][] = [
    [{name: 'opt/blob.bin', content: randomBytes(1536 * 1024)}, {name: 'etc/ssl/private/x.key', content: m().key}],
    [{name: 'opt/more.bin', content: randomBytes(1536 * 1024)}, {name: 'etc/nginx/certs/server.crt', content: m().leaf}],
  ]
  const pool = new LayerWorkerPool(2)
  try {
    const {image} = await imageOf(await Promise.all(layers.map(async (items) => ({tar: await makeTar(items)}))))
    t.true(image.layers.every((l) => l.descriptor.size >= 1024 * 1024))
    const viaWorkers = await scanLoadedImage(image, {pool, cache: null})
    const inThread = await scanLoadedImage(image, {pool: null, cache: null})
    t.is(pairs(viaWorkers.findings).length, 1)
    t.regex(pairs(viaWorkers.findings)[0]?.evidence ?? '', /its private key is at \/etc\/ssl\/private\/x\.key \(layer 0\)$/)
    t.deepEqual(viaWorkers.findings, inThread.findings)
  } finally {
    await pool.close()
  }
})
