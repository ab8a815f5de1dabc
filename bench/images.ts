import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {run} from '../test/support/exec.js'
import {skopeoCopy} from '../test/support/builder.js'
import {awsKeyPair, base62, crc32, githubToken, highEntropy, randomFrom, BASE62, rsaPrivateKeyPem} from '../test/support/fake-secrets.js'
import type {RunningRegistry} from '../test/support/registry.js'
import {jsonLine, logLine, randomContent, Rng, sourceChunk, textOf} from './content.js'
import {nodeModulesTree} from './node-modules.js'
import {Layout, type BuiltLayer, type LayerWriter} from './oci-build.js'

/** Bump when the generated images change: a stale cache would benchmark something other than the code says. */
const CACHE_VERSION = 3
/** The same for the small-files pair alone, which is cheap to rebuild without touching the big images. */
const SMALL_VERSION = 2

export interface Planted {
  path: string
  kind: string
  /** Deleted by a whiteout in a later layer: still in the blob, gone from an extracted rootfs. */
  deleted: boolean
}

export interface ImageInfo {
  repo: string
  tag: string
  layers: Array<{digest: string; size: number; diffId: string; uncompressed: number; files: number}>
  compressed: number
  uncompressed: number
  files: number
}

export interface BenchImages {
  version: number
  smallVersion: number
  /** The one-big-layer image is built on its own too, so adding it did not rebuild the others. */
  nmVersion?: number
  images: Record<'big' | 'big2' | 'many' | 'few' | 'nm', ImageInfo>
  planted: Planted[]
  /** zstd-compressed copies of big's text and random layers, for the decoder comparison. */
  zstd: Array<{name: string; file: string; uncompressed: number; compressed: number}>
}

interface Plant extends Planted {
  content: string
}

function npmToken(): string {
  const body = randomFrom(BASE62, 30)
  return `npm_${body}${base62(crc32(body), 6)}`
}

/** Fresh fake credentials of kinds both imgvet and secretlint's recommended preset claim to find. */
async function makePlants(): Promise<Plant[]> {
  const aws = awsKeyPair()
  const slack = `https://hooks.slack.com/services/T${randomFrom('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 8)}/B${randomFrom('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 8)}/${highEntropy(24)}`
  return [
    {path: '/app/.env', kind: 'GitHub token', deleted: false, content: `APP_ENV=production\nGITHUB_TOKEN=${githubToken()}\n`},
    {path: '/root/.aws/credentials', kind: 'AWS access key pair', deleted: false,
      content: `[default]\naws_access_key_id = ${aws.accessKeyId}\naws_secret_access_key = ${aws.secretAccessKey}\nregion = eu-west-1\n`},
    {path: '/app/config/id_rsa', kind: 'RSA private key (PKCS#1)', deleted: false, content: await rsaPrivateKeyPem('pkcs1')},
    {path: '/app/config/database.yml', kind: 'password in a connection URL', deleted: false,
      content: `production:\n  url: postgres://app:${highEntropy(20)}@db.internal:5432/app\n  pool: 10\n`},
    {path: '/app/config/notify.yml', kind: 'Slack webhook URL', deleted: false, content: `alerts:\n  channel: ops\n  webhook: ${slack}\n`},
    {path: '/tmp/build/.npmrc', kind: 'npm token (file deleted in a later layer)', deleted: true, content: `//registry.npmjs.org/:_authToken=${npmToken()}\n`},
  ]
}

async function baseLayer(w: LayerWriter, plants: readonly Plant[]): Promise<BuiltLayer> {
  await w.file('/etc/passwd', Buffer.from('root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/app:/bin/sh\n'))
  await w.file('/etc/group', Buffer.from('root:x:0:\napp:x:1000:\n'))
  await w.file('/etc/os-release', Buffer.from('NAME="imgvet bench"\nID=bench\nVERSION_ID=1\n'))
  for (const p of plants) await w.file(p.path, Buffer.from(p.content), 0o600)
  return w.finish()
}

/** Logs and JSON data: long text files, 5 MB each. */
async function dataLayer(w: LayerWriter, scale: number, seed: number): Promise<BuiltLayer> {
  const r = new Rng(seed)
  for (let i = 0; i < 40 * scale; i++) await w.file(`/var/log/app/app-${i}.log`, textOf(5_000_000, logLine, r))
  for (let i = 0; i < 20 * scale; i++) await w.file(`/srv/data/records-${i}.json`, textOf(5_000_000, jsonLine, r))
  return w.finish()
}

/** A source tree: thousands of 40 KB files. */
async function sourceLayer(w: LayerWriter, scale: number, seed: number): Promise<BuiltLayer> {
  const r = new Rng(seed)
  for (let p = 0; p < 30 * scale; p++) {
    for (let m = 0; m < 100; m++) await w.file(`/usr/src/app/packages/pkg-${p}/src/mod-${m}.js`, textOf(40_000, (rng) => sourceChunk(rng), r))
  }
  return w.finish()
}

