import {Command, Flags, Interfaces} from '@oclif/core'
import {writeFile} from 'node:fs/promises'
import {ImgvetError, isImgvetError, EXIT} from '../src/errors.js'
import {escapeControl} from '../src/report/escape.js'
import {LayerCache} from '../src/cache/layer-cache.js'
import {GITLAB_SCHEMA_DEFAULT} from '../src/report/gitlab.js'
import {FORMATS} from '../src/report/render.js'
import type {RegistryOptions} from '../src/registry/options.js'
import {DEFAULT_TIMEOUT_MS} from '../src/registry/options.js'
import type {SupplyChainOverrides} from '../src/signatures/supply-chain.js'
import {parsePlatform} from '../src/image/manifest.js'
import {parseDuration} from '../src/duration.js'
import {checkCaFile} from '../src/registry/tls.js'
import {progressBar} from '../src/report/progress.js'
import type {PlatformChoice} from '../src/image/resolve.js'

/**
 * The one place that turns flags into library options and errors into exit codes. Commands stay thin: parse,
 * call src/, render, exit.
 */
export abstract class BaseCommand extends Command {
  static baseFlags = {
    debug: Flags.boolean({description: 'Print stack traces and registry traffic to stderr.', helpGroup: 'GLOBAL'}),
  }

  static registryFlags = {
    username: Flags.string({description: 'Registry user name (pair with --password-stdin).', helpGroup: 'REGISTRY'}),
    'password-stdin': Flags.boolean({description: 'Read the registry password or token from standard input.', helpGroup: 'REGISTRY'}),
    'ca-file': Flags.string({description: 'PEM bundle of extra CAs to trust.', helpGroup: 'REGISTRY'}),
    'cert-dir': Flags.string({description: "docker's certs.d directory (<dir>/<host>/ca.crt, client.cert, client.key).", helpGroup: 'REGISTRY'}),
    'plain-http': Flags.boolean({description: 'Allow plain HTTP to non-loopback registries.', helpGroup: 'REGISTRY'}),
    'tls-verify': Flags.boolean({description: 'Verify registry TLS certificates.', default: true, allowNo: true, helpGroup: 'REGISTRY'}),
    timeout: Flags.string({description: 'Per-request timeout: 30s, 5m, 1h (a bare number is seconds).',
      default: `${DEFAULT_TIMEOUT_MS / 1000}s`, helpGroup: 'REGISTRY'}),
  }

  static walkFlags = {
    'no-cache': Flags.boolean({description: 'Do not read or write the per-layer result cache.', helpGroup: 'SCAN'}),
    'cache-dir': Flags.string({description: 'Layer cache directory (default $XDG_CACHE_HOME/imgvet/layers).', helpGroup: 'SCAN'}),
    'max-layer-size': Flags.integer({description: 'Largest uncompressed layer accepted, in MiB (decompression-bomb guard).', default: 32 * 1024,
      min: 1, max: 1024 * 1024, helpGroup: 'SCAN'}),
    'max-text-size': Flags.integer({description: 'How much of each text file is scanned for secrets, in MiB (read in 1 MiB windows, so memory stays bounded; larger files are counted in the report).',
      default: 1, min: 1, max: 1024, helpGroup: 'SCAN'}),
  }

  /** The layer cache, bomb bound and text cap the walk flags ask for. */
  protected walkOptions(flags: Record<string, unknown>): {cache: LayerCache | null; maxLayerBytes: number; maxTextBytes: number} {
    return {
      cache: flags['no-cache'] ? null : new LayerCache(flags['cache-dir'] as string | undefined),
      maxLayerBytes: (flags['max-layer-size'] as number) * 1024 * 1024,
      maxTextBytes: ((flags['max-text-size'] as number | undefined) ?? 1) * 1024 * 1024,
    }
  }

  /** The report formats of `vet` and `scan`: one renderer each, chosen here, fed the same report. */
  static reportFlags = {
    format: Flags.string({options: [...FORMATS], default: 'text',
      description: 'gitlab: a gl-secret-detection-report.json for artifacts:reports:secret_detection.'}),
    output: Flags.string({char: 'o', description: 'Write the report to FILE (- for stdout); checked before any work.'}),
    quiet: Flags.boolean({char: 'q', description: 'No progress bar and no verdict line on stderr (errors still print).'}),
    'no-progress': Flags.boolean({description: 'No progress bar (a CI log that is a terminal stays clean).'}),
    'gitlab-schema': Flags.string({description: 'Security report schema version the GitLab report declares (use one your instance accepts).',
      default: GITLAB_SCHEMA_DEFAULT}),
  }

