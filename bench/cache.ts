import {join} from 'node:path'
import {ref, scanJson, type Ctx} from './context.js'
import {mib, rssMiB, secs, table} from './measure.js'

/** The per-layer cache: the same image scanned twice with a fresh --cache-dir. */
export async function cacheSection(ctx: Ctx): Promise<string> {
  const big = ctx.images.images.big
  const dir = join(ctx.tmp, 'layer-cache')
  const none = await scanJson(ctx, ref(ctx, big.repo), ['--no-cache'])
  const first = await scanJson(ctx, ref(ctx, big.repo), ['--cache-dir', dir])
  const second = await scanJson(ctx, ref(ctx, big.repo), ['--cache-dir', dir])
  ctx.log(`  cache: cold ${secs(first.t.wall)} s, warm ${secs(second.t.wall)} s (${second.report.stats.layersFromCache} layers from cache)`)
  const same = JSON.stringify(first.report.findings) === JSON.stringify(second.report.findings)
  const row = (name: string, s: typeof first) => [name, secs(s.t.wall), secs(s.report.stats.seconds), `${s.report.stats.layersFromCache} / ${s.report.stats.layers}`, String(s.report.findings.length), rssMiB(s.t.rssKiB)]
  return [
    '',
    `## Layer cache (image big, ${mib(big.uncompressed)} MiB uncompressed, fresh --cache-dir)`,
    '',
    table(['run', 'wall s', 'in-process s', 'layers from cache', 'findings', 'peak RSS MiB'], [row('--no-cache (reference)', none), row('1st (cold, fills the cache)', first), row('2nd (warm)', second)]),
    '',
    `- the cold run (filling the cache) took ${secs(first.t.wall)} s against ${secs(none.t.wall)} s without the cache; the warm run takes ${((second.t.wall / first.t.wall) * 100).toFixed(0)}% of the cold run's wall time; findings identical: ${same ? 'yes' : 'NO'}.`,
  ].join('\n')
}
