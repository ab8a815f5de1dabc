import {Args, Flags} from '@oclif/core'
import {BaseCommand, formatFlag} from '../_base.js'
import {checkCompose} from '../../src/compose/check.js'
import {registryVetter} from '../../src/compose/images.js'
import {renderAs} from '../../src/report/render.js'
import {loadPolicy} from '../../src/policy/load.js'
import {Registries} from '../../src/registry/client.js'
import {useColor} from '../../src/report/text.js'

export default class ComposeCheck extends BaseCommand {
  static summary =
    'Check compose files: published ports, privileges, host mounts, secrets, unpinned images; vet every image they name.'
  static description = [
    'Files merge as `docker compose -f a -f b` does (overrides, extends, include, env_file); ${VAR} interpolation reads the',
    'environment and the .env beside the first file (or --env-file). Every service of every profile is checked unless',
    '--profile narrows it. Each image is vetted as `imgvet vet` vets it (unless --no-images), and its findings are',
    'attributed to the service. Exit codes: 0 pass, 1 fail, 2 bad input (a malformed file names file:line), 3 an image',
    'could not be vetted.',
  ].join('\n')
  static examples = [
    '<%= config.bin %> compose check docker-compose.yml',
    '<%= config.bin %> compose check compose.yaml compose.prod.yaml --policy release-gate --format sarif -o compose.sarif',
    '<%= config.bin %> compose check compose.yaml --no-images --profile debug',
  ]
  static strict = false
  static args = {file: Args.string({description: 'compose file(s), merged in order', required: true})}
  static flags = {
    ...BaseCommand.registryFlags,
    ...BaseCommand.platformFlag,
    ...BaseCommand.signerFlags,
    policy: Flags.string({
      char: 'p',
      description: 'Preset name (default, release-gate, docker-official) or policy file.',
      default: 'default',
    }),
    'no-images': Flags.boolean({description: 'Check the compose files only; do not pull and vet the images.'}),
    'env-file': Flags.string({description: 'Variables for interpolation, instead of the .env beside the first file.'}),
    profile: Flags.string({
      description: 'Check only services without profiles or with this one (repeatable).',
      multiple: true,
      multipleNonGreedy: true,
    }),
    format: formatFlag('text', 'compose'),
    output: Flags.string({char: 'o', description: 'Write the report to FILE.'}),
    ...BaseCommand.walkFlags,
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(ComposeCheck)
    const files = argv.map(String)
    const policy = await loadPolicy(flags.policy)
    const registries = flags['no-images'] ? undefined : new Registries(await this.registryOptions(flags))
    try {
      const {cache, maxLayerBytes, maxTextBytes} = this.walkOptions(flags)
      const vetImage =
        registries &&
        registryVetter(registries, {
          policy,
          platform: this.platformChoice(flags).platform,
          signers: this.signerOverrides(flags),
          cache,
          maxLayerBytes,
          maxTextBytes,
        })
      const {report, exitCode} = await checkCompose(files, {
        policy,
        vetImage,
        envFile: flags['env-file'],
        profiles: flags.profile,
      })
      cache?.prune()
      await this.emit(renderAs('compose', flags.format, report, {color: !flags.output && useColor()}), flags.output)
      process.exitCode = exitCode
    } finally {
      registries?.close()
    }
  }
}
