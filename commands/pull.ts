import {Args, Flags} from '@oclif/core'
import {BaseCommand} from './_base.js'
import {runPull} from './_pull-run.js'

export default class Pull extends BaseCommand {
  static summary = 'Copy an image into an OCI image layout directory, verifying every digest.'
  static examples = ['<%= config.bin %> pull registry.example.com/team/app:1.2 --output ./app-layout', 'skopeo inspect oci:./app-layout:1.2']
  static args = {ref: Args.string({required: true, description: 'image to pull (any source inspect accepts)'})}
  static flags = {
    ...BaseCommand.registryFlags,
    ...BaseCommand.platformFlag,
    output: Flags.string({char: 'o', required: true, description: 'OCI layout directory to write (created if missing).'}),
    'all-platforms': Flags.boolean({description: 'Copy every platform of an index, and the index itself.'}),
    tag: Flags.string({description: 'Tag to record in index.json (default: the reference tag).'}),
    format: Flags.string({options: ['text', 'json'], default: 'text'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Pull)
    await runPull(args.ref, flags, await this.registryOptions(flags), (text) => this.emit(text))
  }
}
