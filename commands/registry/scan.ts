import {Args, Flags} from '@oclif/core'
import {BaseCommand, formatFlag} from '../_base.js'
import {ImgvetError} from '../../src/errors.js'
import {escapeControl} from '../../src/report/escape.js'
import {exitCodeFor} from '../../src/nightly/merge.js'
import {renderAs} from '../../src/report/render.js'
import {DEFAULT_REUSE_DAYS, runRegistryScan} from '../../src/nightly/run.js'
import {registrySupplyChainStage} from '../../src/signatures/stage.js'
import {parseShard, Selection, formatShard} from '../../src/nightly/shard.js'
import {defaultStatePath} from '../../src/nightly/state.js'
import {loadPolicy} from '../../src/policy/load.js'
import {parseReference} from '../../src/reference/reference.js'
import {Registries} from '../../src/registry/client.js'

export default class RegistryScan extends BaseCommand {
  static summary = 'Vet every image in a registry: each digest and each layer scanned once, results kept for the next run.'
  static description = [
    'Exit codes: 0 every image passes, 1 some image fails the policy, 2 bad input, 3 something could not be scanned',
    '(a repository, tag or image; the report lists each with its reason) or the run was interrupted (rerun with --resume).',
  ].join(' ')
  static examples = [
    '<%= config.bin %> registry scan registry.example.com --format html -o report.html',
    '<%= config.bin %> registry scan registry.example.com --shard $JOB_COMPLETION_INDEX/4 --format json -o shard.json',
  ]
  static args = {host: Args.string({required: true, description: 'registry host[:port]'})}
  static flags = {
    ...BaseCommand.registryFlags,
    ...BaseCommand.signerFlags,
    'no-signatures': Flags.boolean({description: 'Skip signature and provenance checks (policies that require them then fail as "not checked").'}),
    repository: Flags.string({description: 'Only repositories matching this glob (repeatable).', multiple: true}),
    tag: Flags.string({description: 'Only tags matching this glob (repeatable).', multiple: true}),
    policy: Flags.string({char: 'p', description: 'Preset name or policy file.', default: 'default'}),
    concurrency: Flags.integer({description: 'Images scanned at once.', default: 2, min: 1, max: 64}),
    shard: Flags.string({description: 'Scan shard i of N (0-based, repositories split by a hash of their name).'}),
    format: formatFlag('json', 'registry'),
    output: Flags.string({char: 'o', description: 'Write the report to FILE.'}),
    state: Flags.string({description: 'Run journal (default $XDG_STATE_HOME/imgvet/<host>[.shard-i-of-N].jsonl).'}),
    resume: Flags.boolean({description: 'Continue an interrupted run: only what it did not finish is scanned.'}),
    'rescan-after': Flags.integer({description: 'Days an unchanged digest keeps its recorded verdict.', default: DEFAULT_REUSE_DAYS, min: 0}),
    ...BaseCommand.walkFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RegistryScan)
    const host = args.host.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '')
    if (parseReference(`${host}/probe`).registry !== host) throw new ImgvetError('usage', `not a registry host: ${args.host}`)
    const shard = flags.shard !== undefined ? parseShard(flags.shard) : null
    const policy = await loadPolicy(flags.policy)
    const registries = new Registries(await this.registryOptions(flags))
    const {cache, maxLayerBytes, maxTextBytes} = this.walkOptions(flags)
    const statePath = flags.state ?? defaultStatePath(host, formatShard(shard))
    const abort = new AbortController()
    // First signal: stop starting images, keep what is done, write the report. Second: default behaviour.
    const onSignal = () => {
      process.stderr.write('imgvet: interrupted; finishing images in flight (their results are kept for --resume)\n')
      abort.abort()
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      const report = await runRegistryScan({
        host,
        registries,
        policy,
        selection: new Selection(flags.repository ?? [], flags.tag ?? [], shard),
        statePath,
        resume: flags.resume,
        concurrency: flags.concurrency,
        cache,
        maxLayerBytes,
        maxTextBytes,
        reuseMaxAgeMs: flags['rescan-after'] * 86_400_000,
        signal: abort.signal,
        supplyChain: flags['no-signatures'] ? undefined : registrySupplyChainStage(registries, {os: 'linux', architecture: 'amd64'}, this.signerOverrides(flags)),
      })
      cache?.prune()
      await this.emit(renderAs('registry', flags.format, report), flags.output)
      const failing = report.images.filter((i) => i.verdict === 'fail').length
      process.stderr.write(`imgvet: ${report.images.length} images (${report.stats.imagesReused} unchanged), ${failing} failing, ${report.errors.length} could not be scanned; ${report.stats.layersScanned} layers scanned, ${report.stats.layersFromCache} from cache\n`)
      for (const e of report.errors) process.stderr.write(`${escapeControl(`imgvet: could not scan ${e.repository}${e.tag ? `:${e.tag}` : ''}${e.platform ? ` (${e.platform})` : ''}: ${e.reason}`)}\n`)
      if (report.run.interrupted) process.stderr.write(`imgvet: run interrupted; continue it with --resume (state ${statePath})\n`)
      process.exitCode = exitCodeFor(report)
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      registries.close()
    }
  }
}
