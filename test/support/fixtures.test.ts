import test from 'ava'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {run} from './exec.js'
import {loadFixtures} from './env.js'
import {githubTokenChecksumValid} from './fake-secrets.js'
import {getBlob, getManifest, readTar} from './registry-read.js'

/** The fixture state is a contract other tests rely on: check it against the bytes the registry serves. */
const fx = loadFixtures()
const plain = fx.registries.plain

interface Manifest {
  config: {digest: string}
  layers: {digest: string; mediaType: string}[]
}
interface Config {
  config?: {User?: string; Env?: string[]; ExposedPorts?: Record<string, unknown>}
  rootfs?: {diff_ids?: string[]}
  history?: {created_by?: string; empty_layer?: boolean}[]
  architecture?: string
}

async function imageParts(repo: string, ref: string): Promise<{manifest: Manifest; config: Config}> {
  const manifest = (await getManifest(plain, repo, ref)).json as Manifest
  const config = JSON.parse((await getBlob(plain, repo, manifest.config.digest)).toString('utf8')) as Config
  return {manifest, config}
}

test('base: busybox userland, passwd with root and app (1000), USER app', async (t) => {
  const {manifest, config} = await imageParts(fx.images.base.repository, fx.images.base.digest)
  t.is(config.config?.User, fx.baseUser.name)
  const entries = await readTar(await getBlob(plain, fx.images.base.repository, manifest.layers[0]?.digest ?? ''))
  const passwd = entries.find((e) => e.name === 'etc/passwd')?.content.toString('utf8') ?? ''
  t.regex(passwd, /^root:x:0:0:/m)
  t.regex(passwd, /^app:x:1000:1000:/m)
  t.truthy(entries.find((e) => e.name === 'bin/busybox' && e.type === 'file'))
  t.truthy(entries.find((e) => e.name === 'bin/sh' && e.type === 'symlink'))
})

test('secrets: planted files are in the recorded layer, deletions are whiteouts in the recorded layer', async (t) => {
  const s = fx.secrets
  const {manifest, config} = await imageParts(s.image.repository, s.image.digest)
  t.deepEqual(manifest.layers.map((l) => l.digest), s.layers.map((l) => l.digest))
  t.deepEqual(config.rootfs?.diff_ids, s.layers.map((l) => l.diffId))
  const layers = await Promise.all(manifest.layers.map(async (l) => readTar(await getBlob(plain, s.image.repository, l.digest))))
  for (const p of s.planted) {
    const entry = layers[p.layer]?.find((e) => `/${e.name}` === p.path)
    t.truthy(entry, `${p.path} in layer ${p.layer}`)
    for (const v of p.values) t.true(entry?.content.toString('utf8').includes(v), `${p.kind} value in ${p.path}`)
    for (const [i, layer] of layers.entries()) {
      if (i !== p.layer) t.falsy(layer.find((e) => `/${e.name}` === p.path), `${p.path} only in layer ${p.layer}`)
    }
    if (p.removedIn !== undefined) t.truthy(layers[p.removedIn]?.find((e) => e.name === p.whiteout), `whiteout ${p.whiteout}`)
  }
  t.true(s.planted.some((p) => p.removedIn !== undefined))
  t.true(s.planted.some((p) => p.removedIn === undefined))
  t.is(config.config?.User, s.user)
  t.true(config.config?.Env?.includes(`${s.env.name}=${s.env.value}`))
  t.deepEqual(Object.keys(config.config?.ExposedPorts ?? {}).sort(), [...s.exposedPorts].sort())
  t.is(config.history?.[s.historyLeak.historyIndex]?.created_by, s.historyLeak.createdBy)
  t.true(s.historyLeak.createdBy.includes(s.historyLeak.value))
})

test('secrets: fake values have the real formats and are not documented examples', (t) => {
  const tokens = [fx.secrets.historyLeak.value, ...fx.secrets.planted.filter((p) => p.kind === 'github-token').flatMap((p) => p.values)]
  for (const tok of tokens) t.true(githubTokenChecksumValid(tok), 'ghp_ checksum')
  const aws = fx.secrets.planted.find((p) => p.kind === 'aws-credentials')?.values ?? []
  t.regex(aws[0] ?? '', /^AKIA[A-Z2-7]{16}$/)
  t.not(aws[0], 'AKIAIOSFODNN7EXAMPLE')
  t.regex(aws[1] ?? '', /^[A-Za-z0-9/+]{40}$/)
  t.not(aws[1], 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')
  const pkcs1 = fx.secrets.planted.find((p) => p.kind === 'rsa-private-key-pkcs1')?.values[0] ?? ''
  t.regex(pkcs1, /^-----BEGIN RSA PRIVATE KEY-----/)
  const auth = fx.secrets.planted.find((p) => p.kind === 'docker-config-auth')?.values[0] ?? ''
  t.regex(Buffer.from(auth, 'base64').toString('utf8'), /^deploy:.{24}$/)
})

test('root-user variants carry the recorded USER', async (t) => {
  t.true(fx.rootUser.length >= 6)
  for (const v of fx.rootUser) {
    const {config} = await imageParts(v.image.repository, v.image.digest)
    t.is(config.config?.User, v.user)
  }
  const alias = fx.rootUser.find((v) => v.user === 'toor')
  const {manifest} = await imageParts(alias?.image.repository ?? '', alias?.image.digest ?? '')
  const top = await readTar(await getBlob(plain, alias?.image.repository ?? '', manifest.layers.at(-1)?.digest ?? ''))
  t.regex(top.find((e) => e.name === 'etc/passwd')?.content.toString('utf8') ?? '', /^toor:x:0:0:/m)
})

test('zstd fixture layer starts with the zstd magic', async (t) => {
  const {manifest} = await imageParts(fx.images.zstd.repository, fx.images.zstd.digest)
  const layer = await getBlob(plain, fx.images.zstd.repository, manifest.layers[0]?.digest ?? '')
  t.deepEqual([...layer.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd])
})

test('archives and OCI layouts exist and hold the base', async (t) => {
  const a = fx.archives
  const index = JSON.parse(readFileSync(join(a.ociLayout.dir, 'index.json'), 'utf8')) as {manifests: {digest: string}[]}
  t.is(index.manifests[0]?.digest, a.ociDigest)
  t.is(a.ociDigest, fx.images.base.digest)
  t.true(existsSync(join(a.zstdLayout.dir, 'oci-layout')))
  const {stdout: dockerList} = await run('tar', ['-tf', a.dockerArchive.path])
  t.true(dockerList.split('\n').includes('manifest.json'))
  const {stdout: ociList} = await run('tar', ['-tf', a.ociArchive.path])
  t.true(ociList.split('\n').includes('index.json'))
  const {stdout} = await run('skopeo', ['inspect', '--config', `docker-archive:${a.dockerArchive.path}`])
  t.is((JSON.parse(stdout) as Config).config?.User, fx.baseUser.name)
})
