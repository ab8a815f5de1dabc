import {join} from 'node:path'
import type {RunningRegistry} from '../test/support/registry.js'
import type {BenchImages} from './images.js'
import {ok, timed, type Timed} from './measure.js'

export interface Ctx {
  repoRoot: string
  reg: RunningRegistry
  images: BenchImages
  /** Scratch space of this run; removed at the end. */
  tmp: string
  log: (s: string) => void
}

/** The CLI as users run it, compiled: `node bin/run.js ...`. */
export function cli(ctx: Pick<Ctx, 'repoRoot' | 'tmp'>, args: readonly string[], o: {timeoutMs?: number} = {}): Promise<Timed> {
  return timed(process.execPath, [join(ctx.repoRoot, 'bin', 'run.js'), ...args], {cwd: ctx.repoRoot, tmp: ctx.tmp, timeoutMs: o.timeoutMs})
}

/** A bench helper script run through tsx, each in its own process so its RSS is its own. */
export function script(ctx: Ctx, file: string, args: readonly string[]): Promise<Timed> {
  return timed(process.execPath, ['--import=tsx', join(ctx.repoRoot, 'bench', file), ...args], {cwd: ctx.repoRoot, tmp: ctx.tmp})
}

export interface ScanStats {
  layers: number
  files: number
  bytes: number
  seconds: number
  layersFromCache: number
  /** Files the text rules left out because their first bytes are binary (absent before that count existed). */
  binaryFilesSkipped?: number
}

export interface ScanJson {
  findings: Array<{id: string; path: string | null; removedIn: unknown; severity: string}>
  stats: ScanStats
}

/** `imgvet scan REF --format json`; exit 0 or 1 (findings) both mean the scan completed. */
export async function scanJson(ctx: Ctx, ref: string, extra: readonly string[]): Promise<{t: Timed; report: ScanJson}> {
  const t = ok(await cli(ctx, ['scan', ref, '--format', 'json', ...extra]), `imgvet scan ${ref}`, [0, 1])
  return {t, report: JSON.parse(t.stdout) as ScanJson}
}

export function ref(ctx: Ctx, repo: string): string {
  return `${ctx.reg.host}/${repo}:1`
}
