import {closest} from '../policy/lines.js'

/**
 * oclif hands an unknown command over as one id with the arguments glued on (`sacn:x`, `policy:validte:p.yaml`):
 * keep the part that names a topic, take the next word as the unknown one and suggest its nearest sibling.
 */
export function unknownCommand(id: string, commandIds: readonly string[], topics: readonly string[]): {word: string; hint?: string} {
  const parts = id.split(':')
  const known = [...commandIds, ...topics].map((c) => c.split(':'))
  let depth = 0
  while (depth < parts.length - 1 && topics.includes(parts.slice(0, depth + 1).join(':'))) depth++
  const prefix = parts.slice(0, depth)
  const word = parts[depth] ?? ''
  const siblings = known
    .filter((k) => k.length > depth && prefix.every((p, i) => k[i] === p))
    .map((k) => k[depth] ?? '')
  const hint = closest(word, [...new Set(siblings)])
  return {word: [...prefix, word].join(' '), hint: hint === undefined ? undefined : [...prefix, hint].join(' ')}
}

/** The nearest known flag to a misspelt one, for "did you mean --severity?". */
export function unknownFlag(flag: string, names: readonly string[]): string | undefined {
  const bare = flag.replace(/^--?/, '').split('=')[0] ?? ''
  const hint = closest(bare, [...names])
  return hint === undefined ? undefined : `--${hint}`
}
