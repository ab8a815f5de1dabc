import {Args, Flags} from '@oclif/core'
import {BaseCommand} from './_base.js'
import {exitFor} from '../src/errors.js'
import {Registries} from '../src/registry/client.js'
import {openSource} from '../src/image/open.js'
import {policyReference, vetSource} from '../src/pipeline/vet.js'
import {loadPolicy} from '../src/policy/load.js'
import {loadAllowFile, withAllowFile} from '../src/pipeline/allow-file.js'
import {verdictLine} from '../src/pipeline/gate.js'
import {checkOutputWritable, writeFailedReport, writeReport, type ReportTarget} from '../src/pipeline/outcome.js'
import {useColor} from '../src/report/text.js'
import {localSupplyChainStage, registrySupplyChainStage} from '../src/signatures/stage.js'
import {localSourceLabel} from '../src/signatures/layout-store.js'
import {offlineNotes} from '../src/pipeline/offline.js'

export default class Vet extends BaseCommand {
  static summary = 'Decide whether an image can be trusted: signatures, layer scan, config checks, judged by a trust policy.'
  static description = 'An index is checked on every platform (attestation manifests skipped) unless --platform '
    + 'narrows it; it passes only if every platform passes. '
    + 'Exit codes: 0 the image passes the policy, 1 it fails, 2 bad input or policy, 3 could not complete.'
  static examples = [
    '<%= config.bin %> vet oci:examples/vulnerable',
    '<%= config.bin %> vet registry.example.com/team/app@sha256:... --policy release-gate --format sarif -o vet.sarif',
  ]
  static args = {ref: Args.string({required: true, description: 'image to vet (docker://, oci:, oci-archive:, docker-archive:)'})}
  static flags = {
    ...BaseCommand.registryFlags,
    ...BaseCommand.platformFlag,
    ...BaseCommand.signerFlags,
    policy: Flags.string({char: 'p', description: 'Preset name (default, release-gate, docker-official) or policy file.', default: 'default'}),
    ...BaseCommand.reportFlags,
    ...BaseCommand.allowFlag,
    as: Flags.string({description: 'Judge a local image as if it were this registry reference (policy scope selection).'}),
    ...BaseCommand.walkFlags,
    ...BaseCommand.skipFlags,
    ...BaseCommand.offlineFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Vet)
    checkOutputWritable(flags.output)
    const gitlab = this.gitlabOptions(flags)
    const to: ReportTarget = {format: flags.format, output: flags.output, color: useColor(), gitlab}
    const registries = new Registries(await this.registryOptions(flags))
    const bar = this.progress(flags)
    try {
      const policy = withAllowFile(await loadPolicy(flags.policy), flags.allow ? await loadAllowFile(flags.allow) : [])
      const source = await openSource(args.ref, registries)
      const {cache, maxLayerBytes, maxTextBytes} = this.walkOptions(flags)
      const overrides = this.signerOverrides(flags)
      const {platform} = this.platformChoice(flags)
      const fallback = platform ?? {os: 'linux', architecture: 'amd64'}
      // A local layout or archive is checked against the signatures stored in it, as `verify` does.
      const label = localSourceLabel(args.ref)
      const supplyChain = source.supplyChain
        ? registrySupplyChainStage(registries, fallback, overrides)
        : localSupplyChainStage(source, label, registries, fallback, overrides)
      const offline = flags.offline ? await offlineNotes(source, overrides.trustedRoot, label) : []
      const {report} = await vetSource(source, policyReference(source, flags.as), {
        policy,
        platform,
        supplyChain,
        cache,
        maxLayerBytes,
        maxTextBytes,
        skip: this.skipOptions(flags),
        onBytes: (done, total) => bar.update(done, total),
      })
      bar.end()
      cache?.prune()
      report.notes = [...(report.notes ?? []), ...offline]
      if (writeReport(report, to) && !flags.quiet) process.stderr.write(`${verdictLine(report, null)}\n`)
      process.exitCode = exitFor({pass: report.verdict === 'pass'})
    } catch (e) {
      writeFailedReport('vet', args.ref, e, to)
      throw e
    } finally {
      bar.end()
      registries.close()
    }
  }
}