/** Incompressible files: shared libraries and extension-less executables (the latter are read by the text rules). */
async function binaryLayer(w: LayerWriter, scale: number, deleted: readonly string[]): Promise<BuiltLayer> {
  for (let i = 0; i < 10 * scale; i++) await w.file(`/usr/lib/x86_64-linux-gnu/libbench-${i}.so.1`, randomContent(8_000_000), 0o755)
  for (let i = 0; i < 14 * scale; i++) await w.file(`/usr/local/bin/tool-${i}`, randomContent(5_000_000), 0o755)
  for (const d of deleted) await w.whiteout(d)
  return w.finish()
}

function info(repo: string, layers: readonly BuiltLayer[]): ImageInfo {
  return {
    repo,
    tag: '1',
    layers: layers.map((l) => ({digest: l.digest, size: l.size, diffId: l.diffId, uncompressed: l.uncompressed, files: l.files})),
    compressed: layers.reduce((n, l) => n + l.size, 0),
    uncompressed: layers.reduce((n, l) => n + l.uncompressed, 0),
    files: layers.reduce((n, l) => n + l.files, 0),
  }
}

async function buildBig(dir: string, repo: string, scale: number, plants: readonly Plant[]): Promise<ImageInfo> {
  const layout = new Layout(dir)
  // Layers are built side by side: the generator runs on the main thread while zlib compresses on the pool.
  const layers = await Promise.all([
    baseLayer(layout.layer(), plants),
    dataLayer(layout.layer(), scale, 17 * scale),
    sourceLayer(layout.layer(), scale, 29 * scale),
    binaryLayer(layout.layer(), scale, plants.filter((p) => p.deleted).map((p) => p.path)),
  ])
  layout.finish(layers, '1', ['COPY config /', 'COPY data /', 'COPY src /usr/src/app', 'COPY --from=build /out /usr'])
  return info(repo, layers)
}

const SMALL_FILES = 100_000
const SMALL_SIZE = 1000
const FEW_FILES = 100

/**
 * The per-file overhead pair: 100k files of 1000 bytes, and exactly the same bytes in 100 files of 1 MB, each under
 * the text rules' 1 MiB read cap so both images have every byte scanned and differ only in the number of entries.
 */
async function buildSmallFiles(manyDir: string, fewDir: string): Promise<[ImageInfo, ImageInfo]> {
  const text = textOf(SMALL_FILES * SMALL_SIZE, (r) => sourceChunk(r, false), new Rng(4242)).subarray(0, SMALL_FILES * SMALL_SIZE)
  const many = new Layout(manyDir)
  const few = new Layout(fewDir)
  const build = async (w: LayerWriter, count: number, size: number, name: (i: number) => string) => {
    for (let i = 0; i < count; i++) await w.file(name(i), text.subarray(i * size, (i + 1) * size))
    return w.finish()
  }
  const [m, f] = await Promise.all([
    build(many.layer(), SMALL_FILES, SMALL_SIZE, (i) => `/usr/share/bench-docs/d${Math.floor(i / 100)}/f${i}.txt`),
    build(few.layer(), FEW_FILES, (SMALL_FILES * SMALL_SIZE) / FEW_FILES, (i) => `/usr/share/bench-docs/d${i}/all.txt`),
  ])
  many.finish([m], '1', ['COPY docs /usr/share/bench-docs'])
  few.finish([f], '1', ['COPY docs /usr/share/bench-docs'])
  return [info('many', [m]), info('few', [f])]
}

const NM_VERSION = 1
const NM_FILES = 20_000

/** One layer holding a node_modules-like tree of ~20k small text files (~200 MB): a single layer, one walk. */
async function buildNodeModules(dir: string): Promise<ImageInfo> {
  const layout = new Layout(dir)
  const w = layout.layer()
  for (const f of nodeModulesTree(NM_FILES, 7)) await w.file(f.path, f.content)
  const l = await w.finish()
  layout.finish([l], '1', ['COPY node_modules /app/node_modules'])
  return info('nm', [l])
}

/** Builds and pushes the one-big-layer image when the cache lacks it (or holds an older one). */
async function provideNodeModules(reg: RunningRegistry, meta: BenchImages, work: string, storage: string, metaFile: string, log: (s: string) => void): Promise<void> {
  if (meta.nmVersion === NM_VERSION && meta.images.nm) return
  log('building the one-big-layer image (node_modules-like)...')
  meta.images.nm = await buildNodeModules(join(work, 'nm'))
  await push(reg, work, [meta.images.nm])
  rmSync(work, {recursive: true, force: true})
  await keepStorage(reg, storage)
  meta.nmVersion = NM_VERSION
  writeFileSync(metaFile, JSON.stringify(meta, null, 2))
}

