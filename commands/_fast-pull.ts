import {connectionOptions, type ConnectionFlags} from '../src/cli/connection.js'
import {parseFast, reportFailure} from './_fast-args.js'
import {runPull, type PullFlags} from './_pull-run.js'

/**
 * `imgvet pull` without oclif: on a small image, loading oclif costs more than the copy (~0.1 s and ~20 MiB). Returns
 * false, having done nothing, for anything it does not fully understand (help, unknown or malformed flags, a missing
 * argument): oclif then runs the command and reports as it always does.
 */
export async function fastPull(argv: readonly string[], manifestFile: string | URL): Promise<boolean> {
  const parsed = parseFast(argv, manifestFile, 'pull', 1)
  if (!parsed) return false
  const {positionals: [ref], values} = parsed
  try {
    const opts = connectionOptions(values as ConnectionFlags, (flag, what) => process.stderr.write(`imgvet: warning: ${flag}: ${what}\n`))
    await runPull(ref as string, values as unknown as PullFlags, opts, async (text) => {
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    })
  } catch (e) {
    reportFailure(e)
  }
  return true
}
