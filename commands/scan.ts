import {Args, Flags} from '@oclif/core'
import {BaseCommand} from './_base.js'
import {Registries} from '../src/registry/client.js'
import {openSource} from '../src/image/open.js'
import {loadAllowFile} from '../src/pipeline/allow-file.js'
import {scanReport, scanSource} from '../src/pipeline/scan.js'
import {applyAllowlist} from '../src/policy/allowlist.js'
import {render, type Format} from '../src/report/render.js'
import {useColor} from '../src/report/text.js'
import {progressBar} from '../src/report/progress.js'

export default class Scan extends BaseCommand {
  static summary = 'Scan every file of every layer (deleted ones too) and the config for credentials, keys and certificates.'
  static description = 'An index is scanned on every platform (attestation manifests skipped) unless --platform '
    + 'narrows it.'
  static examples = ['<%= config.bin %> scan registry.example.com/team/app:1.2', '<%= config.bin %> scan oci:examples/vulnerable --format sarif -o scan.sarif']
  static args = {ref: Args.string({required: true, description: 'image to scan (docker://, oci:, oci-archive:, docker-archive:)'})}
  static flags = {
    ...BaseCommand.registryFlags,
    ...BaseCommand.platformFlag,
    ...BaseCommand.reportFlags,
    allow: Flags.string({description: 'YAML file of allowlist entries (id/path/fingerprint, reason, expires).'}),
    ...BaseCommand.walkFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Scan)
    const gitlab = this.gitlabOptions(flags)
    const registries = new Registries(await this.registryOptions(flags))
    const bar = progressBar('scanning', process.stderr, 'items')
    try {
      const allow = flags.allow ? await loadAllowFile(flags.allow) : []
      const source = await openSource(args.ref, registries)
      const {cache, maxLayerBytes, maxTextBytes} = this.walkOptions(flags)
      const {platform} = this.platformChoice(flags)
      const result = await scanSource(source, {
        platform, cache, maxLayerBytes, maxTextBytes, onProgress: (d, n) => bar.update(d, n),
      })
      bar.end()
      cache?.prune()
      const all = result.results.flatMap((r) => r.findings)
      const {kept, suppressed, notices} = applyAllowlist(all, allow, new Date(), flags.allow ?? '')
      const report = scanReport(result, [...kept, ...notices], suppressed)
      await this.emit(render(report, flags.format as Format, !flags.output && useColor(), gitlab), flags.output)
    } finally {
      bar.end()
      registries.close()
    }
  }
}
