/** The parts of a command a completion script names. */
interface CompletionCommand {
  id: string
  summary?: string
  flags: ReadonlyArray<{name: string; char?: string; summary?: string; options?: readonly string[]; takesValue: boolean; allowNo?: boolean}>
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
const firstLine = (s: string | undefined) => (s ?? '').split('\n')[0]?.slice(0, 100) ?? ''

/**
 * A fish completion script (oclif's plugin writes bash and zsh only). Topics complete to their commands; a command's
 * flags complete once the words typed so far start with the command, so `registry scan` and `scan` stay apart.
 */
export function fishCompletion(bin: string, commands: readonly CompletionCommand[], topics: ReadonlyArray<{name: string; description?: string}>): string {
  const fn = `__${bin.replace(/[^A-Za-z0-9]/g, '_')}`
  const lines = [
    `# fish completion for ${bin}: ${bin} autocomplete fish | source`,
    `function ${fn}_words`,
    '    set -l words (commandline -opc)',
    '    set -e words[1]',
    "    string join ' ' -- (string match -v -- '-*' $words)",
    'end',
    `function ${fn}_at; set -l w (${fn}_words); test "$w" = "$argv"; end`,
    `function ${fn}_in; set -l w (${fn}_words); string match -q -- "$argv *" "$w "; end`,
    `complete -c ${bin} -f`,
  ]
  const children = new Map<string, Array<{word: string; summary: string}>>()
  const add = (id: string, summary: string) => {
    const parts = id.split(' ')
    const parent = parts.slice(0, -1).join(' ')
    // oclif lists a topic for every command too; the first description (the topic's own) wins.
    if (children.get(parent)?.some((k) => k.word === parts.at(-1))) return
    children.set(parent, [...(children.get(parent) ?? []), {word: parts.at(-1) ?? '', summary}])
  }
  for (const t of topics) add(t.name, firstLine(t.description))
  for (const c of commands) add(c.id, firstLine(c.summary))
  for (const [parent, kids] of children) {
    for (const k of kids) lines.push(`complete -c ${bin} -n ${quote(`${fn}_at ${parent}`.trim())} -a ${quote(k.word)} -d ${quote(k.summary)}`)
  }
  for (const c of commands) {
    for (const f of c.flags) {
      const short = f.char ? ` -s ${f.char}` : ''
      const value = f.options ? ` -xa ${quote(f.options.join(' '))}` : f.takesValue ? ' -r -F' : ''
      const names = [f.name, ...(f.allowNo ? [`no-${f.name}`] : [])]
      for (const n of names) {
        lines.push(`complete -c ${bin} -n ${quote(`${fn}_in ${c.id}`)} -l ${n}${short}${value} -d ${quote(firstLine(f.summary))}`)
      }
    }
  }
  return `${lines.join('\n')}\n`
}
