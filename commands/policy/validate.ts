import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../_base.js'
import {EXIT, exitFor} from '../../src/errors.js'
import {checkPolicyText, readPolicyFile, resolvePolicyPath} from '../../src/policy/load.js'
import {formatIssue} from '../../src/policy/text.js'

export default class PolicyValidate extends BaseCommand {
  static summary = 'Check a trust policy file against the schema; print file:line: key: message for each problem.'
  static examples = ['<%= config.bin %> policy validate my-policy.yaml', '<%= config.bin %> policy validate release-gate --format json']
  static args = {file: Args.string({required: true, description: 'Policy file, or the name of a shipped preset.'})}
  static flags = {format: Flags.string({options: ['text', 'json'], default: 'text'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PolicyValidate)
    const {path, display} = await resolvePolicyPath(args.file)
    const {issues} = checkPolicyText(await readPolicyFile(path), display)
    if (flags.format === 'json') {
      await this.emit(JSON.stringify({file: display, valid: issues.length === 0, issues}, null, 2))
    } else {
      await this.emit(issues.length === 0 ? `${display}: valid` : issues.map(formatIssue).join('\n'))
    }
    // A policy that does not validate is bad input (2), not a verdict about an image.
    process.exitCode = exitFor({pass: issues.length === 0}, EXIT.badInput)
  }
}