/** The same tar as a zstd layer (what `--compression-format zstd` pushes), from the gzip blob in the layout. */
async function zstdCopy(layout: string, digest: string, out: string): Promise<number> {
  const blob = join(layout, 'blobs', 'sha256', digest.replace(/^sha256:/, ''))
  await run('sh', ['-c', 'gzip -dc "$1" | zstd -q -3 -f -o "$2"', 'sh', blob, out])
  return Number((await run('stat', ['-c', '%s', out])).stdout.trim())
}

export interface ImageCache {
  root: string
  meta: BenchImages
}

/**
 * Puts the bench images into `reg`. The first run builds OCI layouts and pushes them with skopeo, then keeps the
 * registry's storage under .bench/; later runs hard-link that storage into the fresh registry, which costs nothing.
 */
async function push(reg: RunningRegistry, work: string, images: readonly ImageInfo[]): Promise<void> {
  for (const i of images) await skopeoCopy(`oci:${join(work, i.repo)}:1`, `docker://${reg.host}/${i.repo}:${i.tag}`, {dest: {tlsVerify: false}})
}

/** Hard links: the registry never rewrites a blob, and the cache survives the registry's temp dir going away. */
async function keepStorage(reg: RunningRegistry, storage: string): Promise<void> {
  rmSync(storage, {recursive: true, force: true})
  mkdirSync(storage)
  await run('cp', ['-al', `${reg.storageDir}/.`, storage])
}

/**
 * Puts the bench images into `reg`. The first run builds OCI layouts and pushes them with skopeo, then keeps the
 * registry's storage under .bench/; later runs hard-link that storage into the fresh registry, which costs nothing.
 */
export async function provideImages(reg: RunningRegistry, cacheRoot: string, log: (s: string) => void): Promise<BenchImages> {
  const metaFile = join(cacheRoot, 'images.json')
  const storage = join(cacheRoot, 'registry')
  const work = join(cacheRoot, 'build')
  rmSync(work, {recursive: true, force: true})
  if (existsSync(metaFile) && existsSync(storage)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as BenchImages
    if (meta.version === CACHE_VERSION && meta.zstd.every((z) => existsSync(z.file))) {
      await run('cp', ['-al', `${storage}/.`, reg.storageDir])
      if (meta.smallVersion !== SMALL_VERSION) {
        log('rebuilding the small-files images...')
        const [many, few] = await buildSmallFiles(join(work, 'many'), join(work, 'few'))
        await push(reg, work, [many, few])
        rmSync(work, {recursive: true, force: true})
        await keepStorage(reg, storage)
        meta.images.many = many
        meta.images.few = few
        meta.smallVersion = SMALL_VERSION
        writeFileSync(metaFile, JSON.stringify(meta, null, 2))
      }
      await provideNodeModules(reg, meta, work, storage, metaFile, log)
      return meta
    }
  }
  log('building bench images (once; cached under .bench/)...')
  rmSync(cacheRoot, {recursive: true, force: true})
  mkdirSync(cacheRoot, {recursive: true})
  const t0 = Date.now()
  const plants = await makePlants()
  const big = await buildBig(join(work, 'big'), 'big', 1, plants)
  log(`  big: ${(big.compressed / 1e6).toFixed(0)} MB compressed, ${(big.uncompressed / 1e6).toFixed(0)} MB uncompressed (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
  const big2 = await buildBig(join(work, 'big2'), 'big2', 2, plants)
  log(`  big2: ${(big2.compressed / 1e6).toFixed(0)} MB compressed, ${(big2.uncompressed / 1e6).toFixed(0)} MB uncompressed (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
  const [many, few] = await buildSmallFiles(join(work, 'many'), join(work, 'few'))
  const zstd: BenchImages['zstd'] = []
  for (const [name, idx] of [['text layer (logs, JSON)', 1], ['incompressible layer', 3]] as const) {
    const l = big.layers[idx]
    if (!l) throw new Error('big image has fewer layers than expected')
    const file = join(cacheRoot, `layer-${idx}.tar.zst`)
    zstd.push({name, file, uncompressed: l.uncompressed, compressed: await zstdCopy(join(work, 'big'), l.digest, file)})
  }
  await push(reg, work, [big, big2, many, few])
  rmSync(work, {recursive: true, force: true})
  await keepStorage(reg, storage)
  const meta = {version: CACHE_VERSION, smallVersion: SMALL_VERSION, images: {big, big2, many, few},
    planted: plants.map(({path, kind, deleted}) => ({path, kind, deleted})), zstd} as BenchImages
  writeFileSync(metaFile, JSON.stringify(meta, null, 2))
  await provideNodeModules(reg, meta, work, storage, metaFile, log)
  log(`  images ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  return meta
}
