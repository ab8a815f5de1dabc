import {existsSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {run} from '../test/support/exec.js'
import {cli, type Ctx} from './context.js'
import {median, mib, MiB, ok, rssMiB, secs, table, timed, type Timed} from './measure.js'
import type {PullImage} from './pull-images.js'

const RUNS = 5
/** Issue 14's goals: wall time as a multiple of skopeo's, by image; peak RSS in MiB on every image. */
const GOALS: Record<string, number> = {pull85: 1.0, pull5: 1.3}
const RSS_GOAL_MIB = 64

interface Row {
  image: PullImage
  tool: string
  runs: Timed[]
}

export type PullCtx = Omit<Ctx, 'images'> & {pullImages: Record<string, PullImage>}

/** `imgvet pull` against `skopeo copy` into an OCI layout, alternating, fresh directories every run. */
export async function pullSection(ctx: PullCtx): Promise<string> {
  const rows: Row[] = []
  for (const img of Object.values(ctx.pullImages)) {
    const r = `${ctx.reg.host}/${img.repo}:1`
    const ours: Timed[] = []
    const theirs: Timed[] = []
    for (let i = 0; i < RUNS; i++) {
      const runOurs = async () => {
        // Write-back of the previous run's output (and its deletion) must not land in this run's time.
        await run('sync', [])
        const dir = join(ctx.tmp, `pull-imgvet-${img.repo}-${i}`)
        const t = ok(await cli(ctx, ['pull', r, '-o', dir, '--format', 'json']), `imgvet pull ${r}`)
        const res = JSON.parse(t.stdout) as {blobs: number}
        if (res.blobs !== img.layers + 1) throw new Error(`imgvet pull wrote ${res.blobs} blobs, expected ${img.layers + 1}`)
        if (!existsSync(join(dir, 'index.json'))) throw new Error('imgvet pull left no index.json')
        if (existsSync(join(dir, '.imgvet-tmp'))) throw new Error('imgvet pull left its ingest directory behind')
        rmSync(dir, {recursive: true, force: true})
        ours.push(t)
      }
      const runTheirs = async () => {
        await run('sync', [])
        const dir = join(ctx.tmp, `pull-skopeo-${img.repo}-${i}`)
        const args = ['copy', '--quiet', '--src-tls-verify=false', `docker://${r}`, `oci:${dir}:1`]
        theirs.push(ok(await timed('skopeo', args, {tmp: ctx.tmp}), `skopeo copy ${r}`))
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
      ctx.log(`  pull ${img.repo} run ${i + 1}: imgvet ${secs(ours[i]?.wall ?? NaN)} s, skopeo ${secs(theirs[i]?.wall ?? NaN)} s`)
    }
    rows.push({image: img, tool: 'imgvet pull', runs: ours}, {image: img, tool: 'skopeo copy', runs: theirs})
  }

  const med = (r: Row) => median(r.runs.map((t) => t.wall))
  const cpu = (r: Row) => median(r.runs.map((t) => t.cpu))
  const inProcess = (r: Row) => median(r.runs.map((t) => (JSON.parse(t.stdout) as {seconds: number}).seconds))
  const out = rows.map((r) => [
    `${r.image.repo} (${mib(r.image.compressed)} MiB, ${r.image.layers} layers)`,
    r.tool,
    secs(med(r)),
    r.runs.map((t) => secs(t.wall)).join(' / '),
    secs(cpu(r)),
    (r.image.compressed / MiB / med(r)).toFixed(0),
    r.tool === 'imgvet pull' ? secs(inProcess(r)) : '',
    rssMiB(median(r.runs.map((t) => t.rssKiB))),
    rssMiB(Math.max(...r.runs.map((t) => t.rssKiB))),
  ])
  const startup = ok(await cli(ctx, ['pull', '--help']), 'imgvet pull --help')
  // What a plain pull loads before its first request (bin/run.js takes it past oclif).
  const fastLoad = `await import(${JSON.stringify(join(ctx.repoRoot, 'dist', 'fast-pull.js'))})`
  const fast = ok(await timed(process.execPath, ['--input-type=module', '-e', fastLoad], {tmp: ctx.tmp}), 'loading the pull fast path')
  const bare = ok(await timed(process.execPath, ['-e', '0'], {tmp: ctx.tmp}), 'node -e 0')
  const verdict: string[] = []
  const met = (yes: boolean) => (yes ? 'MET' : 'MISSED')
  for (const img of Object.values(ctx.pullImages)) {
    const a = rows.find((r) => r.image === img && r.tool === 'imgvet pull')
    const b = rows.find((r) => r.image === img && r.tool === 'skopeo copy')
    if (!a || !b) continue
    const ratio = med(a) / med(b)
    const goal = GOALS[img.repo] ?? 1
    const rss = Math.max(...a.runs.map((t) => t.rssKiB)) / 1024
    verdict.push(`- ${img.repo}: imgvet median ${secs(med(a))} s vs skopeo ${secs(med(b))} s: ${ratio.toFixed(2)}x ` +
      `(goal <= ${goal.toFixed(1)}x: ${met(ratio <= goal)}); peak RSS ${rss.toFixed(0)} MiB (goal <= ${RSS_GOAL_MIB}: ` +
      `${met(rss <= RSS_GOAL_MIB)}); CPU ${secs(cpu(a))} s vs ${secs(cpu(b))} s (${(cpu(a) / cpu(b)).toFixed(2)}x); imgvet's copy alone ` +
      `(in-process) takes ${(inProcess(a) / med(b)).toFixed(2)}x skopeo's whole run.`)
  }
  return [
    '## Pull: imgvet vs skopeo (loopback plain-HTTP registry, OCI layout output)',
    '',
    table(['image', 'tool', 'median wall s', `runs (${RUNS}, alternating)`, 'median CPU s', 'MiB/s (compressed)', 'in-process s',
      'median peak RSS MiB', 'max peak RSS MiB'], out),
    '',
    '"in-process" is the copy time imgvet reports itself (`seconds` of `--format json`: resolve, fetch, verify, write); ' +
      'skopeo reports none.',
    '',
    ...verdict,
    `- Start-up: node and pull's modules (the fast path, no oclif) take ${secs(fast.wall)} s and ${rssMiB(fast.rssKiB)} MiB; ` +
      `oclif (\`pull --help\`) ${secs(startup.wall)} s and ${rssMiB(startup.rssKiB)} MiB; bare \`node -e 0\` ` +
      `${secs(bare.wall)} s and ${rssMiB(bare.rssKiB)} MiB.`,
  ].join('\n')
}
