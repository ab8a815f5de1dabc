// Registry scan benchmark: >= 100 images sharing base layers on a loopback registry, a first run and an unchanged
// second run. The second run must skip unchanged digests entirely: 0 layers scanned, 0 bytes of blobs, <= 5% time.
import {readFileSync} from 'node:fs'
import {pathToFileURL} from 'node:url'
import type {RunReport} from '../src/nightly/types.js'
import {parsePolicy} from '../src/policy/load.js'
import {startRegistry} from '../test/support/registry.js'
import {makeTempDir, removeDir} from '../test/support/tmp.js'
import {baseLayers, ImageMaker, scanRegistry, writeTestPolicy} from '../test/nightly/helpers.js'

const IMAGES = 120
const WORDS = ['const', 'return', 'await', 'function', 'config', 'request', 'handler', 'user', 'value', 'error', 'items', 'export', 'import', 'string', 'number', 'result', 'client', 'server', 'cache', 'token']

/** Deterministic text with the entropy of real source (gzip ~3-4x), so layers cost what real ones do to move and scan. */
function sourceText(seed: number, bytes: number): string {
  let x = seed >>> 0 || 1
  const next = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), x)
  let out = ''
  while (out.length < bytes) {
    const n = next()
    out += `${WORDS[n % WORDS.length]}_${(n >>> 8) % 9973} = ${WORDS[(n >>> 16) % WORDS.length]}(${n % 1000}, '${(n >>> 4).toString(36)}')\n`
  }
  return out.slice(0, bytes)
}

// Each image's own layer: 64 files of 64 KiB (4 MiB, ~1.3 MiB gzipped), small next to real application layers.
const app = (i: number) => ({files: Array.from({length: 64}, (_, f) => [`srv/app${i}/module${f}.js`, sourceText(i * 1000 + f + 1, 64 * 1024)] as const)})

export async function benchRegistryScan(): Promise<string> {
  const registry = await startRegistry({mode: 'plain'})
  const dir = makeTempDir('bench-registry-scan')
  try {
    // Gzipped like real layers: two base layers of 8 MiB each (a small distro base, mounted into every repository)
    // and an application layer of 4 MiB of its own per image.
    const maker = new ImageMaker(registry, baseLayers(1024, 8192), true)
    const pushStart = Date.now()
    const name = (i: number) => `team${i % 6}/service-${String(i).padStart(3, '0')}`
    await maker.image(name(0), 'latest', app(0))
    // The rest mount the base layers from the first repository, 8 pushes at a time.
    let next = 1
    await Promise.all(Array.from({length: 8}, async () => {
      while (next < IMAGES) {
        const i = next++
        await maker.image(name(i), 'latest', app(i))
      }
    }))
    const pushSeconds = (Date.now() - pushStart) / 1000
    const policyFile = writeTestPolicy(dir)
    const policy = parsePolicy(readFileSync(policyFile, 'utf8'), policyFile)
    const scan = (): Promise<RunReport> => scanRegistry(registry.host, policy, dir, {concurrency: 2})
    const first = await scan()
    const second = await scan()
    const row = (name: string, r: RunReport) =>
      `| ${name} | ${r.stats.images} | ${r.stats.uniqueLayers} | ${r.stats.layersScanned} | ${r.stats.layersFromCache} | ${r.stats.imagesReused} | ${r.stats.bytesDownloaded} | ${r.stats.seconds.toFixed(2)} |`
    const ratio = first.stats.seconds > 0 ? (second.stats.seconds / first.stats.seconds) * 100 : 0
    const goal = second.stats.layersScanned === 0 && second.stats.bytesDownloaded === 0 && ratio <= 5
    return [
      `### registry scan (${IMAGES} images: 2 shared 8 MiB base layers + a 4 MiB layer of their own each; loopback registry; pushed in ${pushSeconds.toFixed(1)} s)`,
      '',
      '| run | images | unique layers | layers scanned | layers from cache | images reused | bytes downloaded | seconds |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      row('first', first),
      row('second, unchanged', second),
      '',
      `Second run: ${ratio.toFixed(1)}% of the first's time; goal (<= 5%, 0 layers scanned, 0 bytes) ${goal ? 'met' : 'NOT met'}.`,
      '',
    ].join('\n')
  } finally {
    await registry.stop()
    removeDir(dir)
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(await benchRegistryScan())
}
