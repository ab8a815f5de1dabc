import {createRequire} from 'node:module'
import {script, type Ctx} from './context.js'
import {median, mib, MiB, ok, rssMiB, secs, table, type Timed} from './measure.js'

const RUNS = 3

function napiAvailable(): string | null {
  try {
    createRequire(import.meta.url)('zstd-napi')
    return null
  } catch (e) {
    return (e as Error).message.split('\n')[0] ?? 'not loadable'
  }
}

/** Which zstd decoder src/layers/decompress.ts should use on Node 20, measured on real layer tars. */
export async function zstdSection(ctx: Ctx): Promise<string> {
  const missing = napiAvailable()
  const decoders = ['fzstd', 'cli', ...(missing ? [] : ['zstd-napi'])]
  const label: Record<string, string> = {
    fzstd: 'fzstd 0.1 (pure JS; our fallback when no zstd binary)',
    cli: '`zstd -dc` 1.5 CLI piped into Node (our path when zstd is installed)',
    'zstd-napi': 'zstd-napi 0.0.13 (native addon, DecompressStream)',
  }
  const rows: string[][] = []
  for (const z of ctx.images.zstd) {
    const res: Record<string, Timed[]> = {}
    for (let i = 0; i < RUNS; i++) {
      // Rotate the order so no decoder always runs on a cold page cache.
      const order = decoders.map((_, k) => decoders[(k + i) % decoders.length] as string)
      for (const d of order) {
        const t = ok(await script(ctx, 'zstd-decode.ts', [d, z.file]), `zstd decode with ${d}`)
        const r = JSON.parse(t.stdout) as {bytes: number; seconds: number}
        if (r.bytes !== z.uncompressed) throw new Error(`${d} produced ${r.bytes} bytes, expected ${z.uncompressed}`)
        ;(res[d] ??= []).push({...t, wall: r.seconds})
      }
    }
    for (const d of decoders) {
      const ts = res[d] ?? []
      const s = median(ts.map((t) => t.wall))
      rows.push([`${z.name}: ${mib(z.compressed)} -> ${mib(z.uncompressed)} MiB`, label[d] ?? d, secs(s), (z.uncompressed / MiB / s).toFixed(0), rssMiB(median(ts.map((t) => t.rssKiB)))])
    }
  }
  return [
    '',
    '## zstd decoders on Node 20 (same layer tars as `big`, compressed with `zstd -3`)',
    '',
    `Seconds from opening the file to the last decoded byte inside the measuring process (median of ${RUNS}); peak RSS of that process (the CLI's own memory is not in it).`,
    '',
    table(['layer', 'decoder', 'seconds', 'MiB/s (uncompressed)', 'peak RSS MiB'], rows),
    ...(missing ? ['', `- zstd-napi was not measured: ${missing}`] : []),
  ].join('\n')
}
