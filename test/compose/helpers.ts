import {mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {checkCompose, type ComposeCheckResult} from '../../src/compose/check.js'
import {loadProject, type ComposeProject, type LoadOptions} from '../../src/compose/load.js'
import {loadPolicy} from '../../src/policy/load.js'
import type {Policy} from '../../src/policy/types.js'
import {makeTempDir} from '../support/tmp.js'

/** A project directory with these files (paths relative to it); every test gets its own. */
export function project(files: Record<string, string>): string {
  const dir = makeTempDir('compose')
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), {recursive: true})
    writeFileSync(join(dir, name), body)
  }
  return dir
}

export function load(
  files: Record<string, string>,
  names: string[] = ['compose.yaml'],
  opts: LoadOptions = {},
): ComposeProject {
  const dir = project(files)
  return loadProject(names, {env: {}, ...opts, cwd: dir})
}

/** The compose check without images, judged by the default preset, with an empty process environment. */
export async function check(
  yaml: string,
  extra: Record<string, string> = {},
  opts: LoadOptions = {},
  policy?: Policy,
): Promise<ComposeCheckResult> {
  const dir = project({'compose.yaml': yaml, ...extra})
  return checkCompose(['compose.yaml'], {policy: policy ?? (await loadPolicy('default')), env: {}, ...opts, cwd: dir})
}

export function ids(r: ComposeCheckResult, service?: string): string[] {
  return r.report.findings.filter((f) => service === undefined || f.service === service).map((f) => f.id)
}
