import {Args, Flags} from '@oclif/core'
import {BaseCommand} from './_base.js'
import {Registries} from '../src/registry/client.js'
import {openSource} from '../src/image/open.js'
import {inspectImage} from '../src/image/inspect.js'
import {renderInspectText} from '../src/report/inspect.js'

export default class Inspect extends BaseCommand {
  static summary = 'Show an image: digest, platforms, layers, config summary and the supply-chain material it has.'
  static examples = ['<%= config.bin %> inspect nginx:1.27', '<%= config.bin %> inspect oci:examples/vulnerable:latest --format json']
  static args = {ref: Args.string({required: true, description: 'docker://REF (default), oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE'})}
  static flags = {
    ...BaseCommand.registryFlags,
    ...BaseCommand.platformFlag,
    format: Flags.string({options: ['text', 'json'], default: 'text'}),
    output: Flags.string({char: 'o', description: 'Write to FILE instead of stdout.'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Inspect)
    const registries = new Registries(await this.registryOptions(flags))
    try {
      const source = await openSource(args.ref, registries)
      const result = await inspectImage(source, this.platformChoice(flags, 'linux/amd64'))
      await this.emit(flags.format === 'json' ? JSON.stringify(result, null, 2) : renderInspectText(result), flags.output)
    } finally {
      registries.close()
    }
  }
}
