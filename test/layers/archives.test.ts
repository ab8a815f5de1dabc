import test from 'ava'
import {generateKeyPairSync, randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {deflateRawSync, gzipSync} from 'node:zlib'
import {LayerCache} from '../../src/cache/layer-cache.js'
import {FILE_CHECKS} from '../../src/checks/index.js'
import {zipMembers} from '../../src/layers/archive-formats.js'
import {ARCHIVE_LIMITS, memberPath} from '../../src/layers/archives.js'
import {walkImage} from '../../src/layers/walk.js'
import {LayerWorkerPool} from '../../src/layers/worker-pool.js'
import {scanLoadedImage} from '../../src/pipeline/scan.js'
import {sh} from '../checks/secret-fixtures.js'
import {githubToken, highEntropy} from '../support/fake-secrets.js'
import {imageOf, makeTar} from './helpers.js'

const MiB = 1024 * 1024

const tarOf = (files: Record<string, string | Buffer>) => makeTar(Object.entries(files).map(([name, content]) => ({name, content})))

function workdir(t: {teardown: (fn: () => void) => void}): string {
  const dir = mkdtempSync(join(process.env['IMGVET_TEST_TMP'] ?? tmpdir(), 'imgvet-archives-'))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

function write(dir: string, files: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), {recursive: true})
    writeFileSync(join(dir, name), content)
  }
}

/**
 * A zip written by hand, for what the zip CLI will not write: names that play path games, a member that claims
 * more than it holds, many central-directory entries over the same data.
 */
interface ZipItem {
  name: string
  data: Buffer
  store?: boolean
  repeat?: number
  /** `data` already deflated (to build a bomb once and use it many times); `size` is what it inflates to. */
  size?: number
}

function zipOf(members: readonly ZipItem[]): Buffer {
  const locals: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8')
    const body = m.store || m.size !== undefined ? m.data : deflateRawSync(m.data)
    const size = m.size ?? m.data.length
    const head = Buffer.alloc(30)
    head.writeUInt32LE(0x04034b50, 0)
    head.writeUInt16LE(20, 4)
    head.writeUInt16LE(0x800, 6)
    head.writeUInt16LE(m.store ? 0 : 8, 8)
    head.writeUInt32LE(body.length, 18)
    head.writeUInt32LE(size, 22)
    head.writeUInt16LE(name.length, 26)
    for (let r = 0; r < (m.repeat ?? 1); r++) {
      const cd = Buffer.alloc(46)
      cd.writeUInt32LE(0x02014b50, 0)
      cd.writeUInt16LE(20, 4)
      cd.writeUInt16LE(20, 6)
      cd.writeUInt16LE(0x800, 8)
      cd.writeUInt16LE(m.store ? 0 : 8, 10)
      cd.writeUInt32LE(body.length, 20)
      cd.writeUInt32LE(size, 24)
      cd.writeUInt16LE(name.length, 28)
      cd.writeUInt32LE((0o100644 << 16) >>> 0, 38)
      cd.writeUInt32LE(offset, 42)
      central.push(cd, name)
    }
    locals.push(head, name, body)
    offset += 30 + name.length + body.length
  }
  const cdBuf = Buffer.concat(central)
  const end = Buffer.alloc(22)
  const count = central.length / 2
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(count, 8)
  end.writeUInt16LE(count, 10)
  end.writeUInt32LE(cdBuf.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cdBuf, end])
}

async function walk(files: Record<string, string | Buffer>, cache?: LayerCache) {
  const {image} = await imageOf([{tar: await tarOf(files)}])
  return walkImage(image, {checks: FILE_CHECKS, cache: cache ?? null})
}

const summary = (fs: ReadonlyArray<{id: string; path: string | null; line?: number}>) => fs.map((f) => `${f.id} ${f.path}${f.line ? `:${f.line}` : ''}`).sort()

