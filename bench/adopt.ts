import {randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {run} from '../test/support/exec.js'
import {Pusher, sha256, tarFiles} from '../test/support/push.js'
import {startRegistry} from '../test/support/registry.js'
import {cli, type Ctx} from './context.js'
import {median, mib, ok, rssMiB, secs, table, timed, type Timed} from './measure.js'

const RUNS = 3

/**
 * Issue 14: `imgvet adopt` against `skopeo copy --all` between two loopback registries, on a ~85 MB two-layer
 * image (incompressible content, so neither tool's gzip choices matter). Every run copies into a fresh repository.
 * adopt vets before it copies and reads everything back after; "warm" is the usual case of an image vetted before
 * (its layers' results in the cache), "cold" scans it again.
 */
export async function adoptSection(ctx: Pick<Ctx, 'repoRoot' | 'reg' | 'tmp' | 'log'>): Promise<string> {
  const p = new Pusher(ctx.reg.url)
  const repo = 'bench/adopt'
  const layers = []
  const diffIds: string[] = []
  let bytes = 0
  for (const [i, mb] of [[0, 45], [1, 40]] as const) {
    const files = Array.from({length: mb / 5}, (_, j) => [`data/${i}/blob-${j}.bin`, randomBytes(5 << 20)] as const)
    const tar = tarFiles(files)
    diffIds.push(sha256(tar))
    const layer = await p.blob(repo, gzipSync(tar, {level: 1}), 'application/vnd.oci.image.layer.v1.tar+gzip')
    layers.push(layer)
    bytes += layer.size
  }
  const config = await p.blob(repo,
    JSON.stringify({architecture: 'amd64', os: 'linux', created: new Date().toISOString(), config: {User: '1000'},
    rootfs: {type: 'layers', diff_ids: diffIds}}), 'application/vnd.oci.image.config.v1+json')
  await p.manifest(repo, '1',
    {schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers})
  const policy = join(ctx.tmp, 'adopt-bench-policy.yaml')
  writeFileSync(policy,
    ['version: 1', 'name: adopt-bench', 'scopes:', "  - match: '**'", '    failOn: critical',
      '    user: {nonRoot: false}', ''].join('\n'))
  const cache = join(ctx.tmp, 'adopt-cache')
  const from = `${ctx.reg.host}/${repo}:1`
  // Fill the layer cache once: the warm runs measure adopt of an image already vetted.
  ok(await cli(ctx, ['vet', from, '--policy', policy, '--cache-dir', cache, '--quiet']), 'imgvet vet (warm-up)')
  const runs: Record<Who, Timed[]> = {warm: [], head: [], cold: [], skopeo: []}
  for (let i = 0; i < RUNS; i++) {
    const order: readonly Who[] = i % 2 === 0 ? ['skopeo', 'warm', 'head', 'cold'] : ['cold', 'head', 'warm', 'skopeo']
    for (const who of order) {
      // A fresh destination every run: the CNCF registry lets a manifest name a blob another repository holds,
      // and skopeo's blob-info cache (under HOME) would mount what an earlier run pushed instead of copying.
      const dst = await startRegistry({mode: 'plain'})
      try {
        await run('sync', [])
        const to = `${dst.host}/${who}/app:1`
        const home = join(ctx.tmp, `adopt-home-${who}-${i}`)
        const t = who === 'skopeo'
          ? await timed('skopeo',
            ['copy', '--all', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${from}`,
              `docker://${to}`],
            {tmp: ctx.tmp, env: {...process.env, HOME: home}})
          : await cli(ctx, ['adopt', from, to, '--policy', policy, '--format', 'json',
            ...(who === 'cold' ? ['--no-cache'] : ['--cache-dir', cache]), ...(who === 'head' ? ['--verify-blobs',
              'head'] : [])])
        runs[who].push(ok(t, `${who} run ${i + 1}`))
      } finally {
        await dst.stop()
      }
    }
    ctx.log(`  adopt run ${i + 1}: ${order.map((w) => `${w} ${secs(runs[w][i]?.wall ?? NaN)} s`).join(', ')}`)
  }
  const med = (ts: Timed[]) => median(ts.map((t) => t.wall))
  // CPU seconds are steadier than wall time when other work shares the machine.
  const cpu = (ts: Timed[]) => median(ts.map((t) => t.cpu))
  const rows = ([['imgvet adopt (layer cache warm)', runs.warm], ['imgvet adopt --verify-blobs head (warm)', runs.head],
    ['imgvet adopt --no-cache (vet scans)', runs.cold], ['skopeo copy --all', runs.skopeo]] as const)
    .map(([tool, ts]) => [tool, secs(med(ts)), ts.map((t) => secs(t.wall)).join(' / '), secs(cpu(ts)),
      rssMiB(median(ts.map((t) => t.rssKiB)))])
  const ratio = (ts: Timed[]) => med(ts) / med(runs.skopeo)
  return [
    `## Adopt: imgvet adopt vs skopeo copy --all (two loopback plain-HTTP registries, ${mib(bytes)} MiB, 2 layers)`,
    '',
    table(['tool', 'median wall s', `runs (${RUNS}, alternating)`, 'median CPU s', 'median peak RSS MiB'], rows),
    '',
    'adopt does more than copy: it resolves and discovers the closure (legacy tags, referrers), vets the image, plans with HEADs,',
    'copies, then reads every manifest and blob back from the destination and hashes it before it moves the tag.',
    '',
    `- warm: adopt takes ${ratio(runs.warm).toFixed(2)}x skopeo's time (goal <= 1.20: ${ratio(runs.warm) <= 1.2 ? 'met' : 'MISSED'});`
      + ` without reading the blobs back (--verify-blobs head) ${ratio(runs.head).toFixed(2)}x; cold (vet scans both layers) ${ratio(runs.cold).toFixed(2)}x.`,
    `- CPU: adopt warm ${secs(cpu(runs.warm))} s, skopeo ${secs(cpu(runs.skopeo))} s (${(cpu(runs.warm) / cpu(runs.skopeo)).toFixed(2)}x).`,
    `- peak RSS: adopt ${rssMiB(median(runs.warm.map((t) => t.rssKiB)))} MiB warm, ${rssMiB(median(runs.cold.map((t) => t.rssKiB)))} MiB cold; skopeo ${rssMiB(median(runs.skopeo.map((t) => t.rssKiB)))} MiB (goal <= 64 MiB).`,
  ].join('\n')
}

type Who = 'warm' | 'head' | 'cold' | 'skopeo'
