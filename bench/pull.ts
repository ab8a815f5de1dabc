import {existsSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {run} from '../test/support/exec.js'
import {cli, ref, type Ctx} from './context.js'
import {median, mib, MiB, ok, rssMiB, secs, table, timed, type Timed} from './measure.js'

const RUNS = 5

interface Row {
  image: string
  bytes: number
  tool: string
  runs: Timed[]
}

/** Issue 2: `imgvet pull` against `skopeo copy` into an OCI layout, alternating, fresh directories every run. */
export async function pullSection(ctx: Ctx): Promise<string> {
  const rows: Row[] = []
  for (const name of ['big', 'big2'] as const) {
    const img = ctx.images.images[name]
    const r = ref(ctx, img.repo)
    const ours: Timed[] = []
    const theirs: Timed[] = []
    for (let i = 0; i < RUNS; i++) {
      const runOurs = async () => {
        // Write-back of the previous run's output (and its deletion) must not land in this run's time.
        await run('sync', [])
        const dir = join(ctx.tmp, `pull-imgvet-${name}-${i}`)
        const t = ok(await cli(ctx, ['pull', r, '-o', dir, '--format', 'json']), `imgvet pull ${r}`)
        const res = JSON.parse(t.stdout) as {blobs: number; bytes: number}
        if (res.blobs !== img.layers.length + 1) throw new Error(`imgvet pull wrote ${res.blobs} blobs, expected ${img.layers.length + 1}`)
        if (!existsSync(join(dir, 'index.json'))) throw new Error('imgvet pull left no index.json')
        rmSync(dir, {recursive: true, force: true})
        ours.push(t)
      }
      const runTheirs = async () => {
        await run('sync', [])
        const dir = join(ctx.tmp, `pull-skopeo-${name}-${i}`)
        theirs.push(ok(await timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${r}`, `oci:${dir}:1`], {tmp: ctx.tmp}), `skopeo copy ${r}`))
        rmSync(dir, {recursive: true, force: true})
      }
      // Alternate who goes first so page-cache and CPU-frequency drift do not favour one tool.
      if (i % 2 === 0) {
        await runOurs()
        await runTheirs()
      } else {
        await runTheirs()
        await runOurs()
      }
      ctx.log(`  pull ${name} run ${i + 1}: imgvet ${secs(ours[i]?.wall ?? NaN)} s, skopeo ${secs(theirs[i]?.wall ?? NaN)} s`)
    }
    rows.push({image: name, bytes: img.compressed, tool: 'imgvet pull', runs: ours}, {image: name, bytes: img.compressed, tool: 'skopeo copy', runs: theirs})
  }

  const med = (r: Row) => median(r.runs.map((t) => t.wall))
  const out = rows.map((r) => [
    `${r.image} (${mib(r.bytes)} MiB, ${ctx.images.images[r.image as 'big'].layers.length} layers)`,
    r.tool,
    secs(med(r)),
    r.runs.map((t) => secs(t.wall)).join(' / '),
    (r.bytes / MiB / med(r)).toFixed(0),
    r.tool === 'imgvet pull' ? secs(median(r.runs.map((t) => (JSON.parse(t.stdout) as {seconds: number}).seconds))) : '',
    rssMiB(median(r.runs.map((t) => t.rssKiB))),
    rssMiB(Math.max(...r.runs.map((t) => t.rssKiB))),
  ])
  const startup = ok(await cli(ctx, ['pull', '--help']), 'imgvet pull --help')
  const find = (image: string, tool: string) => rows.find((r) => r.image === image && r.tool === tool)
  const verdict: string[] = []
  for (const image of ['big', 'big2']) {
    const a = find(image, 'imgvet pull')
    const b = find(image, 'skopeo copy')
    if (a && b) {
      const inProcess = median(a.runs.map((t) => (JSON.parse(t.stdout) as {seconds: number}).seconds))
      verdict.push(`- ${image}: imgvet median ${secs(med(a))} s vs skopeo ${secs(med(b))} s: imgvet takes ${(med(a) / med(b)).toFixed(2)}x skopeo's time (goal <= 1.00: ${med(a) <= med(b) ? 'met' : 'MISSED'}); imgvet's copy alone (in-process) takes ${(inProcess / med(b)).toFixed(2)}x skopeo's whole run.`)
    }
  }
  const r1 = find('big', 'imgvet pull')
  const r2 = find('big2', 'imgvet pull')
  if (r1 && r2) {
    const rss1 = median(r1.runs.map((t) => t.rssKiB))
    const rss2 = median(r2.runs.map((t) => t.rssKiB))
    verdict.push(`- imgvet peak RSS ${rssMiB(rss1)} MiB on big vs ${rssMiB(rss2)} MiB on big2 (${(ctx.images.images.big2.compressed / ctx.images.images.big.compressed).toFixed(2)}x the bytes): ratio ${(rss2 / rss1).toFixed(2)} (goal: flat, ${rss2 / rss1 < 1.15 ? 'met' : 'MISSED'}).`)
  }
  return [
    '## Pull: imgvet vs skopeo (loopback plain-HTTP registry, OCI layout output)',
    '',
    table(['image', 'tool', 'median wall s', `runs (${RUNS}, alternating)`, 'MiB/s (compressed)', 'in-process s', 'median peak RSS MiB', 'max peak RSS MiB'], out),
    '',
    '"in-process" is the copy time imgvet reports itself (`seconds` of `--format json`: resolve, fetch, verify, write); skopeo reports none.',
    '',
    ...verdict,
    `- For scale: \`node bin/run.js pull --help\` (Node + oclif start-up, no work) takes ${secs(startup.wall)} s and ${rssMiB(startup.rssKiB)} MiB peak RSS on this machine.`,
  ].join('\n')
}