test('a Java app: application.properties and a keystore inside a JAR, a .env inside a tarball, found through the walk', async (t) => {
  const dir = workdir(t)
  const token = githubToken()
  write(dir, {
    'jar/application.properties': `server.port=8080\nspring.datasource.url=jdbc:postgresql://db:5432/app\nspring.datasource.password=${highEntropy(24)}\ngithub.token=${token}\n`,
    'jar/com/example/App.class': Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]),
    'tgz/app/.env': `DEBUG=0\nGITHUB_TOKEN=${token}\n`,
    'tgz/app/README': 'nothing here\n',
  })
  sh('keytool', ['-genkeypair', '-alias', 'app', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=app', '-storetype', 'JKS', '-keystore', join(dir, 'jar/keystore.jks'), '-storepass', 'changeit', '-keypass', 'changeit', '-validity', '2'])
  sh('jar', ['--create', '--file', join(dir, 'app.jar'), '-C', join(dir, 'jar'), '.'])
  sh('tar', ['-czf', join(dir, 'backup.tgz'), '-C', join(dir, 'tgz'), 'app'])
  const res = await walk({
    'app/': '', 'app/lib/app.jar': readFileSync(join(dir, 'app.jar')),
    'srv/backup.tgz': readFileSync(join(dir, 'backup.tgz')),
  })
  const got = summary(res.findings)
  t.true(got.includes('secret.github-token /app/lib/app.jar!/application.properties:4'), got.join('\n'))
  t.true(got.some((f) => /^keystore\.jks-default-password \/app\/lib\/app\.jar!\/keystore\.jks$/.test(f)), got.join('\n'))
  t.true(got.some((f) => f.startsWith('credential-file.dotenv /srv/backup.tgz!/app/.env')), got.join('\n'))
  t.false(got.some((f) => f.includes('App.class')))
  for (const f of res.findings) t.false(f.evidence.includes(token), 'evidence stays redacted')
  t.true(res.findings.every((f) => f.layer?.index === 0 && f.removedIn === null))
})

test('nested archives are opened to depth 3 (a jar in a war in a tarball); the fourth level is named, not opened', async (t) => {
  const dir = workdir(t)
  const token = githubToken()
  write(dir, {'inner/config.properties': `api.token=${token}\n`, 'deeper/secret.properties': `api.token=${token}\n`})
  sh('zip', ['-qr', join(dir, 'inner.jar'), '.'], join(dir, 'inner'))
  sh('zip', ['-qr', join(dir, 'deepest.jar'), '.'], join(dir, 'deeper'))
  write(dir, {'war/WEB-INF/lib/inner.jar': readFileSync(join(dir, 'inner.jar')), 'deep/lib/deepest.jar': readFileSync(join(dir, 'deepest.jar'))})
  sh('zip', ['-qr', join(dir, 'deep.jar'), '.'], join(dir, 'deep'))
  write(dir, {'war/WEB-INF/lib/deep.jar': readFileSync(join(dir, 'deep.jar'))})
  mkdirSync(join(dir, 'bundle'))
  sh('jar', ['--create', '--file', join(dir, 'bundle/app.war'), '-C', join(dir, 'war'), '.'])
  sh('tar', ['-cf', join(dir, 'bundle.tar'), '-C', join(dir, 'bundle'), 'app.war'])
  const res = await walk({'opt/bundle.tar': readFileSync(join(dir, 'bundle.tar'))})
  const got = summary(res.findings)
  t.true(got.includes('secret.github-token /opt/bundle.tar!/app.war!/WEB-INF/lib/inner.jar!/config.properties:1'), got.join('\n'))
  t.false(got.some((f) => f.includes('secret.properties')), 'depth 4 is not opened')
  t.true(got.includes('archive.partial /opt/bundle.tar!/app.war!/WEB-INF/lib/deep.jar!/lib/deepest.jar'), got.join('\n'))
  const partial = res.findings.find((f) => f.id === 'archive.partial')
  t.is(partial?.severity, 'info')
  t.regex(partial?.evidence ?? '', /nested deeper than 3/)
})

