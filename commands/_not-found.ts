import type {Hook} from '@oclif/core'
import {EXIT} from '../src/errors.js'
import {escapeControl} from '../src/report/escape.js'
import {unknownCommand} from '../src/cli/suggest.js'

/** An unknown command is a usage error on one line with the nearest command named; never an interactive prompt. */
const hook: Hook.CommandNotFound = async function (opts) {
  const ids = opts.config.commands.filter((c) => !c.hidden).map((c) => c.id)
  const topics = opts.config.topics.filter((t) => !t.hidden).map((t) => t.name)
  const what = opts.id.startsWith('-') ? `unknown flag ${opts.id.split(':')[0]}` : ''
  const {word, hint} = unknownCommand(opts.id, ids, topics)
  const line = what || `unknown command \`${word}\`${hint ? `; did you mean \`${hint}\`?` : ''}`
  process.stderr.write(`imgvet: usage: ${escapeControl(line)} (see ${opts.config.bin} --help)\n`)
  process.exitCode = EXIT.badInput
}

export default hook
