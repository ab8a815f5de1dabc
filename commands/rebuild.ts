import {Flags} from '@oclif/core'
import {BaseCommand, formatFlag} from './_base.js'
import {exitFor, ImgvetError} from '../src/errors.js'
import {parsePlatform} from '../src/image/manifest.js'
import {loadPolicy} from '../src/policy/load.js'
import {rebuild} from '../src/rebuild/rebuild.js'
import {renderAs} from '../src/report/render.js'
import {Registries} from '../src/registry/client.js'
import {useColor} from '../src/report/text.js'

export default class Rebuild extends BaseCommand {
  static summary = 'Rebuild an image yourself from a vetted Dockerfile, vet the result, and compare it with upstream.'
  static description = [
    'Checks the Dockerfile (refuses to build on a failing check unless --force), checks the base images\' signatures',
    'per policy, builds with the first usable builder (docker buildx with a running engine, buildctl with buildkitd,',
    'then daemonless buildah), vets the result with the same policy and, with --compare, diffs it file by file and',
    'config field by field against the upstream image. Build timestamps are shown apart from real differences.',
    'Exit codes: 0 built and passes, 1 refused or fails the policy (or differs from upstream with --require-match),',
    '2 bad input, 3 could not build or fetch.',
  ].join('\n')
  static examples = [
    '<%= config.bin %> rebuild --context . --tag registry.example.com/team/app:rebuilt --compare docker.io/team/app:1.4',
    '<%= config.bin %> rebuild --context . --tag registry.example.com/team/app:1.4 --push --policy release-gate',
  ]
  static flags = {
    ...BaseCommand.registryFlags,
    ...BaseCommand.platformFlag,
    context: Flags.string({description: 'Build context directory.', required: true}),
    file: Flags.string({char: 'f', description: 'Dockerfile (default <context>/Dockerfile).'}),
    tag: Flags.string({char: 't', description: 'Reference to build (and with --push, push) the image as; also selects the policy scope.', required: true}),
    compare: Flags.string({description: 'Upstream image to compare the rebuild with (docker://, oci:, oci-archive:, docker-archive:).'}),
    push: Flags.boolean({description: 'Push to --tag and vet the pushed image; without it the image is exported to a temporary OCI layout.'}),
    policy: Flags.string({char: 'p', description: 'Preset name (default, release-gate, docker-official) or policy file.', default: 'default'}),
    force: Flags.boolean({description: 'Build even when the Dockerfile or a base image fails the policy (the verdict still fails).'}),
    builder: Flags.string({options: ['docker-buildx', 'buildctl', 'buildah'], description: 'Use this builder instead of the first usable one.'}),
    'build-arg': Flags.string({description: 'NAME=VALUE passed to the build (repeatable).', multiple: true}),
    'work-dir': Flags.string({description: 'Keep builder storage and the exported layout here (default: a temp dir, removed).'}),
    'require-match': Flags.boolean({description: 'With --compare, exit 1 when the rebuild differs from upstream beyond build timestamps.'}),
    format: formatFlag('text', 'rebuild'),
    output: Flags.string({char: 'o', description: 'Write the report to FILE.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Rebuild)
    if (flags['require-match'] && !flags.compare) throw new ImgvetError('usage', '--require-match needs --compare')
    const buildArgs: Record<string, string> = {}
    for (const kv of flags['build-arg'] ?? []) {
      const eq = kv.indexOf('=')
      if (eq <= 0) throw new ImgvetError('usage', `--build-arg "${kv}" is not NAME=VALUE`)
      buildArgs[kv.slice(0, eq)] = kv.slice(eq + 1)
    }
    const opts = await this.registryOptions(flags)
    const registries = new Registries(opts)
    try {
      const policy = await loadPolicy(flags.policy)
      const result = await rebuild({
        context: flags.context,
        dockerfile: flags.file,
        tag: flags.tag,
        compare: flags.compare,
        push: flags.push,
        policy,
        force: flags.force,
        registries,
        platform: parsePlatform(flags.platform ?? 'linux/amd64'),
        insecure: flags['plain-http'] || flags['tls-verify'] === false,
        builder: flags.builder as 'docker-buildx' | 'buildctl' | 'buildah' | undefined,
        workDir: flags['work-dir'],
        buildArgs,
        log: this.debugEnabled ? (l) => process.stderr.write(`build: ${l}\n`) : undefined,
      })
      await this.emit(renderAs('rebuild', flags.format, result, {color: !flags.output && useColor()}), flags.output)
      const differs = flags['require-match'] && result.compare !== undefined && !result.compare.identical
      process.exitCode = exitFor({pass: result.pass && !differs})
    } finally {
      registries.close()
    }
  }
}
