import {Args, Flags} from '@oclif/core'
import {readFile} from 'node:fs/promises'
import {BaseCommand, formatFlag} from '../_base.js'
import {ImgvetError} from '../../src/errors.js'
import {checkShardSet, exitCodeFor, mergeReports, parseRunReport} from '../../src/nightly/merge.js'
import {renderAs} from '../../src/report/render.js'

export default class RegistryMerge extends BaseCommand {
  static summary = 'Join the JSON reports of sharded `registry scan` jobs into one report.'
  static description = [
    'Exit codes as for registry scan, computed over the merged report: 0 all pass, 1 some fail,',
    '3 something could not be scanned.',
    'A set of reports that is not exactly the N shards of one registry and one policy is refused with exit 3',
    '(a missing or repeated shard, different N, registries or policies); --allow-partial merges missing or repeated',
    'shards anyway and marks the report partial.',
  ].join(' ')
  static examples = ['<%= config.bin %> registry merge shard-*.json --format html -o report.html']
  static strict = false
  static args = {reports: Args.string({required: true, description: 'JSON reports written by registry scan --format json'})}
  static flags = {
    format: formatFlag('json', 'registry'),
    output: Flags.string({char: 'o', description: 'Write the report to FILE.'}),
    'allow-partial': Flags.boolean({
      description: 'Merge even if shards are missing or repeated; the report says which are missing.',
    }),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(RegistryMerge)
    const files = argv.filter((a): a is string => typeof a === 'string')
    if (!files.length) throw new ImgvetError('usage', 'give at least one JSON report')
    const reports = await Promise.all(files.map(async (f) => {
      let text: string
      try {
        text = await readFile(f, 'utf8')
      } catch (e) {
        throw new ImgvetError('bad-input', `cannot read: ${(e as Error).message}`, f)
      }
      return {file: f, report: parseRunReport(text, f)}
    }))
    const missing = checkShardSet(reports, flags['allow-partial'])
    const merged = mergeReports(reports.map((r) => r.report), missing)
    await this.emit(renderAs('registry', flags.format, merged), flags.output)
    if (missing.length) {
      const shards = `shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`
      process.stderr.write(`imgvet: partial merge: ${shards} missing; the report does not cover the whole registry\n`)
    }
    process.exitCode = exitCodeFor(merged)
  }
}
