import {existsSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {run} from './exec.js'

const ROOT = join(import.meta.dirname, '..', '..')
// The build writes oclif.manifest.json last, so its time says when dist/ was last complete.
const MARKER = join(ROOT, 'oclif.manifest.json')

function newestSource(dir: string): number {
  let newest = 0
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const s = statSync(p)
    if (s.isDirectory()) newest = Math.max(newest, newestSource(p))
    else if (name.endsWith('.ts')) newest = Math.max(newest, s.mtimeMs)
  }
  return newest
}

export function distIsStale(): boolean {
  if (!existsSync(MARKER)) return true
  const built = statSync(MARKER).mtimeMs
  return newestSource(join(ROOT, 'src')) > built || newestSource(join(ROOT, 'commands')) > built
}

/**
 * The one freshness check of dist/ for every test that runs the compiled tool: a build older than any source under
 * src/ or commands/ would test old code. `npm test` builds once before ava starts and says so with IMGVET_BUILT=1.
 * Run by hand, a test builds only when dist/ is stale (checked again under the lock), so test files that start
 * together do not rebuild dist/ under each other's running commands; a build that fails fails the test.
 */
export async function ensureBuilt(): Promise<void> {
  if (process.env.IMGVET_BUILT === '1' || !distIsStale()) return
  const r = await run('flock', ['/tmp/imgvet-build.lock', 'node', '--import=tsx', join(ROOT, 'test/support/build-if-stale.ts')],
    {cwd: ROOT, allowFail: true})
  if (distIsStale()) throw new Error(`dist/ is older than the sources and npm run build failed: ${r.stderr.slice(-500)}`)
}
