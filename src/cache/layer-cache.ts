import {createHash, randomBytes} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync, gzipSync} from 'node:zlib'
import type {FileCheck} from '../checks/check.js'
import type {LayerScan} from '../layers/scan-layer.js'

/** Bump when a cached LayerScan would differ for the same layer: its shape, or how evidence is rendered. */
export const LAYER_RESULT_SCHEMA = 7
const DEFAULT_MAX_ENTRIES = 20_000

function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(base, 'imgvet', 'layers')
}

/**
 * What a result is looked up by: the layer as this tool verified it, and everything that can change its result.
 * The content is named by the pair (compressed digest, diffID), never by the diffID alone: the diffID is the
 * config's claim, and an entry is only ever written after a scan hashed that very blob and its decompressed bytes
 * and found both as claimed. So a config that borrows a clean layer's diffID misses and is scanned (and fails);
 * the same content behind another compression is scanned once more, which is the price of checking it. Then come
 * the result schema, every check's id and version, and the walk options, so a changed rule invalidates exactly the
 * layers it must. No check reads the clock: a JWT's exp or a certificate's notAfter is stored as a fact (`expires`)
 * and judged when the report is made, so a cached result does not age.
 */
export function layerCacheKey(
  layer: VerifiedPair,
  checks: readonly FileCheck[],
  walkOptions: Record<string, unknown>,
): string {
  const material = JSON.stringify({
    schema: LAYER_RESULT_SCHEMA,
    digest: layer.digest,
    diffId: layer.diffId,
    checks: checks.map((c) => [c.id, c.version]).sort(),
    walkOptions,
  })
  return createHash('sha256').update(material).digest('hex')
}

/** A layer's compressed digest (from the verified manifest) and diffID, as one scan checked them together. */
interface VerifiedPair {
  digest: string
  diffId: string
}

/** Per-layer results on disk, gzipped JSON, written atomically, pruned oldest-first past a bound. */
export class LayerCache {
  hits = 0
  misses = 0
  constructor(readonly dir: string = defaultCacheDir(), private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  private file(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json.gz`)
  }

  get(key: string): LayerScan | null {
    const f = this.file(key)
    try {
      const scan = JSON.parse(gunzipSync(readFileSync(f)).toString('utf8')) as LayerScan
      const now = new Date()
      utimesSync(f, now, now)
      this.hits++
      return scan
    } catch {
      // Missing or unreadable (a crash mid-write cannot happen thanks to rename, but a disk can lie): rescan.
      this.misses++
      return null
    }
  }

  put(key: string, scan: LayerScan): void {
    const f = this.file(key)
    try {
      mkdirSync(join(f, '..'), {recursive: true})
      const tmp = `${f}.tmp-${randomBytes(4).toString('hex')}`
      writeFileSync(tmp, gzipSync(JSON.stringify(scan), {level: 1}))
      renameSync(tmp, f)
    } catch {
      // A cache that cannot be written only costs time next run; never fail a scan for it.
    }
  }

  /** Drop the least recently used entries beyond the bound (caches that grow forever are a known complaint). */
  prune(): number {
    let files: Array<{f: string; t: number}> = []
    try {
      for (const d of readdirSync(this.dir)) {
        const sub = join(this.dir, d)
        for (const n of readdirSync(sub)) {
          const f = join(sub, n)
          files.push({f, t: statSync(f).mtimeMs})
        }
      }
    } catch {
      return 0
    }
    if (files.length <= this.maxEntries) return 0
    files = files.sort((a, b) => a.t - b.t).slice(0, files.length - this.maxEntries)
    for (const {f} of files) rmSync(f, {force: true})
    return files.length
  }
}
