import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../_base.js'
import {loadPolicy} from '../../src/policy/load.js'
import {explainScopes} from '../../src/policy/match.js'
import {formatExplanation} from '../../src/policy/text.js'

export default class PolicyExplain extends BaseCommand {
  static summary = 'Show which scope of a policy applies to an image reference, and why the others do not.'
  static examples = ['<%= config.bin %> policy explain nginx --policy docker-official', '<%= config.bin %> policy explain registry.example.com/team/app --policy ./policy.yaml --format json']
  static args = {ref: Args.string({required: true, description: 'Image reference; normalised first (nginx is docker.io/library/nginx).'})}
  static flags = {
    policy: Flags.string({char: 'p', description: 'Preset name or policy file.', default: 'default'}),
    format: Flags.string({options: ['text', 'json'], default: 'text'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PolicyExplain)
    const explanation = explainScopes(await loadPolicy(flags.policy), args.ref)
    await this.emit(flags.format === 'json' ? JSON.stringify(explanation, null, 2) : formatExplanation(explanation))
  }
}
