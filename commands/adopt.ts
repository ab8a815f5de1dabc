import {Args, Flags} from '@oclif/core'
import {BaseCommand} from './_base.js'
import {ImgvetError} from '../src/errors.js'
import {adopt, type ReferrersMode} from '../src/adopt/adopt.js'
import {renderAdoptJson, renderAdoptText} from '../src/adopt/render.js'
import {loadPolicy} from '../src/policy/load.js'
import {Registries} from '../src/registry/client.js'

export default class Adopt extends BaseCommand {
  static summary = 'Copy a vetted image into your registry with all its proof (platforms, attestations, signatures, referrers), and re-prove it there.'
  static description = [
    'Resolves SRC to a digest, discovers its closure (every index child, configs, layers, referrers by API or fallback tag,',
    'cosign .sig/.att/.sbom tags, Notation signatures, recursively), vets SRC with the policy, plans against DST read-only,',
    'copies bytes unchanged, fetches everything back from DST and verifies its signatures there, and only then moves the DST tag.',
    'Exit codes: 0 adopted and proven (or already adopted), 1 vet failed (nothing written), 2 bad input or a refused conflict,',
    '3 could not complete (DST tag untouched; a rerun resumes), 4 copied but DST verification failed (tag not moved).',
  ].join('\n')
  static examples = [
    '<%= config.bin %> adopt docker.io/library/nginx:1.27 registry.example.com/mirror/nginx --policy docker-official',
    '<%= config.bin %> adopt ghcr.io/org/app:1.0 registry.example.com/team/app:1.0 --dry-run --format json',
  ]
  static args = {
    src: Args.string({required: true, description: 'Image to adopt (a registry reference).'}),
    dst: Args.string({required: true,
      description: 'Destination repository, optionally :TAG (default: the source tag).'}),
  }
  static flags = {
    ...BaseCommand.registryFlags,
    ...BaseCommand.signerFlags,
    ...BaseCommand.walkFlags,
    policy: Flags.string({char: 'p',
      description: 'Preset name (default, release-gate, docker-official) or policy file.', default: 'default'}),
    'dry-run': Flags.boolean({description: 'Vet and print the plan; write nothing to the destination.'}),
    format: Flags.string({options: ['text', 'json'], default: 'text'}),
    output: Flags.string({char: 'o', description: 'Write the report to FILE instead of stdout.'}),
    jobs: Flags.integer({description: 'Blobs copied and verified at once.', default: 4, min: 1, max: 64}),
    'expect-digest': Flags.string({description: 'Refuse (exit 2) unless SRC resolves to this digest.'}),
    force: Flags.boolean({description: 'Move a destination tag that names another digest (only after the copy is proven).'}),
    'chunk-size': Flags.integer({description: 'Upload blobs in chunks of this many MiB (PATCH) instead of one PUT.',
      min: 1, max: 4096}),
    'verify-blobs': Flags.string({options: ['full', 'head'], default: 'full',
      description: 'full: stream and hash every blob back from the destination; head: check only its size and digest headers.'}),
    'digest-tags': Flags.boolean({description: 'Also copy every sha256-<hex>.* tag of the closure\'s digests '
      + '(found by listing tags), not only cosign\'s .sig/.att/.sbom.'}),
    'include-foreign': Flags.boolean({description: 'Copy foreign layers (ones that name urls) too; '
      + 'by default they are reported and left out.'}),
    'check-push': Flags.boolean({description: 'At plan time, open an upload session at the destination and delete '
      + 'it, so a read-only credential is found before any copy.'}),
    'on-legacy-conflict': Flags.string({options: ['fail', 'merge'], default: 'fail',
      description: 'A cosign .sig/.att tag at DST naming another manifest: fail (exit 2), or merge: append SRC\'s '
        + 'signature layers to DST\'s as cosign does, and PUT the merged manifest under the tag.'}),
    'src-referrers': Flags.string({options: ['auto', 'api', 'tag'], default: 'auto',
      description: 'Find SRC\'s referrers through the referrers API (api: exit 3 if SRC has none), the sha256-<hex> '
        + 'fallback tag (tag: the API is never asked), or the API else the tag (auto).'}),
    'dst-referrers': Flags.string({options: ['auto', 'api', 'tag'], default: 'auto',
      description: 'Index referrers at DST through its referrers API (api: exit 3 if DST has none), or write the '
        + 'sha256-<hex> fallback tag (tag: the API is never asked), or whichever DST supports (auto).'}),
    'min-rate-remaining': Flags.integer({min: 0, default: 0,
      description: 'Keep at least N manifest pulls of a registry\'s announced budget (ratelimit-remaining) unspent: '
        + 'stop with exit 3 before a GET would leave fewer.'}),
    'wait-rate-limit': Flags.boolean({description: 'When the budget is too small, wait for its window (w=) to pass '
      + 'instead of stopping, saying so on stderr; a window over 6 h is refused (exit 3).'}),
    platform: Flags.string({hidden: true}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Adopt)
    if (flags.platform) {
      throw new ImgvetError('usage',
        '--platform is refused: narrowing an index rewrites it and breaks the signatures made over it')
    }
    const registries = new Registries(await this.registryOptions(flags))
    const {cache, maxLayerBytes, maxTextBytes} = this.walkOptions(flags)
    const tty = process.stderr.isTTY && flags.format === 'text' && !flags.output
    try {
      const policy = await loadPolicy(flags.policy)
      const result = await adopt({
        source: args.src, destination: args.dst, policy, registries, overrides: this.signerOverrides(flags),
        dryRun: flags['dry-run'], force: flags.force, jobs: flags.jobs, expectDigest: flags['expect-digest'],
        chunkSize: flags['chunk-size'] ? flags['chunk-size'] * 1024 * 1024 : undefined,
        verifyBlobs: flags['verify-blobs'] as 'full' | 'head', cache, maxLayerBytes, maxTextBytes,
        digestTags: flags['digest-tags'], includeForeign: flags['include-foreign'], checkPush: flags['check-push'],
        onLegacyConflict: flags['on-legacy-conflict'] as 'fail' | 'merge',
        srcReferrers: flags['src-referrers'] as ReferrersMode, dstReferrers: flags['dst-referrers'] as ReferrersMode,
        minRateRemaining: flags['min-rate-remaining'],
        onRateWait: flags['wait-rate-limit'] ? (line) => process.stderr.write(`imgvet: ${line}\n`) : undefined,
        onPhase: tty ? (p) => process.stderr.write(`\r\x1b[Kadopt: ${p}...`) : undefined,
      })
      if (tty) process.stderr.write('\r\x1b[K')
      await this.emit(flags.format === 'json' ? renderAdoptJson(result) : renderAdoptText(result), flags.output)
      process.exitCode = result.exitCode
    } finally {
      registries.close()
    }
  }
}
