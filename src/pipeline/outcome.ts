import {closeSync, openSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'
import {ImgvetError} from '../errors.js'
import {VERSION} from './scan.js'
import {escapeControl} from '../report/escape.js'
import type {GitlabOptions} from '../report/gitlab.js'
import {renderAs} from '../report/render.js'
import {summarise, type Report} from '../report/types.js'

/** `-o -` is stdout, as trivy's and skopeo's; anything else is a file. */
function outputFile(output: string | undefined): string | undefined {
  return output === undefined || output === '-' ? undefined : output
}

/**
 * An unwritable -o found after a ten-minute scan loses the scan: open it for append before any work is done
 * (a file this created is removed again, so a run that fails before its report leaves nothing behind).
 */
export function checkOutputWritable(output: string | undefined): void {
  const file = outputFile(output)
  if (!file) return
  let existed = true
  try {
    if (statSync(file).isDirectory()) throw new ImgvetError('usage', 'cannot write the report: it is a directory', file)
  } catch (e) {
    if (e instanceof ImgvetError) throw e
    existed = false
  }
  try {
    closeSync(openSync(file, 'a'))
    if (!existed) unlinkSync(file)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message
    const why = code === 'ENOENT' ? `directory ${dirname(file)} does not exist` : code
    throw new ImgvetError('usage', `cannot write the report: ${why}`, file)
  }
}

/**
 * What every format says when the run could not finish, so a CI job that uploads its report `when: always` uploads
 * the truth (executionSuccessful false, scan.status failure, an error testcase, `error`), not a stale or empty file.
 */
function failedReport(kind: Report['kind'], reference: string, e: ImgvetError): Report {
  return {
    kind,
    tool: {name: 'imgvet', version: VERSION},
    image: {reference, digest: '', platform: ''},
    findings: [],
    summary: summarise([]),
    error: {code: e.code, message: e.oneLine()},
  }
}

export interface ReportTarget {
  format: string
  output?: string
  color: boolean
  gitlab: GitlabOptions
}

/** Write the report where -o says; true when it went to a file (the caller then prints its verdict line). */
export function writeReport(r: Report, to: ReportTarget): boolean {
  const file = outputFile(to.output)
  const text = r.error && to.format === 'text' ? `imgvet: ${escapeControl(r.error.message)}\n` : renderAs(r.kind, to.format, r, {color: !file && to.color, gitlab: to.gitlab})
  if (!file) {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    return false
  }
  writeFileSync(file, text)
  return true
}

/** On an error: a report saying so, when the user asked for one (a file, or a machine format on stdout). */
export function writeFailedReport(kind: Report['kind'], reference: string, e: unknown, to: ReportTarget): void {
  if (!(e instanceof ImgvetError) || (to.format === 'text' && !outputFile(to.output))) return
  try {
    writeReport(failedReport(kind, reference, e), to)
  } catch {
    // The run's own error is the one to report; a report that cannot be written adds nothing to it.
  }
}