test('a zip bomb costs its bound, not its claim; the layer budget stops the rest and says so', async (t) => {
  const token = githubToken()
  // 100 MiB of zeros in a text member (read up to the text bound), then 12 nested zips that each inflate to 40 MiB:
  // together past the layer's budget of inflated bytes.
  const inner = zipOf([{name: 'late.env', data: Buffer.from(`T=${token}\n`)}, {name: 'filler.bin', data: Buffer.alloc(40 * MiB), store: true}])
  const innerDeflated = deflateRawSync(inner)
  const outer = zipOf([
    {name: 'first.env', data: Buffer.from(`GITHUB_TOKEN=${token}\n`)},
    {name: 'big.txt', data: deflateRawSync(Buffer.alloc(100 * MiB)), size: 100 * MiB},
    ...Array.from({length: 12}, (_, i) => ({name: `nested-${i}.zip`, data: innerDeflated, size: inner.length})),
  ])
  t.true(outer.length < 4 * MiB, `the bomb is small on disk (${outer.length} bytes)`)
  const started = Date.now()
  const res = await walk({'app/bomb.zip': outer})
  const seconds = (Date.now() - started) / 1000
  const got = summary(res.findings)
  t.true(got.includes('secret.github-token /app/bomb.zip!/first.env:1'), got.join('\n'))
  t.true(got.some((f) => f.startsWith('secret.github-token /app/bomb.zip!/nested-0.zip!/late.env')), got.join('\n'))
  const budget = res.findings.filter((f) => f.id === 'archive.partial')
  t.is(budget.length, 1, got.join('\n'))
  t.regex(budget[0]?.evidence ?? '', /budget of 256 MiB/)
  t.false(got.some((f) => f.includes('nested-11.zip!/late.env')), 'members past the budget are not searched')
  t.true(seconds < 30, `bounded work: ${seconds}s`)
  // Many central-directory entries over one member's bytes: each read is bounded and counted.
  const overlap = zipOf([{name: 'a.properties', data: Buffer.from(`token=${token}\n`), repeat: ARCHIVE_LIMITS.maxMembers / 1000}])
  const res2 = await walk({'x.zip': overlap})
  t.is(res2.findings.filter((f) => f.id === 'secret.github-token').length, 1, 'same path, same secret: one finding')
})

test('member names are paths inside the archive: no climbing out, control characters and "!" escaped', async (t) => {
  const token = githubToken()
  t.is(memberPath('../../etc/shadow'), 'etc/shadow')
  t.is(memberPath('a/./b\\c//d'), 'a/b/c/d')
  t.is(memberPath('x!/y\x1b[31m.env'), 'x%21/y%1B[31m.env')
  t.is(memberPath('100%.txt'), '100%25.txt')
  const zip = zipOf([
    {name: '../../../etc/app.env', data: Buffer.from(`GITHUB_TOKEN=${token}\n`)},
    {name: 'fake.jar!/\x1b]0;pwned\x07.properties', data: Buffer.from(`token=${token}\n`)},
  ])
  const got = summary((await walk({'srv/data.zip': zip})).findings)
  t.true(got.some((f) => f.startsWith('secret.github-token /srv/data.zip!/etc/app.env')), got.join('\n'))
  t.true(got.some((f) => f.startsWith('secret.github-token /srv/data.zip!/fake.jar%21/%1B]0;pwned%07.properties')), got.join('\n'))
  t.false(got.some((f) => /[\x00-\x1f]/.test(f)))
})

