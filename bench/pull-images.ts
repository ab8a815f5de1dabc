import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {run} from '../test/support/exec.js'
import {skopeoCopy} from '../test/support/builder.js'
import type {RunningRegistry} from '../test/support/registry.js'
import {logLine, randomContent, Rng, textOf} from './content.js'
import {Layout, type BuiltLayer, type LayerWriter} from './oci-build.js'

/** Bump when the generated images change, so a stale cache is rebuilt. */
const PULL_VERSION = 1

export interface PullImage {
  repo: string
  layers: number
  /** Sum of the layer blobs as pushed (what a pull transfers, the config aside). */
  compressed: number
}

interface PullMeta {
  version: number
  images: Record<'pull85' | 'pull5', PullImage>
}

/** Two layers, as the issue measured: compressible text (logs) and incompressible binaries. */
async function twoLayers(dir: string, repo: string, textBytes: number, binaryBytes: number): Promise<PullImage> {
  const layout = new Layout(dir)
  const text = async (w: LayerWriter): Promise<BuiltLayer> => {
    const r = new Rng(textBytes)
    for (let i = 0; i * 5_000_000 < textBytes; i++) {
      await w.file(`/var/log/app/app-${i}.log`, textOf(Math.min(5_000_000, textBytes - i * 5_000_000), logLine, r))
    }
    return w.finish()
  }
  const binary = async (w: LayerWriter): Promise<BuiltLayer> => {
    for (let i = 0; i * 5_000_000 < binaryBytes; i++) {
      await w.file(`/usr/local/bin/tool-${i}`, randomContent(Math.min(5_000_000, binaryBytes - i * 5_000_000)), 0o755)
    }
    return w.finish()
  }
  const layers = await Promise.all([text(layout.layer()), binary(layout.layer())])
  layout.finish(layers, '1', ['COPY logs /var/log/app', 'COPY bin /usr/local/bin'])
  return {repo, layers: layers.length, compressed: layers.reduce((n, l) => n + l.size, 0)}
}

/**
 * The pull images, cached apart from the scan images (.bench/pull/) so `npm run bench -- pull` builds only these:
 * about 85 MB and 5 MB compressed, in two layers each.
 */
export async function providePullImages(reg: RunningRegistry, cacheRoot: string, log: (s: string) => void): Promise<PullMeta['images']> {
  const root = join(cacheRoot, 'pull')
  const metaFile = join(root, 'images.json')
  const storage = join(root, 'registry')
  if (existsSync(metaFile) && existsSync(storage)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as PullMeta
    if (meta.version === PULL_VERSION) {
      // Merges into the storage the scan images may already have put there: blobs and repositories are disjoint.
      await run('cp', ['-al', `${storage}/.`, reg.storageDir])
      return meta.images
    }
  }
  log('building pull bench images (once; cached under .bench/pull/)...')
  rmSync(root, {recursive: true, force: true})
  const work = join(root, 'build')
  mkdirSync(work, {recursive: true})
  const images = {
    pull85: await twoLayers(join(work, 'pull85'), 'pull85', 40_000_000, 76_000_000),
    pull5: await twoLayers(join(work, 'pull5'), 'pull5', 2_000_000, 4_500_000),
  }
  // A registry of its own, so the cached storage holds these images only.
  const {startRegistry} = await import('../test/support/registry.js')
  const own = await startRegistry({mode: 'plain'})
  try {
    for (const i of Object.values(images)) {
      await skopeoCopy(`oci:${join(work, i.repo)}:1`, `docker://${own.host}/${i.repo}:1`, {dest: {tlsVerify: false}})
    }
    mkdirSync(storage)
    await run('cp', ['-al', `${own.storageDir}/.`, storage])
  } finally {
    await own.stop()
  }
  rmSync(work, {recursive: true, force: true})
  await run('cp', ['-al', `${storage}/.`, reg.storageDir])
  writeFileSync(metaFile, JSON.stringify({version: PULL_VERSION, images} satisfies PullMeta, null, 2))
  return images
}
