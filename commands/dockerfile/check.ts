import {Args, Flags} from '@oclif/core'
import {BaseCommand, formatFlag} from '../_base.js'
import {exitFor} from '../../src/errors.js'
import {checkDockerfile} from '../../src/dockerfile/check.js'
import {renderAs} from '../../src/report/render.js'
import {loadPolicy} from '../../src/policy/load.js'
import {useColor} from '../../src/report/text.js'

export default class DockerfileCheck extends BaseCommand {
  static summary = 'Check a Dockerfile before building it: pinned and trusted bases, non-root USER, no baked-in secrets.'
  static description = [
    'Rules: FROM pinned by digest and covered by the policy (baseImages.allow), the final stage runs as a non-root USER',
    '(no USER means root), no secrets in ENV/ARG/LABEL/RUN, no secret-named build arguments, no COPY/ADD of key or',
    'credential files, ADD <url> only with --checksum, EXPOSE only ports the policy allows, no curl|sh.',
    'With --context DIR, COPY/ADD sources are resolved in the build context as the builder would (honouring',
    '<Dockerfile>.dockerignore or DIR/.dockerignore), and every key or credential file they would copy is reported.',
    'Exit codes: 0 passes the policy, 1 fails it, 2 bad input or policy.',
  ].join('\n')
  static examples = [
    '<%= config.bin %> dockerfile check',
    '<%= config.bin %> dockerfile check build/Dockerfile --policy release-gate --format sarif -o dockerfile.sarif',
    '<%= config.bin %> dockerfile check app/Dockerfile --context app --format json',
  ]
  static args = {file: Args.string({description: 'Dockerfile to check', default: 'Dockerfile'})}
  static flags = {
    policy: Flags.string({char: 'p', description: 'Preset name (default, release-gate, docker-official) or policy file.', default: 'default'}),
    format: formatFlag('text', 'dockerfile'),
    output: Flags.string({char: 'o', description: 'Write the report to FILE.'}),
    as: Flags.string({description: 'The reference the built image will have; selects the policy scope (ports, user, failOn).'}),
    context: Flags.string({description: 'Build context directory: report key and credential files that COPY/ADD would copy from it.'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(DockerfileCheck)
    const policy = await loadPolicy(flags.policy)
    const result = await checkDockerfile(args.file, {policy, as: flags.as, context: flags.context})
    await this.emit(renderAs('dockerfile', flags.format, result.report, {color: !flags.output && useColor()}), flags.output)
    process.exitCode = exitFor(result)
  }
}