test('an executable jar (launch script before the zip), a wheel and a nupkg; a cut zip is read by its local headers', async (t) => {
  const dir = workdir(t)
  const token = githubToken()
  write(dir, {'src/BOOT-INF/classes/application.yml': `github:\n  token: ${token}\n`})
  sh('zip', ['-qr', join(dir, 'app.jar'), '.'], join(dir, 'src'))
  const script = Buffer.from('#!/bin/bash\n# Spring Boot launch script\nexec java -jar "$0" "$@"\n')
  const exe = Buffer.concat([script, readFileSync(join(dir, 'app.jar'))])
  const wheel = zipOf([{name: 'pkg/settings.py', data: Buffer.from(`GITHUB_TOKEN = "${token}"\n`)}])
  const nupkg = zipOf([{name: 'content/appsettings.json', data: Buffer.from(`{"token": "${token}"}\n`)}])
  const got = summary((await walk({'opt/app.jar': exe, 'wheels/pkg-1.0-py3-none-any.whl': wheel, 'nuget/app.1.0.0.nupkg': nupkg})).findings)
  t.true(got.includes('secret.github-token /opt/app.jar!/BOOT-INF/classes/application.yml:2'), got.join('\n'))
  t.true(got.some((f) => f.startsWith('secret.github-token /wheels/pkg-1.0-py3-none-any.whl!/pkg/settings.py')), got.join('\n'))
  t.true(got.some((f) => f.startsWith('secret.github-token /nuget/app.1.0.0.nupkg!/content/appsettings.json')), got.join('\n'))
  // The central directory is at the end: an archive read only in part still yields the members it holds.
  const whole = zipOf([{name: 'a.env', data: Buffer.from(`T=${token}\n`)}, {name: 'b.bin', data: Buffer.alloc(1000, 7), store: true}])
  const listed = zipMembers(whole.subarray(0, whole.length - 200), 100)
  t.false(listed.complete)
  t.deepEqual(listed.members.map((m) => m.name), ['a.env', 'b.bin'])
  t.is((await listed.members[0]?.read(1024))?.buf.toString(), `T=${token}\n`)
})

test('archive members are part of the cached layer result and follow their archive when a later layer deletes it', async (t) => {
  const token = githubToken()
  const jar = zipOf([{name: 'application.properties', data: Buffer.from(`github.token=${token}\n`)}])
  const gz = gzipSync(await tarOf({'cfg/.env': `GITHUB_TOKEN=${token}\n`}))
  const dir = mkdtempSync(join(process.env['IMGVET_TEST_TMP'] ?? tmpdir(), 'imgvet-archive-cache-'))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  const cache = new LayerCache(dir)
  const {image} = await imageOf([{tar: await tarOf({'app/x.jar': jar, 'app/b.tar.gz': gz})}, {tar: await tarOf({'app/.wh.x.jar': ''})}])
  const first = await walkImage(image, {checks: FILE_CHECKS, cache})
  const second = await walkImage(image, {checks: FILE_CHECKS, cache})
  t.is(second.stats.layersFromCache, 2)
  t.deepEqual(summary(second.findings), summary(first.findings))
  const inJar = second.findings.find((f) => f.path === '/app/x.jar!/application.properties')
  const inTgz = second.findings.find((f) => f.path?.startsWith('/app/b.tar.gz!/cfg/.env'))
  t.is(inJar?.removedIn?.index, 1, 'deleted with its jar')
  t.truthy(inTgz)
  t.is(inTgz?.removedIn, null)
})

test('worker threads open archives the same way: members, key sightings and fingerprints match the in-thread walk', async (t) => {
  const key = generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  const jar = zipOf([
    {name: 'BOOT-INF/classes/application.properties', data: Buffer.from(`github.token=${githubToken()}\n`)},
    {name: 'BOOT-INF/classes/tls/server.key', data: Buffer.from(key)},
    // Random bytes keep the layer above the 1 MiB that sends it to a worker.
    {name: 'BOOT-INF/lib/native.so', data: randomBytes(2 * MiB), store: true},
  ])
  const {image} = await imageOf([{tar: await tarOf({'app/app.jar': jar})}])
  t.true((image.layers[0]?.descriptor.size ?? 0) >= MiB)
  const pool = new LayerWorkerPool(1)
  try {
    const viaWorker = await scanLoadedImage(image, {pool})
    const inThread = await scanLoadedImage(image, {pool: null})
    t.deepEqual(viaWorker.findings, inThread.findings)
    t.deepEqual(summary(viaWorker.findings.filter((f) => f.path?.includes('!/'))), [
      'private-key.pkcs8 /app/app.jar!/BOOT-INF/classes/tls/server.key:1',
      'secret.github-token /app/app.jar!/BOOT-INF/classes/application.properties:1',
    ])
    t.deepEqual(viaWorker.walk.scans[0]?.keySightings.map((k) => k.path), ['/app/app.jar!/BOOT-INF/classes/tls/server.key'])
  } finally {
    await pool.close()
  }
})
