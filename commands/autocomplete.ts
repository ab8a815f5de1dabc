import {Args} from '@oclif/core'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {BaseCommand} from './_base.js'
import {fishCompletion} from '../src/cli/fish.js'

/**
 * Prints the script, as `trivy completion` and `cosign completion` do, instead of the plugin's install instructions:
 * `source <(imgvet autocomplete bash)` works in a shell profile. bash and zsh are the plugin's own scripts.
 */
export default class Autocomplete extends BaseCommand {
  static summary = 'Print a shell completion script for bash, zsh or fish.'
  static description = 'Load it from your shell profile: bash `source <(imgvet autocomplete bash)`, zsh '
    + '`source <(imgvet autocomplete zsh)`, fish `imgvet autocomplete fish | source`.'
  static examples = ['<%= config.bin %> autocomplete bash >> ~/.bashrc', '<%= config.bin %> autocomplete fish > ~/.config/fish/completions/imgvet.fish']
  static args = {shell: Args.string({required: true, options: ['bash', 'zsh', 'fish'], description: 'the shell'})}

  async run(): Promise<void> {
    const {args} = await this.parse(Autocomplete)
    if (args.shell === 'fish') {
      process.stdout.write(fishCompletion(this.config.bin, this.visibleCommands(), this.config.topics.filter((t) => !t.hidden).map((t) => ({name: t.name.replace(/:/g, ' '), description: t.description}))))
      return
    }
    // The plugin writes its scripts into the cache dir (<cache>/autocomplete/functions/<shell>/); read them back.
    await this.config.runCommand('autocomplete:create')
    const dir = join(this.config.cacheDir, 'autocomplete', 'functions', args.shell)
    const file = args.shell === 'bash' ? `${this.config.bin}.bash` : `_${this.config.bin}`
    const script = await readFile(join(dir, file), 'utf8')
    // A #compdef file is autoloaded from $fpath and ends by calling itself; sourced, it must register instead.
    const fn = `_${this.config.bin}`
    process.stdout.write(args.shell === 'zsh' ? `${script.replace(new RegExp(`\\n${fn}\\s*$`), '\n')}compdef ${fn} ${this.config.bin}\n` : script)
  }

  private visibleCommands() {
    return this.config.commands.filter((c) => !c.hidden).map((c) => ({
      id: c.id.replace(/:/g, ' '),
      summary: c.summary ?? c.description,
      flags: Object.entries(c.flags).filter(([, f]) => !f.hidden).map(([name, f]) => ({
        name, char: f.char, summary: f.summary ?? f.description,
        options: f.type === 'option' ? f.options : undefined, takesValue: f.type === 'option', allowNo: f.type === 'boolean' && f.allowNo,
      })),
    }))
  }
}
