import {Args, Flags} from '@oclif/core'
import {BaseCommand} from './_base.js'
import {exitFor} from '../src/errors.js'
import {Registries} from '../src/registry/client.js'
import {openSource} from '../src/image/open.js'
import {loadAllowFile} from '../src/pipeline/allow-file.js'
import {scanReport, scanSource} from '../src/pipeline/scan.js'
import {applyAllowlist} from '../src/policy/allowlist.js'
import {gateFromFlags, gated, parseSeverityList, verdictLine} from '../src/pipeline/gate.js'
import {checkOutputWritable, writeFailedReport, writeReport, type ReportTarget} from '../src/pipeline/outcome.js'
import {useColor} from '../src/report/text.js'

export default class Scan extends BaseCommand {
  static summary = 'Scan every file of every layer (deleted ones too) and the config for credentials, keys and certificates.'
  static description = 'An index is scanned on every platform (attestation manifests skipped) unless --platform '
    + 'narrows it.'
  static examples = [
    '<%= config.bin %> scan registry.example.com/team/app:1.2',
    '<%= config.bin %> scan oci:examples/vulnerable --format sarif -o scan.sarif',
    '<%= config.bin %> scan registry.example.com/team/app:1.2 --fail-on high',
    '<%= config.bin %> scan registry.example.com/team/app:1.2 --exit-code 1 --severity HIGH,CRITICAL',
  ]
  static args = {ref: Args.string({required: true, description: 'image to scan (docker://, oci:, oci-archive:, docker-archive:)'})}
  static flags = {
    ...BaseCommand.registryFlags,
    ...BaseCommand.platformFlag,
    ...BaseCommand.reportFlags,
    ...BaseCommand.allowFlag,
    ...BaseCommand.walkFlags,
    ...BaseCommand.skipFlags,
    'exit-code': Flags.integer({description: 'Exit with this code when a finding (at --severity) remains after --allow; default 0.',
      min: 0, max: 255, helpGroup: 'GATE'}),
    severity: Flags.string({description: 'Severities to report and gate on: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL (comma list; info is UNKNOWN).',
      exclusive: ['fail-on'], helpGroup: 'GATE'}),
    'fail-on': Flags.string({description: 'Fail (exit 1, or --exit-code) when a finding at this severity or above remains.',
      helpGroup: 'GATE'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Scan)
    checkOutputWritable(flags.output)
    const gate = gateFromFlags(flags)
    const shown = flags.severity === undefined ? null : parseSeverityList(flags.severity)
    const gitlab = this.gitlabOptions(flags)
    const to: ReportTarget = {format: flags.format, output: flags.output, color: useColor(), gitlab}
    const registries = new Registries(await this.registryOptions(flags))
    const bar = this.progress(flags)
    try {
      const allow = flags.allow ? await loadAllowFile(flags.allow) : []
      const source = await openSource(args.ref, registries)
      const {cache, maxLayerBytes, maxTextBytes} = this.walkOptions(flags)
      const {platform} = this.platformChoice(flags)
      const result = await scanSource(source, {
        platform, cache, maxLayerBytes, maxTextBytes, skip: this.skipOptions(flags), onBytes: (d, n) => bar.update(d, n),
      })
      bar.end()
      cache?.prune()
      const all = result.results.flatMap((r) => r.findings)
      const {kept, suppressed, notices} = applyAllowlist(all, allow, new Date(), flags.allow ?? '')
      // As trivy's, --severity narrows what is reported as well as what gates.
      const findings = [...kept, ...notices].filter((f) => !shown || shown.has(f.severity))
      const report = scanReport(result, findings, suppressed)
      if (writeReport(report, to) && !flags.quiet) process.stderr.write(`${verdictLine(report, gate)}\n`)
      if (gate) process.exitCode = exitFor({pass: gated(report.findings, gate).length === 0}, gate.exitCode)
    } catch (e) {
      writeFailedReport('scan', args.ref, e, to)
      throw e
    } finally {
      bar.end()
      registries.close()
    }
  }
}
