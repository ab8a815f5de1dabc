import {Args, Flags, type Interfaces} from '@oclif/core'
import {BaseCommand} from './_base.js'
import {exitFor, ImgvetError} from '../src/errors.js'
import {parsePlatform} from '../src/image/manifest.js'
import {loadPolicy} from '../src/policy/load.js'
import {scopeName, selectScope} from '../src/policy/match.js'
import {Registries} from '../src/registry/client.js'
import {openSource} from '../src/image/open.js'
import {formatReference} from '../src/reference/reference.js'
import {checkSupplyChain} from '../src/signatures/supply-chain.js'
import {renderVerifyText} from '../src/signatures/render.js'
import {localReferrerStore, localSourceLabel} from '../src/signatures/layout-store.js'
import {offlineNotes} from '../src/pipeline/offline.js'

export default class Verify extends BaseCommand {
  static summary = 'Verify the signatures and provenance of an image, against a local trust root.'
  static description = 'Exit 0 verified, 1 not verified, 2 bad input, 3 could not complete. Looks at cosign .sig/.att tags, OCI referrers (Sigstore bundles, Notation), and BuildKit provenance in the index, on the image manifest and on the index the reference names. '
    + 'An OCI layout (oci:, oci-archive:) is read for the signatures stored in it (skopeo copy, cosign save, oras): '
    + 'index.json entries named sha256-<hex>.sig/.att and manifests whose subject is the image; '
    + '--offline then makes no network request at all.'
  static examples = [
    '<%= config.bin %> verify ghcr.io/org/app:1.0 --certificate-identity https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1.0 --certificate-oidc-issuer https://token.actions.githubusercontent.com',
    '<%= config.bin %> verify registry.example.com/team/app@sha256:... --key cosign.pub',
    '<%= config.bin %> verify nginx:1.27 --policy docker-official',
    '<%= config.bin %> verify --offline oci:saved-app:v1 --key cosign.pub',
  ]
  static args = {ref: Args.string({required: true,
    description: 'Image: a registry reference (docker://REF or REF), oci:DIR[:TAG], oci-archive:FILE[:TAG], '
      + 'docker-archive:FILE.'})}
  static flags = {
    ...BaseCommand.registryFlags,
    ...BaseCommand.platformFlag,
    policy: Flags.string({description: 'Trust policy file or preset: requirements come from the scope matching REF; flags override it.'}),
    ...BaseCommand.signerFlags,
    format: Flags.string({options: ['text', 'json'], default: 'text'}),
    output: Flags.string({char: 'o', description: 'Write to FILE instead of stdout.'}),
    ...BaseCommand.offlineFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Verify)
    const registries = new Registries(await this.registryOptions(flags))
    try {
      await this.verify(args.ref, flags, registries)
    } finally {
      registries.close()
    }
  }

  private async verify(input: string, flags: Interfaces.InferredFlags<typeof Verify.flags>, registries: Registries): Promise<void> {
    const source = await openSource(input, registries)
    const t = {ref: source.supplyChain?.reference ?? source.scopeReference ?? {registry: 'local', repository: 'image'}}
    const overrides = this.signerOverrides(flags)
    if (!flags.policy && !overrides.identity && !overrides.keys?.length && !overrides.notationTrustStore?.length && !overrides.notationIdentities?.length) {
      throw new ImgvetError('usage', 'nothing to verify against: give --key, --certificate-identity with --certificate-oidc-issuer, --notation-trust-store with --notation-identity, or --policy')
    }
    let requirements
    if (flags.policy) {
      const policy = await loadPolicy(flags.policy)
      const scope = selectScope(policy, t.ref)
      if (!scope) {
        // A policy is an allowlist of where images may come from: no scope means no.
        const reason = `no scope of policy "${policy.name}" matches ${scopeName(t.ref)}`
        await this.emit(flags.format === 'json'
          ? JSON.stringify({verified: false, reasons: [reason]}, null, 2)
          : `NOT VERIFIED: ${formatReference(t.ref)}\n  reason   ${reason}\n`, flags.output)
        process.exitCode = exitFor({pass: false})
        return
      }
      requirements = scope
    }
    const platform = parsePlatform(flags.platform ?? 'linux/amd64')
    const local = source.supplyChain ? undefined : {source, store: localReferrerStore(source, localSourceLabel(input))}
    const notes = flags.offline ? await offlineNotes(source, overrides.trustedRoot, local?.store.registry) : []
    const result = await checkSupplyChain({reference: t.ref, registries, platform, requirements, overrides, local})
    const text = flags.format === 'json'
      ? JSON.stringify({...result.summary, findings: result.findings, ...(notes.length ? {notes} : {})}, null, 2)
      : renderVerifyText(result.summary, result.findings) + notes.map((n) => `note: ${n}\n`).join('')
    await this.emit(text, flags.output)
    process.exitCode = exitFor({pass: result.summary.verified})
  }
}

