import {join} from 'node:path'
import {run} from './exec.js'

const ROOT = join(import.meta.dirname, '..', '..')

/**
 * CLI tests run the compiled tool. `npm test` builds once before ava starts and says so with IMGVET_BUILT=1: then
 * nothing rebuilds dist/ while other test files are executing it. Run by hand, a test builds first (serialised by
 * flock with other builders).
 */
export async function ensureBuilt(): Promise<void> {
  if (process.env.IMGVET_BUILT === '1') return
  await run('flock', ['/tmp/imgvet-build.lock', 'npm', 'run', 'build'], {cwd: ROOT, allowFail: true})
}
