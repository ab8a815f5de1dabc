import {readFileSync} from 'node:fs'
import {parseArgs, type ParseArgsConfig} from 'node:util'
import {envName, findConfigFile} from '../src/cli/sources.js'
import {isImgvetError} from '../src/errors.js'
import {escapeControl} from '../src/report/escape.js'

interface ManifestFlag {
  type: 'boolean' | 'option'
  char?: string
  options?: string[]
  default?: string | number
  required?: boolean
  multiple?: boolean
}

/**
 * Flags whose handling lives in BaseCommand alone (credentials, settings files, debug output): oclif takes those
 * runs, as it takes any run with IMGVET_<FLAG> settings or an imgvet.yaml, so both paths always see the same options.
 */
const OCLIF_ONLY = new Set(['debug', 'username', 'password-stdin', 'authfile', 'config'])

/** An IMGVET_<FLAG> for one of the command's flags, or a settings file (src/cli/sources.ts decides which applies). */
function hasSettings(argv: readonly string[], flags: readonly string[]): boolean {
  if (flags.some((f) => process.env[envName(f)] !== undefined)) return true
  try {
    return findConfigFile(argv, process.env, process.cwd()) !== undefined
  } catch {
    return true
  }
}

interface FastArgs {
  positionals: string[]
  /** Every flag of the command: the ones given, then the manifest's defaults. */
  values: Record<string, unknown>
  /** The flags the user gave. */
  given: Set<string>
}

/**
 * A command's argv parsed without oclif, by the flags oclif.manifest.json lists for it (built from the command
 * itself, so there is one list of them). Null, having done nothing, for anything it does not fully understand
 * (help, unknown, repeated or malformed flags, a wrong number of arguments, settings from the environment or a
 * file): oclif then runs the command and reports as it always does.
 */
export function parseFast(argv: readonly string[], manifestFile: string | URL, command: string,
  positionals: number): FastArgs | null {
  let flags: Record<string, ManifestFlag>
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {commands: Record<string, {flags: Record<string, ManifestFlag>}>}
    const found = manifest.commands[command]?.flags
    if (!found) return null
    flags = found
  } catch {
    return null
  }
  if (hasSettings(argv, Object.keys(flags))) return null
  const options: NonNullable<ParseArgsConfig['options']> = {}
  for (const [name, f] of Object.entries(flags)) {
    if (f.multiple) continue
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
    // A flag given twice is oclif's to judge (it refuses some, keeps the last of others).
    result = parseArgs({args: kept, options, allowPositionals: true, strict: true, tokens: true})
  } catch {
    return null
  }
  const names = result.tokens.filter((t) => t.kind === 'option').map((t) => t.name)
  if (new Set(names).size !== names.length) return null
  const values: Record<string, unknown> = {...result.values}
  for (const name of negated) {
    if (values[name] !== undefined) return null
    values[name] = false
  }
  if (result.positionals.length !== positionals) return null
  const given = new Set(Object.keys(values))
  for (const [name, f] of Object.entries(flags)) {
    if (OCLIF_ONLY.has(name) && values[name] !== undefined) return null
    if (values[name] === undefined && f.default !== undefined) values[name] = f.default
    if (f.required && values[name] === undefined) return null
    if (f.options && values[name] !== undefined && !f.options.includes(String(values[name]))) return null
  }
  return {positionals: result.positionals, values, given}
}

/** As BaseCommand.catch: a coded error is one line and its exit code; anything else is a bug, said so. */
export function reportFailure(e: unknown): void {
  if (isImgvetError(e)) {
    process.stderr.write(`imgvet: ${e.oneLine()}\n`)
    process.exitCode = e.exitCode
  } else {
    process.stderr.write(`imgvet: internal error: ${escapeControl((e as Error).message.split('\n')[0] ?? '')} (run with --debug for details)\n`)
    process.exitCode = 3
  }
}
