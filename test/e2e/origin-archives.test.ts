import test from 'ava'
import {execFileSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Buildah, skopeoCopy} from '../support/builder.js'
import {dockerRef} from '../support/env.js'
import {githubToken, rsaPrivateKeyPem} from '../support/fake-secrets.js'
import {endpoint} from '../support/fixture-images.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {rpmRoot} from '../support/rpm-root.js'
import {makeTempDir, removeDir} from '../support/tmp.js'
import {assertBuilt, fx, imgvet, parseJson, type ScanJson} from './helpers.js'

/**
 * One image built by buildah and pushed to a registry of this file's own: a layer installed by rpm (rpmbuild's
 * package, rpm -i into a root, rpmdb.sqlite as rpm wrote it) and a layer of tarballs made by tar -J, tar -j and
 * zstd, each holding a token. What `scan` says of it is what a user pulling it from a registry would see.
 */
let reg: RunningRegistry
let dir = ''
let ref = ''
let shipped = ''
const token = githubToken()
const ARCHIVES = ['x.tar.xz', 'y.tar.bz2', 'z.tar.zst']

test.before(async () => {
  await assertBuilt()
  reg = await startRegistry({mode: 'plain'})
  dir = makeTempDir('imgvet-origin-archives')
  shipped = await rsaPrivateKeyPem('pkcs8')
  const root = rpmRoot(join(dir, 'rpm'), [{name: 'tlsdemo', version: '1.2', release: '3', files: {'/usr/share/tlsdemo/server.key': shipped}}])
  // Written in the same layer as the install, but by no package.
  writeFileSync(join(root, 'usr/share/tlsdemo/own.key'), await rsaPrivateKeyPem('pkcs1'))
  const src = join(dir, 'src')
  mkdirSync(join(src, 'etc'), {recursive: true})
  writeFileSync(join(src, 'etc/app.env'), `DEBUG=0\nGITHUB_TOKEN=${token}\n`)
  const tar = (name: string, flags: string[]) => execFileSync('tar', [...flags, '-cf', join(dir, name), '-C', src, 'etc'])
  tar('x.tar.xz', ['-J'])
  tar('y.tar.bz2', ['-j'])
  tar('z.tar.zst', ['--use-compress-program', 'zstd -q'])
  const b = new Buildah(join(dir, 'buildah'))
  await skopeoCopy(dockerRef(fx.images.base), b.storageRef('imgvet-base'), {src: endpoint(fx.registries.plain)}, dir)
  const ctr = await b.from('imgvet-base')
  await b.copy(ctr, root, '/')
  await b.commit(ctr, 'with-rpm')
  const next = await b.from('with-rpm')
  for (const a of ARCHIVES) await b.copy(next, join(dir, a), `/app/${a}`)
  await b.commit(next, 'origin-archives')
  const digest = await b.push('origin-archives', `docker://${reg.host}/team/origin:1`, {format: 'oci'})
  ref = `docker://${reg.host}/team/origin@${digest}`
  removeDir(join(dir, 'buildah'))
})

test.after.always(async () => {
  await reg?.stop()
  if (dir) removeDir(dir)
})

test.serial('scan finds the token in each xz, bzip2 and zstd tarball and names it through the archive', async (t) => {
  const r = await imgvet(t, ['scan', ref, '--format', 'json'])
  const j = parseJson<ScanJson>(r)
  const tokens = j.findings.filter((f) => f.id === 'secret.github-token').map((f) => f.path).sort()
  t.deepEqual(tokens, ARCHIVES.map((a) => `/app/${a}!/etc/app.env`))
  t.false(r.stdout.includes(token), 'the token is never printed whole')
})

test.serial('a key rpm installed unmodified is info with its rpm origin; a key beside it that no package owns stays high', async (t) => {
  const r = await imgvet(t, ['scan', ref, '--format', 'json'])
  const j = parseJson<ScanJson>(r)
  const server = j.findings.find((f) => f.path === '/usr/share/tlsdemo/server.key')
  t.is(server?.severity, 'info')
  t.like(server?.origin, {layer: 1, content: 'unmodified', package: {manager: 'rpm', name: 'tlsdemo', version: '1.2-3'}})
  const own = j.findings.find((f) => f.path === '/usr/share/tlsdemo/own.key')
  t.is(own?.severity, 'high')
  t.like(own?.origin, {layer: 1, content: 'unowned'})
  const text = await imgvet(t, ['scan', ref])
  t.regex(text.stdout, /origin: layer 1 \([^)]*\); rpm tlsdemo 1\.2-3: shipped unmodified/)
})