  /** The progress bar scan and vet draw on a terminal, unless --quiet or --no-progress. */
  protected progress(flags: Record<string, unknown>): ReturnType<typeof progressBar> {
    if (flags.quiet || flags['no-progress']) return {update() {}, end() {}}
    return progressBar('scanning', process.stderr, 'items')
  }

  private warned = new Set<string>()

  /** Once per run, as cosign does: a flag that switches a check off says so where the CI log shows it. */
  protected warnOnce(flag: string, what: string): void {
    if (this.warned.has(flag)) return
    this.warned.add(flag)
    process.stderr.write(`imgvet: warning: ${flag}: ${what}\n`)
  }

  /** GitLab requires a commit per location: in a pipeline that is CI_COMMIT_SHA, elsewhere the image digest. */
  protected gitlabOptions(flags: Record<string, unknown>): {schemaVersion: string; commit?: string} {
    const schemaVersion = String(flags['gitlab-schema'])
    if (!/^15\.\d+\.\d+$/.test(schemaVersion)) throw new ImgvetError('usage', `--gitlab-schema must be a 15.x.y version, got "${schemaVersion}"`)
    return {schemaVersion, commit: process.env.CI_COMMIT_SHA || undefined}
  }

  /** No default: vet and scan check every platform of an index unless narrowed, inspect and pull take linux/amd64. */
  static platformFlag = {
    platform: Flags.string({
      description: 'Platform os/arch[/variant]: narrows an index to that image; a single-platform image must match it.',
    }),
  }

  /** --platform as a choice: named (narrow an index, must match a single image), or the command's fallback. */
  protected platformChoice(flags: {platform?: string}, fallback?: string): PlatformChoice {
    return {
      platform: flags.platform ? parsePlatform(flags.platform) : undefined,
      fallback: fallback ? parsePlatform(fallback) : undefined,
    }
  }

  /** Local sources only, and no network request at all: every connection is refused below the registry client. */
  static offlineFlag = {
    offline: Flags.boolean({description: 'Make no network request (local sources only); the report names the trust root and what was not checked.'}),
  }

  /** Any of these means "must be signed by this signer" (as `cosign verify`), whatever the policy scope says. */
  static signerFlags = {
    key: Flags.string({description: 'PEM public key of the signer (repeatable); the image must carry a signature it verifies.', multiple: true, exclusive: ['certificate-identity', 'certificate-identity-regexp'], helpGroup: 'SIGNATURES'}),
    'certificate-identity': Flags.string({description: 'Expected certificate SAN, exact.', exclusive: ['certificate-identity-regexp'], helpGroup: 'SIGNATURES'}),
    'certificate-identity-regexp': Flags.string({description: 'Expected certificate SAN, regular expression matched against the whole SAN.', helpGroup: 'SIGNATURES'}),
    'certificate-oidc-issuer': Flags.string({description: 'Expected OIDC issuer, exact.', exclusive: ['certificate-oidc-issuer-regexp'], helpGroup: 'SIGNATURES'}),
    'certificate-oidc-issuer-regexp': Flags.string({description: 'Expected OIDC issuer, regular expression matched against the whole value.', helpGroup: 'SIGNATURES'}),
    'trusted-root': Flags.string({description: 'trusted_root.json (default: the public-good root embedded in @sigstore/tuf; never fetched).', helpGroup: 'SIGNATURES'}),
    'signature-repository': Flags.string({description: "Repository holding the signatures, as cosign's COSIGN_REPOSITORY (same registry).", helpGroup: 'SIGNATURES'}),
    'insecure-ignore-tlog': Flags.boolean({description: 'Accept key-signed signatures that have no transparency log entry.', helpGroup: 'SIGNATURES'}),
    'notation-trust-store': Flags.string({description: 'PEM certificate trusted as a Notation (Notary Project) root (repeatable).', multiple: true, helpGroup: 'SIGNATURES'}),
    'notation-identity': Flags.string({description: 'Trusted Notation signer, "x509.subject: C=.., ST=.., O=.., CN=.." (repeatable).', multiple: true, helpGroup: 'SIGNATURES'}),
  }

