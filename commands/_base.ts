import {Command, Flags, Interfaces} from '@oclif/core'
import {existsSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import {ImgvetError, isImgvetError, EXIT} from '../src/errors.js'
import {escapeControl} from '../src/report/escape.js'
import {LayerCache} from '../src/cache/layer-cache.js'
import {GITLAB_SCHEMA_DEFAULT} from '../src/report/gitlab.js'
import {formatHelp, formatsFor, type ReportKind} from '../src/report/render.js'
import type {RegistryOptions} from '../src/registry/options.js'
import {DEFAULT_TIMEOUT_MS} from '../src/registry/options.js'
import type {SupplyChainOverrides} from '../src/signatures/supply-chain.js'
import {parsePlatform} from '../src/image/manifest.js'
import {progressBar} from '../src/report/progress.js'
import type {PlatformChoice} from '../src/image/resolve.js'
import type {PathSkip} from '../src/layers/skip.js'
import {settingsArgv, type FlagSpec} from '../src/cli/settings.js'
import {findConfigFile} from '../src/cli/sources.js'
import {unknownFlag} from '../src/cli/suggest.js'
import {connectionOptions} from '../src/cli/connection.js'

/**
 * The one place that turns flags into library options and errors into exit codes. Commands stay thin: parse,
 * call src/, render, exit.
 */
export abstract class BaseCommand extends Command {
  static baseFlags = {
    debug: Flags.boolean({description: 'Print stack traces and registry traffic to stderr.', helpGroup: 'GLOBAL'}),
    config: Flags.string({description: 'Settings file (default ./imgvet.yaml); flags win over IMGVET_<FLAG>, which win over it.',
      helpGroup: 'GLOBAL'}),
  }

  static registryFlags = {
    username: Flags.string({description: 'Registry user name (pair with --password-stdin).', helpGroup: 'REGISTRY'}),
    'password-stdin': Flags.boolean({description: 'Read the registry password or token from standard input.', helpGroup: 'REGISTRY'}),
    authfile: Flags.string({description: 'containers-auth.json(5) file, the only one read (default REGISTRY_AUTH_FILE; else '
      + '$XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json, docker config, as skopeo).', helpGroup: 'REGISTRY'}),
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

  /** scan and vet: paths no check looks at, as trivy's flags; the report counts them. */
  static skipFlags = {
    'skip-dirs': Flags.string({description: 'Directory glob no check looks into (repeatable or comma list): /usr/share/doc, **/node_modules.',
      multiple: true, delimiter: ',', helpGroup: 'SCAN'}),
    'skip-files': Flags.string({description: 'File glob no check reads (repeatable or comma list): /app/test/*.pem, *.min.js.',
      multiple: true, delimiter: ',', helpGroup: 'SCAN'}),
  }

  /** --skip-dirs/--skip-files as the walk takes them; absent when neither is given. */
  protected skipOptions(flags: {'skip-dirs'?: string[]; 'skip-files'?: string[]}): PathSkip | undefined {
    const dirs = flags['skip-dirs'] ?? []
    const files = flags['skip-files'] ?? []
    return dirs.length || files.length ? {dirs, files} : undefined
  }

  /** The layer cache, bomb bound and text cap the walk flags ask for. */
  protected walkOptions(flags: WalkFlags): {cache: LayerCache | null; maxLayerBytes: number; maxTextBytes: number} {
    return {
      cache: flags['no-cache'] ? null : new LayerCache(flags['cache-dir']),
      maxLayerBytes: flags['max-layer-size'] * 1024 * 1024,
      maxTextBytes: flags['max-text-size'] * 1024 * 1024,
    }
  }

  /** The report formats of `vet` and `scan`: one renderer each, chosen here, fed the same report. */
  static reportFlags = {
    format: formatFlag('text', 'scan', 'vet'),
    output: Flags.string({char: 'o', description: 'Write the report to FILE (- for stdout); checked before any work.'}),
    quiet: Flags.boolean({char: 'q', description: 'No progress bar and no verdict line on stderr (errors still print).'}),
    'no-progress': Flags.boolean({description: 'No progress bar (a CI log that is a terminal stays clean).'}),
    'gitlab-schema': Flags.string({description: 'Security report schema version the GitLab report declares (use one your instance accepts).',
      default: GITLAB_SCHEMA_DEFAULT}),
  }

  /** Allowlist entries in a file of their own, as a policy scope's `allow:` holds them (scan and vet). */
  static allowFlag = {
    allow: Flags.string({description: 'YAML file of allowlist entries (id/path/fingerprint/package, reason, expires); '
      + 'suppressed findings are still listed as such.'}),
  }

  /** The progress bar scan and vet draw on a terminal, unless --quiet or --no-progress. */
  protected progress(flags: Pick<ReportFlags, 'quiet' | 'no-progress'>): ReturnType<typeof progressBar> {
    if (flags.quiet || flags['no-progress']) return {update() {}, end() {}}
    return progressBar('scanning', process.stderr, 'bytes')
  }

  private warned = new Set<string>()

  /** Once per run, as cosign does: a flag that switches a check off says so where the CI log shows it. */
  protected warnOnce(flag: string, what: string): void {
    if (this.warned.has(flag)) return
    this.warned.add(flag)
    process.stderr.write(`imgvet: warning: ${flag}: ${what}\n`)
  }

  /** GitLab requires a commit per location: in a pipeline that is CI_COMMIT_SHA, elsewhere the image digest. */
  protected gitlabOptions(flags: Pick<ReportFlags, 'gitlab-schema'>): {schemaVersion: string; commit?: string} {
    const schemaVersion = flags['gitlab-schema']
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
  protected signerOverrides(flags: SignerFlags): SupplyChainOverrides {
    if (flags['insecure-ignore-tlog']) this.warnOnce('--insecure-ignore-tlog', 'signatures without a transparency log entry are accepted')
    const identity = {
      subject: flags['certificate-identity'],
      subjectRegExp: flags['certificate-identity-regexp'],
      issuer: flags['certificate-oidc-issuer'],
      issuerRegExp: flags['certificate-oidc-issuer-regexp'],
    }
    return {
      keys: flags.key,
      identity: Object.values(identity).some((v) => v !== undefined) ? identity : undefined,
      trustedRoot: flags['trusted-root'],
      signatureRepository: flags['signature-repository'] ?? process.env.COSIGN_REPOSITORY,
      allowMissingTlog: Boolean(flags['insecure-ignore-tlog']),
      notationTrustStore: flags['notation-trust-store'],
      notationIdentities: flags['notation-identity'],
    }
  }

  protected debugEnabled = false

  protected async readStdin(): Promise<string> {
    const chunks: Buffer[] = []
    for await (const c of process.stdin) chunks.push(c as Buffer)
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  }

  protected async registryOptions(flags: RegistryFlags & {debug?: boolean; offline?: boolean}): Promise<RegistryOptions> {
    this.debugEnabled = Boolean(flags.debug)
    const opts: RegistryOptions = {
      ...connectionOptions(flags, (flag, what) => this.warnOnce(flag, what)),
      authFile: flags.authfile ? {path: String(flags.authfile), given: '--authfile'} : undefined,
      offline: Boolean(flags.offline),
      log: this.debugEnabled ? (m: string) => process.stderr.write(`debug: ${escapeControl(m)}\n`) : undefined,
    }
    if (opts.authFile && !existsSync(opts.authFile.path)) throw new ImgvetError('bad-input', '--authfile: no such auth file', opts.authFile.path)
    if (flags.username) {
      if (!flags['password-stdin']) throw new ImgvetError('usage', '--username needs --password-stdin')
      opts.username = flags.username
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
    // After the user's words (a multiple flag in front would swallow the image argument), before a `--`.
    const settings = this.settingsFromEnvAndFile()
    const end = this.argv.includes('--') ? this.argv.indexOf('--') : this.argv.length
    this.argv = [...this.argv.slice(0, end), ...settings, ...this.argv.slice(end)]
    this.debugEnabled = this.argv.includes('--debug')
  }

  /** IMGVET_<FLAG> and imgvet.yaml as command-line tokens, for every command at once (src/cli/settings.ts). */
  private settingsFromEnvAndFile(): string[] {
    const flags = Object.entries({...this.ctor.baseFlags, ...this.ctor.flags}).map(([name, f]): FlagSpec => ({
      name, type: f.type, char: f.char, exclusive: f.exclusive,
      multiple: f.type === 'option' ? f.multiple : false,
      allowNo: f.type === 'boolean' ? f.allowNo : false,
      options: f.type === 'option' ? f.options : undefined,
    }))
    const commands = new Map(this.config.commands.map((c) => [c.id.replace(/:/g, ' '), Object.keys(c.flags)]))
    return settingsArgv({
      flags, commandId: (this.id ?? '').replace(/:/g, ' '), commands, argv: this.argv, env: process.env,
      file: findConfigFile(this.argv, process.env, process.cwd()),
    })
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
      const unknown = (err as {flags?: unknown}).flags
      const hint = Array.isArray(unknown) && typeof unknown[0] === 'string'
        ? unknownFlag(unknown[0], Object.keys({...this.ctor.baseFlags, ...this.ctor.flags})) : undefined
      const did = hint ? `; did you mean ${hint}?` : ''
      process.stderr.write(`imgvet: usage: ${escapeControl(firstParagraph(err.message))}${did} (see imgvet ${this.id?.replace(/:/g, ' ') ?? ''} --help)\n`)
      if (this.debugEnabled && err.stack) process.stderr.write(`${err.stack}\n`)
      process.exitCode = oclifExit === 1 ? EXIT.policyFailed : EXIT.badInput
      return
    }
    process.stderr.write(`imgvet: internal error: ${escapeControl(err.message.split('\n')[0] ?? '')} (run with --debug for details)\n`)
    if (this.debugEnabled && err.stack) process.stderr.write(`${err.stack}\n`)
    process.exitCode = EXIT.couldNotComplete
  }
}

/**
 * `--format` of a command whose report is of these kinds: the choices come from the one format list, so a format
 * the command cannot render is a parse error (exit 2) before any work is done.
 */
export function formatFlag(fallback: string, ...kinds: ReportKind[]) {
  return Flags.string({options: formatsFor(...kinds), default: fallback, description: `${formatHelp(...kinds)}.`})
}

/** oclif spreads a parse error over lines (what is missing on the next one): keep its first paragraph on one line. */
function firstParagraph(message: string): string {
  return (message.split(/\n\s*\n/)[0] ?? message)
    .replace(/See more help with --help/g, '')
    .replace(/^\s*The following errors? occurred:\s*/, '')
    .replace(/\s+/g, ' ')
    .trim()
}

/** Each flag group as parsed: a command's own flags hold the groups it spreads, so they pass as they are. */
type WalkFlags = Interfaces.InferredFlags<typeof BaseCommand.walkFlags>
type ReportFlags = Interfaces.InferredFlags<typeof BaseCommand.reportFlags>
type SignerFlags = Interfaces.InferredFlags<typeof BaseCommand.signerFlags>
type RegistryFlags = Interfaces.InferredFlags<typeof BaseCommand.registryFlags>
