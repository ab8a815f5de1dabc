import {ref, scanJson, script, type Ctx, type ScanJson} from './context.js'
import {median, mib, MiB, ok, rssMiB, secs, table, type Timed} from './measure.js'

const RUNS = 3

export interface ScanRun {
  t: Timed
  report: ScanJson
}

interface Baseline {
  t: Timed
  bytes: number
  seconds: number
}

async function baseline(ctx: Ctx, repo: string): Promise<Baseline> {
  const t = ok(await script(ctx, 'gunzip-baseline.ts', [ctx.reg.url, repo, '1']), `gunzip baseline ${repo}`)
  const r = JSON.parse(t.stdout) as {bytes: number; seconds: number}
  return {t, ...r}
}

/** What the secretlint comparison reuses: the scans of `big` this section already made. */
export interface ScanSectionResult {
  markdown: string
  bigScans: ScanRun[]
}

/** Issue 3: throughput against the gunzip+sha256 floor, per-file overhead, peak RSS on a GB-scale image. */
export async function scanSection(ctx: Ctx): Promise<ScanSectionResult> {
  const {big, big2, many, few, nm} = ctx.images.images
  const parts: string[] = []
  const goals: string[] = []
  const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED')

  // Throughput on big, alternating with the floor.
  const ours: ScanRun[] = []
  const floor: Baseline[] = []
  const bare: Baseline[] = []
  for (let i = 0; i < RUNS; i++) {
    const a = async () => ours.push(await scanJson(ctx, ref(ctx, big.repo), ['--no-cache']))
    const b = async () => floor.push(await baseline(ctx, big.repo))
    // The walk with no checks at all, to split the scan's time between walking and checking.
    const c = async () => {
      const t = ok(await script(ctx, 'walk-only.ts', [ref(ctx, big.repo), 'none']), 'walk without checks')
      bare.push({t, ...(JSON.parse(t.stdout) as {bytes: number; seconds: number})})
    }
    for (const f of i % 2 === 0 ? [a, b, c] : [c, b, a]) await f()
    const o = ours[i]
    ctx.log(`  scan big run ${i + 1}: imgvet walk ${secs(o?.report.stats.seconds ?? NaN)} s (wall ${secs(o?.t.wall ?? NaN)} s), gunzip+sha256 ${secs(floor[i]?.seconds ?? NaN)} s`)
  }
  for (const o of ours) {
    if (o.report.stats.bytes !== big.uncompressed) throw new Error(`imgvet scanned ${o.report.stats.bytes} bytes, the image holds ${big.uncompressed}`)
  }
  for (const f of [...floor, ...bare]) {
    if (f.bytes !== big.uncompressed) throw new Error(`gunzip baseline read ${f.bytes} bytes, the image holds ${big.uncompressed}`)
  }

  // Peak RSS (and throughput again) on the >= 1 GB image, one run each.
  ctx.log('  scan big2 (RSS)...')
  const huge = await scanJson(ctx, ref(ctx, big2.repo), ['--no-cache'])
  const hugeFloor = await baseline(ctx, big2.repo)

  const walkS = median(ours.map((o) => o.report.stats.seconds))
  const wallS = median(ours.map((o) => o.t.wall))
  const floorS = median(floor.map((f) => f.seconds))
  const floorWall = median(floor.map((f) => f.t.wall))
  const bareS = median(bare.map((f) => f.seconds))
  const rate = (bytes: number, s: number) => (bytes / MiB / s).toFixed(1)
  const hugeWalk = huge.report.stats.seconds
  parts.push(
    '## Scan throughput (uncompressed MiB/s; imgvet `scan --no-cache --format json`, all checks on)',
    '',
    `"in-process" is the time the tool reports for its own work (imgvet \`stats.seconds\`: the layer walk; the floor: fetch + gunzip + sha256, 2 layers at a time like the walk); "wall" adds process start-up (oclif, tsx for the floor). Medians of ${RUNS} alternating runs on big, 1 run on big2.`,
    '',
    table(['image', 'tool', 'uncompressed MiB', 'in-process s', 'MiB/s', 'wall s', 'MiB/s (wall)', 'peak RSS MiB'], [
      [`big (${big.files} files)`, 'imgvet scan', mib(big.uncompressed), secs(walkS), rate(big.uncompressed, walkS), secs(wallS), rate(big.uncompressed, wallS), rssMiB(median(ours.map((o) => o.t.rssKiB)))],
      ['big', 'imgvet walk, no checks (library: bench/walk-only.ts)', mib(big.uncompressed), secs(bareS), rate(big.uncompressed, bareS), secs(median(bare.map((f) => f.t.wall))), rate(big.uncompressed, median(bare.map((f) => f.t.wall))), rssMiB(median(bare.map((f) => f.t.rssKiB)))],
      ['big', 'node gunzip+sha256', mib(big.uncompressed), secs(floorS), rate(big.uncompressed, floorS), secs(floorWall), rate(big.uncompressed, floorWall), rssMiB(median(floor.map((f) => f.t.rssKiB)))],
      [`big2 (${big2.files} files)`, 'imgvet scan', mib(big2.uncompressed), secs(hugeWalk), rate(big2.uncompressed, hugeWalk), secs(huge.t.wall), rate(big2.uncompressed, huge.t.wall), rssMiB(huge.t.rssKiB)],
      ['big2', 'node gunzip+sha256', mib(big2.uncompressed), secs(hugeFloor.seconds), rate(big2.uncompressed, hugeFloor.seconds), secs(hugeFloor.t.wall), rate(big2.uncompressed, hugeFloor.t.wall), rssMiB(hugeFloor.t.rssKiB)],
    ]),
    '',
    `- big: imgvet ${rate(big.uncompressed, walkS)} MiB/s vs floor ${rate(big.uncompressed, floorS)} MiB/s = ${(floorS / walkS).toFixed(2)}x (wall: ${(floorWall / wallS).toFixed(2)}x); goal >= 0.8x: ${floorS / walkS >= 0.8 ? 'met' : 'MISSED'}.`,
    `- Of imgvet's ${secs(walkS)} s on big, the walk itself (fetch, digest + diffID, gunzip, tar, records) takes ${secs(bareS)} s (${(floorS / bareS).toFixed(2)}x the floor) and the file checks the other ${secs(walkS - bareS)} s.`,
    `- big2: ${(hugeFloor.seconds / hugeWalk).toFixed(2)}x the floor; peak RSS ${rssMiB(huge.t.rssKiB)} MiB scanning ${mib(big2.uncompressed)} MiB uncompressed; goal <= 256 MiB: ${huge.t.rssKiB / 1024 <= 256 ? 'met' : 'MISSED'}.`,
  )
  goals.push(`| big: large files, 4 layers | in-process time vs the gunzip+sha256 floor | >= 0.80x | ${(floorS / walkS).toFixed(2)}x (wall ${(floorWall / wallS).toFixed(2)}x) | ${verdict(floorS / walkS >= 0.8)} |`)

  // One big layer of small files: the walk is one stream, only the content checks can spread over the cores.
  const nmRuns: ScanRun[] = []
  const nmFloor: Baseline[] = []
  for (let i = 0; i < RUNS; i++) {
    const a = async () => nmRuns.push(await scanJson(ctx, ref(ctx, nm.repo), ['--no-cache']))
    const b = async () => nmFloor.push(await baseline(ctx, nm.repo))
    for (const f of i % 2 === 0 ? [a, b] : [b, a]) await f()
    ctx.log(`  scan nm run ${i + 1}: imgvet walk ${secs(nmRuns[i]?.report.stats.seconds ?? NaN)} s, gunzip+sha256 ${secs(nmFloor[i]?.seconds ?? NaN)} s`)
  }
  for (const o of nmRuns) {
    if (o.report.stats.bytes !== nm.uncompressed) throw new Error(`imgvet scanned ${o.report.stats.bytes} bytes of nm, the image holds ${nm.uncompressed}`)
  }
  const nmS = median(nmRuns.map((o) => o.report.stats.seconds))
  const nmWall = median(nmRuns.map((o) => o.t.wall))
  const nmFloorS = median(nmFloor.map((f) => f.seconds))
  const nmFloorWall = median(nmFloor.map((f) => f.t.wall))
  const skipped = nmRuns[0]?.report.stats.binaryFilesSkipped
  parts.push(
    '',
    `## One big layer (image nm: ${nm.files} files of a node_modules-like tree in 1 layer, ${mib(nm.uncompressed)} MiB uncompressed)`,
    '',
    `The tar walk of one layer is one stream; the content checks of its files run on worker threads (by default one per core besides the walking thread, which checks files itself while they are busy). Medians of ${RUNS} alternating runs.`,
    '',
    table(['tool', 'in-process s', 'MiB/s', 'wall s', 'MiB/s (wall)', 'peak RSS MiB', 'findings'], [
      ['imgvet scan', secs(nmS), rate(nm.uncompressed, nmS), secs(nmWall), rate(nm.uncompressed, nmWall), rssMiB(median(nmRuns.map((o) => o.t.rssKiB))), String(nmRuns[0]?.report.findings.length ?? '?')],
      ['node gunzip+sha256', secs(nmFloorS), rate(nm.uncompressed, nmFloorS), secs(nmFloorWall), rate(nm.uncompressed, nmFloorWall), rssMiB(median(nmFloor.map((f) => f.t.rssKiB))), ''],
    ]),
    '',
    `- nm: imgvet ${(nmFloorS / nmS).toFixed(2)}x the floor in-process (wall: ${(nmFloorWall / nmWall).toFixed(2)}x)${skipped === undefined ? '' : `; ${skipped} files skipped as binary by their content`}. The tree holds no secret: every finding is a false one.`,
  )
  goals.unshift(`| nm: one big layer of small files | in-process time vs the gunzip+sha256 floor | >= 0.60x | ${(nmFloorS / nmS).toFixed(2)}x (wall ${(nmFloorWall / nmWall).toFixed(2)}x) | ${verdict(nmFloorS / nmS >= 0.6)} |`)

  // Per-file overhead: same bytes, 100k entries vs 100.
  const manyRuns: ScanRun[] = []
  const fewRuns: ScanRun[] = []
  for (let i = 0; i < RUNS; i++) {
    const a = async () => manyRuns.push(await scanJson(ctx, ref(ctx, many.repo), ['--no-cache']))
    const b = async () => fewRuns.push(await scanJson(ctx, ref(ctx, few.repo), ['--no-cache']))
    if (i % 2 === 0) {
      await a()
      await b()
    } else {
      await b()
      await a()
    }
    ctx.log(`  per-file run ${i + 1}: 100k files ${secs(manyRuns[i]?.report.stats.seconds ?? NaN)} s, 100 files ${secs(fewRuns[i]?.report.stats.seconds ?? NaN)} s`)
  }
  const fileCount = many.files - few.files
  const mWalk = median(manyRuns.map((r) => r.report.stats.seconds))
  const fWalk = median(fewRuns.map((r) => r.report.stats.seconds))
  const mWall = median(manyRuns.map((r) => r.t.wall))
  const fWall = median(fewRuns.map((r) => r.t.wall))
  const us = (a: number, b: number) => (((a - b) / fileCount) * 1e6).toFixed(1)
  parts.push(
    '',
    '## Per-file overhead (the same 100 MB of source-like text as 100,000 files or as 100)',
    '',
    'Every file is read and handed to the text rules. The text holds no URL, token prefix or secret-like name, so the rules\' pre-filter rejects every file alike and a byte costs the same in both images; what remains is the cost of an entry.',
    '',
    table(['image', 'files', 'uncompressed MiB', 'in-process s (median)', 'wall s (median)', 'peak RSS MiB'], [
      ['many', String(many.files), mib(many.uncompressed), secs(mWalk), secs(mWall), rssMiB(median(manyRuns.map((r) => r.t.rssKiB)))],
      ['few', String(few.files), mib(few.uncompressed), secs(fWalk), secs(fWall), rssMiB(median(fewRuns.map((r) => r.t.rssKiB)))],
    ]),
    '',
    `- per-file overhead: ${us(mWalk, fWalk)} µs per file in-process, ${us(mWall, fWall)} µs per file by wall time ((many - few) / ${fileCount} files). The tar headers and padding of 100k entries add ${mib(many.uncompressed - few.uncompressed)} MiB, counted in that overhead.`,
  )
  goals.push(`| many vs few: per-file cost | (many - few) / ${fileCount} files, in-process | <= 10 µs | ${us(mWalk, fWalk)} µs (wall ${us(mWall, fWall)} µs) | ${verdict(Number(us(mWalk, fWalk)) <= 10)} |`)
  const rss = [...ours, huge, ...nmRuns, ...manyRuns, ...fewRuns].map((r) => r.t.rssKiB)
  const peak = Math.max(...rss)
  goals.push(`| every imgvet scan above | peak RSS | <= 256 MiB | ${rssMiB(peak)} MiB | ${verdict(peak / 1024 <= 256)} |`)
  const markdown = [
    '## Scan goals (each measured side by side in this run)',
    '',
    '| image | measure | goal | measured | |',
    '| --- | --- | --- | --- | --- |',
    ...goals,
    '',
    parts.join('\n').replace(/^\n+/, ''),
  ].join('\n')
  return {markdown, bigScans: ours}
}