  /** Signer flags → overrides of the policy scope's signature requirements (undefined fields leave the policy's). */
  protected signerOverrides(flags: Record<string, unknown>): SupplyChainOverrides {
    const str = (k: string) => flags[k] as string | undefined
    if (flags['insecure-ignore-tlog']) this.warnOnce('--insecure-ignore-tlog', 'signatures without a transparency log entry are accepted')
    const identityGiven = ['certificate-identity', 'certificate-identity-regexp', 'certificate-oidc-issuer', 'certificate-oidc-issuer-regexp'].some((k) => flags[k] !== undefined)
    return {
      keys: flags.key as string[] | undefined,
      identity: identityGiven
        ? {subject: str('certificate-identity'), subjectRegExp: str('certificate-identity-regexp'), issuer: str('certificate-oidc-issuer'), issuerRegExp: str('certificate-oidc-issuer-regexp')}
        : undefined,
      trustedRoot: str('trusted-root'),
      signatureRepository: str('signature-repository') ?? process.env.COSIGN_REPOSITORY,
      allowMissingTlog: Boolean(flags['insecure-ignore-tlog']),
      notationTrustStore: flags['notation-trust-store'] as string[] | undefined,
      notationIdentities: flags['notation-identity'] as string[] | undefined,
    }
  }

  protected debugEnabled = false

  protected async readStdin(): Promise<string> {
    const chunks: Buffer[] = []
    for await (const c of process.stdin) chunks.push(c as Buffer)
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  }

  protected async registryOptions(flags: Record<string, unknown>): Promise<RegistryOptions> {
    this.debugEnabled = Boolean(flags.debug)
    const opts: RegistryOptions = {
      caFile: flags['ca-file'] as string | undefined,
      certsDir: flags['cert-dir'] as string | undefined,
      plainHttp: Boolean(flags['plain-http']),
      insecureSkipVerify: flags['tls-verify'] === false,
      timeoutMs: flags.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(String(flags.timeout)),
      offline: Boolean(flags.offline),
      log: this.debugEnabled ? (m: string) => process.stderr.write(`debug: ${escapeControl(m)}\n`) : undefined,
    }
    if (opts.caFile) checkCaFile(opts.caFile)
    if (opts.insecureSkipVerify) this.warnOnce('--tls-verify=false', 'registry TLS certificates are not verified')
    if (flags.username) {
      if (!flags['password-stdin']) throw new ImgvetError('usage', '--username needs --password-stdin')
      opts.username = flags.username as string
      opts.password = await this.readStdin()
      if (opts.password === '') throw new ImgvetError('usage', '--password-stdin read an empty password from standard input')
    } else if (flags['password-stdin']) {
      throw new ImgvetError('usage', '--password-stdin needs --username')
    }
    return opts
  }

  /** Write to --output or stdout. */
  protected async emit(text: string, output?: string): Promise<void> {
    if (output && output !== '-') await writeFile(output, text)
    else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  protected override async init(): Promise<void> {
    await super.init()
    this.debugEnabled = this.argv.includes('--debug')
    // skopeo's and podman's spelling; oclif booleans take no value and would read "false" as an argument.
    this.argv = this.argv.map((a) => (a === '--tls-verify=false' ? '--no-tls-verify' : a === '--tls-verify=true' ? '--tls-verify' : a))
  }

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    if (isImgvetError(err)) {
      process.stderr.write(`imgvet: ${err.oneLine()}\n`)
      if (this.debugEnabled && err.stack) process.stderr.write(`${err.stack}\n`)
      process.exitCode = err.exitCode
      return
    }
    // oclif's own parse errors carry exit 2 already; keep them one line.
    const oclifExit = (err as {oclif?: {exit?: number}}).oclif?.exit
    if (oclifExit !== undefined) {
      if ((err as {code?: string}).code === 'EEXIT') {
        process.exitCode = oclifExit
        return
      }
      process.stderr.write(`imgvet: usage: ${escapeControl(firstParagraph(err.message))} (see imgvet ${this.id?.replace(/:/g, ' ') ?? ''} --help)\n`)
      if (this.debugEnabled && err.stack) process.stderr.write(`${err.stack}\n`)
      process.exitCode = oclifExit === 1 ? EXIT.policyFailed : EXIT.badInput
      return
    }
    process.stderr.write(`imgvet: internal error: ${escapeControl(err.message.split('\n')[0] ?? '')} (run with --debug for details)\n`)
    if (this.debugEnabled && err.stack) process.stderr.write(`${err.stack}\n`)
    process.exitCode = EXIT.couldNotComplete
  }
}

/** oclif spreads a parse error over lines (what is missing on the next one): keep its first paragraph on one line. */
function firstParagraph(message: string): string {
  return (message.split(/\n\s*\n/)[0] ?? message)
    .replace(/See more help with --help/g, '')
    .replace(/^\s*The following errors? occurred:\s*/, '')
    .replace(/\s+/g, ' ')
    .trim()
}
