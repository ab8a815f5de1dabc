import {Args, loadHelpClass} from '@oclif/core'
import {BaseCommand} from './_base.js'
import {ImgvetError} from '../src/errors.js'
import {unknownCommand} from '../src/cli/suggest.js'

export default class Help extends BaseCommand {
  static summary = 'Show help for imgvet, a topic or a command.'
  static examples = ['<%= config.bin %> help scan', '<%= config.bin %> help registry scan']
  static strict = false
  static args = {command: Args.string({description: 'command or topic, words separated by spaces'})}

  async run(): Promise<void> {
    const {argv} = await this.parse(Help)
    const words = argv as string[]
    const id = words.join(':')
    if (id && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      const {word, hint} = unknownCommand(id, this.config.commands.filter((c) => !c.hidden).map((c) => c.id),
        this.config.topics.filter((t) => !t.hidden).map((t) => t.name))
      throw new ImgvetError('usage', `unknown command \`${word}\`${hint ? `; did you mean \`${hint}\`?` : ''}`)
    }
    const HelpClass = await loadHelpClass(this.config)
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions).showHelp(words)
  }
}
