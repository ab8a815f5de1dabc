// Where the scan's time goes: the layer walk through the library (registry fetch, digest and diffID checks,
// decompression, tar parsing, per-path records) with no checks, or with every file check. Prints {bytes, seconds}.
// Usage: node --import=tsx bench/walk-only.ts REF none|all
import {FILE_CHECKS} from '../src/checks/index.js'
import {openSource} from '../src/image/open.js'
import {loadImage} from '../src/image/resolve.js'
import {parsePlatform} from '../src/image/manifest.js'
import {walkImage} from '../src/layers/walk.js'
import {Registries} from '../src/registry/client.js'

const [ref, mode] = process.argv.slice(2)
if (!ref || (mode !== 'none' && mode !== 'all')) throw new Error('usage: walk-only.ts REF none|all')

const registries = new Registries({})
try {
  const image = await loadImage(await openSource(ref, registries), parsePlatform('linux/amd64'))
  const r = await walkImage(image, {checks: mode === 'none' ? [] : FILE_CHECKS, cache: null})
  process.stdout.write(JSON.stringify({bytes: r.stats.bytes, seconds: r.stats.seconds}) + '\n')
} finally {
  registries.close()
}
