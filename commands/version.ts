import {Flags} from '@oclif/core'
import {BaseCommand} from './_base.js'

export default class Version extends BaseCommand {
  static summary = 'Print the imgvet version (as --version does).'
  static examples = ['<%= config.bin %> version', '<%= config.bin %> version --json']
  static flags = {json: Flags.boolean({description: 'Print {name, version, node, platform} as JSON.'})}

  async run(): Promise<void> {
    const {flags} = await this.parse(Version)
    const c = this.config
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({name: c.name, version: c.version, node: process.version, platform: `${c.platform}-${c.arch}`})}\n`)
    } else {
      process.stdout.write(`${c.userAgent}\n`)
    }
  }
}
