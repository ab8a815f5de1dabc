import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../_base.js'
import {ImgvetError, exitFor} from '../../src/errors.js'
import {escapeControl} from '../../src/report/escape.js'
import {verifyBundleFiles, type IdentityPolicy} from '../../src/signatures/index.js'

export default class SigstoreVerifyBundle extends BaseCommand {
  static override description = 'Verify a Sigstore bundle over a file or a sha256 digest, offline (sigstore-conformance client protocol).'

  static override examples = [
    '<%= config.bin %> sigstore verify-bundle --bundle a.sigstore.json --certificate-identity https://github.com/o/r/.github/workflows/release.yml@refs/heads/main --certificate-oidc-issuer https://token.actions.githubusercontent.com a.txt',
    '<%= config.bin %> sigstore verify-bundle --bundle a.sigstore.json --key cosign.pub sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf',
  ]

  static override flags = {
    bundle: Flags.string({description: 'Sigstore bundle (JSON, v0.1 to v0.3).', required: true}),
    'certificate-identity': Flags.string({description: 'Expected certificate SAN, matched exactly.', exclusive: ['certificate-identity-regexp', 'key']}),
    'certificate-identity-regexp': Flags.string({description: 'Expected certificate SAN as a regular expression matched against the whole SAN.', exclusive: ['key']}),
    'certificate-oidc-issuer': Flags.string({description: 'Expected OIDC issuer, matched exactly.', exclusive: ['certificate-oidc-issuer-regexp', 'key']}),
    'certificate-oidc-issuer-regexp': Flags.string({description: 'Expected OIDC issuer as a regular expression matched against the whole value.', exclusive: ['key']}),
    key: Flags.string({description: 'PEM public key (ECDSA, Ed25519, RSA) for key-signed bundles.'}),
    'trusted-root': Flags.string({description: 'trusted_root.json of a private Sigstore deployment (default: the public-good root embedded in @sigstore/tuf).'}),
    staging: Flags.boolean({description: 'Sigstore staging instance: needs --trusted-root, as no staging root is embedded.'}),
  }

  static override args = {
    artifact: Args.string({description: 'Artifact file, or sha256:<hex> (for DSSE bundles: the in-toto subject).', required: true}),
  }

  async run(): Promise<void> {
    const {flags, args} = await this.parse(SigstoreVerifyBundle)
    if (flags.staging && !flags['trusted-root']) {
      throw new ImgvetError('usage', '--staging needs --trusted-root: imgvet embeds only the public-good root and never fetches one')
    }
    const keyless = flags['certificate-identity'] !== undefined || flags['certificate-identity-regexp'] !== undefined ||
      flags['certificate-oidc-issuer'] !== undefined || flags['certificate-oidc-issuer-regexp'] !== undefined
    const identity: IdentityPolicy | undefined = keyless
      ? {
          subject: flags['certificate-identity'],
          subjectRegExp: flags['certificate-identity-regexp'],
          issuer: flags['certificate-oidc-issuer'],
          issuerRegExp: flags['certificate-oidc-issuer-regexp'],
        }
      : undefined
    const result = await verifyBundleFiles({
      bundle: flags.bundle,
      artifact: args.artifact,
      key: flags.key,
      identity,
      trustedRoot: flags['trusted-root'],
    })
    process.exitCode = exitFor({pass: result.ok})
    if (!result.ok) {
      process.stderr.write(`imgvet: not verified: ${result.code}: ${escapeControl(result.message)}\n`)
      return
    }
    const who = result.signer.kind === 'keyless' ? `${result.signer.identity ?? '?'} (issuer ${result.signer.issuer ?? '?'})` : 'the given key'
    const log = result.tlog.map((t) => `log index ${t.logIndex}`).join(', ')
    await this.emit(`Verified OK: signed by ${escapeControl(who)}${log ? `; ${log}` : ''}`)
  }
}
