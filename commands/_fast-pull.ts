import {readFileSync} from 'node:fs'
import {parseArgs, type ParseArgsConfig} from 'node:util'
import {envName, findConfigFile} from '../src/cli/sources.js'
import {connectionOptions, type ConnectionFlags} from '../src/cli/connection.js'
import {isImgvetError} from '../src/errors.js'
import {escapeControl} from '../src/report/escape.js'
import {runPull, type PullFlags} from './_pull-run.js'

interface ManifestFlag {
  type: 'boolean' | 'option'
  char?: string
  options?: string[]
  default?: string
  required?: boolean
  multiple?: boolean
}

/**
 * Flags whose handling lives in BaseCommand alone (credentials, settings files, debug output): oclif takes those
 * runs, as it takes any run with IMGVET_<FLAG> settings or an imgvet.yaml, so both paths always see the same options.
 */
const OCLIF_ONLY = new Set(['debug', 'username', 'password-stdin', 'authfile', 'config'])

/** An IMGVET_<FLAG> for one of pull's flags, or a settings file (src/cli/sources.ts decides which one applies). */
function hasSettings(argv: readonly string[], flags: readonly string[]): boolean {
  if (flags.some((f) => process.env[envName(f)] !== undefined)) return true
  try {
    return findConfigFile(argv, process.env, process.cwd()) !== undefined
  } catch {
    return true
  }
}

/**
 * `imgvet pull` without oclif: on a small image, loading oclif costs more than the copy (~0.1 s and ~20 MiB). The
 * flags are the command's own, read from oclif.manifest.json (built from commands/pull.ts), so there is one list
 * of them. Returns false, having done nothing, for anything it does not fully understand (help, unknown or
 * malformed flags, a missing argument): oclif then runs the command and reports as it always does.
 */
export async function fastPull(argv: readonly string[], manifestFile: string | URL): Promise<boolean> {
  const parsed = parse(argv, manifestFile)
  if (!parsed) return false
  const {ref, values} = parsed
  try {
    const opts = connectionOptions(values as ConnectionFlags, (flag, what) => process.stderr.write(`imgvet: warning: ${flag}: ${what}\n`))
    await runPull(ref, values as unknown as PullFlags, opts, async (text) => {
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    })
  } catch (e) {
    // As BaseCommand.catch: a coded error is one line and its exit code; anything else is a bug, said so.
    if (isImgvetError(e)) {
      process.stderr.write(`imgvet: ${e.oneLine()}\n`)
      process.exitCode = e.exitCode
    } else {
      process.stderr.write(`imgvet: internal error: ${escapeControl((e as Error).message.split('\n')[0] ?? '')} (run with --debug for details)\n`)
      process.exitCode = 3
    }
  }
  return true
}

function parse(argv: readonly string[], manifestFile: string | URL): {ref: string; values: Record<string, unknown>} | null {
  let flags: Record<string, ManifestFlag>
  try {
    flags = (JSON.parse(readFileSync(manifestFile, 'utf8')) as {commands: {pull: {flags: Record<string, ManifestFlag>}}}).commands.pull.flags
  } catch {
    return null
  }
  if (hasSettings(argv, Object.keys(flags))) return null
  const options: NonNullable<ParseArgsConfig['options']> = {}
  for (const [name, f] of Object.entries(flags)) {
    if (f.multiple) return null
    options[name] = {type: f.type === 'boolean' ? 'boolean' : 'string', ...(f.char ? {short: f.char} : {})}
  }
  // skopeo's and podman's spelling, as BaseCommand.init maps it; `--no-x` is oclif's negation.
  const args = argv.map((a) => (a === '--tls-verify=false' ? '--no-tls-verify' : a === '--tls-verify=true' ? '--tls-verify' : a))
  const negated = new Set<string>()
  const kept = args.filter((a) => {
    const name = /^--no-(.+)$/.exec(a)?.[1]
    if (name && flags[name]?.type === 'boolean') return !negated.add(name)
    return true
  })
  let result
  try {
    result = parseArgs({args: kept, options, allowPositionals: true, strict: true})
  } catch {
    return null
  }
  const values: Record<string, unknown> = {...result.values}
  for (const name of negated) {
    if (values[name] !== undefined) return null
    values[name] = false
  }
  const [ref, ...extra] = result.positionals
  if (ref === undefined || extra.length > 0) return null
  for (const [name, f] of Object.entries(flags)) {
    if (OCLIF_ONLY.has(name) && values[name] !== undefined) return null
    if (values[name] === undefined && f.default !== undefined) values[name] = f.default
    if (f.required && values[name] === undefined) return null
    if (f.options && values[name] !== undefined && !f.options.includes(String(values[name]))) return null
  }
  return {ref, values}
}
