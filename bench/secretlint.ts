import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {run} from '../test/support/exec.js'
import {ref, type Ctx} from './context.js'
import {median, mib, ok, rssMiB, secs, table, timed} from './measure.js'
import type {ScanRun} from './scan.js'

/** secretlint walks files one by one; past this it is reported as not finishing rather than stalling the bench. */
const SECRETLINT_TIMEOUT_MS = 6 * 60_000

/**
 * secretlint (recommended preset) over the extracted rootfs of `big`, next to the imgvet scans of the same image.
 * secretlint cannot read an image, so it gets what `umoci unpack` makes of it: files deleted by a later layer are gone.
 */
export async function secretlintSection(ctx: Ctx, bigScans: readonly ScanRun[]): Promise<string> {
  const big = ctx.images.images.big
  const layout = join(ctx.tmp, 'secretlint-layout')
  const bundle = join(ctx.tmp, 'secretlint-bundle')
  ctx.log('  extracting big with skopeo + umoci for secretlint...')
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref(ctx, big.repo)}`, `oci:${layout}:1`])
  await run('umoci', ['unpack', '--rootless', '--image', `${layout}:1`, bundle])
  const rootfs = join(bundle, 'rootfs')
  const rc = join(ctx.tmp, 'secretlintrc.json')
  writeFileSync(rc, JSON.stringify({rules: [{id: '@secretlint/secretlint-rule-preset-recommend'}]}))
  mkdirSync(rootfs, {recursive: true})

  ctx.log('  running secretlint "**/*" on the rootfs...')
  const bin = join(ctx.repoRoot, 'node_modules', '.bin', 'secretlint')
  // unix format: one line per finding, masked; the json formatter would echo every flagged file's content.
  const t = await timed(bin, ['**/*', '--secretlintrc', rc, '--format', 'unix', '--no-color'], {cwd: rootfs, tmp: ctx.tmp, timeoutMs: SECRETLINT_TIMEOUT_MS})
  if (!t.timedOut) ok(t, 'secretlint', [0, 1])
  const lines = t.stdout.split('\n').filter((l) => /^\/.+:\d+:\d+:/.test(l))
  const slPath = (l: string) => l.slice(rootfs.length).replace(/:\d+:\d+:.*$/, '')
  const slPaths = lines.map(slPath)

  const scan = bigScans[0]
  if (!scan) throw new Error('no imgvet scan of big to compare with')
  const ours = scan.report.findings.filter((f) => f.path !== null)
  const planted = ctx.images.planted
  const rows = planted.map((p) => {
    const mine = ours.filter((f) => f.path === p.path)
    const theirs = slPaths.filter((x) => x === p.path)
    return [`\`${p.path}\``, p.kind, mine.length ? `yes (${mine.map((f) => f.id).join(', ')})` : 'no', t.timedOut ? 'n/a (timed out)' : theirs.length ? `yes (${theirs.length})` : 'no']
  })
  const plantedPaths = new Set(planted.map((p) => p.path))
  const found = (paths: readonly string[]) => planted.filter((p) => paths.includes(p.path)).length
  const imgvetWall = median(bigScans.map((s) => s.t.wall))
  const imgvetRss = median(bigScans.map((s) => s.t.rssKiB))
  return [
    '',
    '## imgvet vs secretlint on the same files (image `big`; secretlint 12.0.0, recommend preset, over the umoci-extracted rootfs)',
    '',
    `secretlint is run as \`secretlint "**/*"\` (node_modules/.bin, no npx start-up) in the rootfs; the extraction (skopeo copy + umoci unpack) is not timed. imgvet reads the image straight from the registry (median of the scan runs above).`,
    '',
    table(['tool', 'input', 'wall s', 'peak RSS MiB', 'findings', 'findings on other paths', `planted found (of ${planted.length})`], [
      ['imgvet scan', `registry image, ${mib(big.uncompressed)} MiB uncompressed, ${big.files} files`, secs(imgvetWall), rssMiB(imgvetRss), String(scan.report.findings.length),
        String(ours.filter((f) => !plantedPaths.has(f.path ?? '')).length + scan.report.findings.filter((f) => f.path === null).length), String(found(ours.map((f) => f.path ?? '')))],
      ['secretlint', 'extracted rootfs (same files minus the deleted one)', t.timedOut ? `> ${SECRETLINT_TIMEOUT_MS / 1000} (killed)` : secs(t.wall), rssMiB(t.rssKiB),
        t.timedOut ? 'n/a' : String(lines.length), t.timedOut ? 'n/a' : String(slPaths.filter((p) => !plantedPaths.has(p)).length), t.timedOut ? 'n/a' : String(found(slPaths))],
    ]),
    '',
    table(['planted path', 'kind', 'imgvet', 'secretlint'], rows),
  ].join('\n')
}
