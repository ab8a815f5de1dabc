import test from 'ava'
import {spawnSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {ensureBuilt} from '../support/build.js'
import {ROOT, runCli, tempDir} from '../support/cli.js'

/** Help, version, "did you mean", completion and settings, run as a user runs them; no registry needed. */
test.before(ensureBuilt)

const EXAMPLE = `oci:${join(ROOT, 'examples', 'vulnerable')}`

test('-h, --help and help <command> print the same help; topics describe themselves', async (t) => {
  const [short, long, viaHelp] = await Promise.all([runCli(['scan', '-h']), runCli(['scan', '--help']), runCli(['help', 'scan'])])
  t.is(short.code, 0, short.stderr)
  t.regex(short.stdout, /^USAGE\n {2}\$ imgvet scan REF/m)
  t.is(long.stdout, short.stdout)
  t.is(viaHelp.stdout, short.stdout)
  const root = await runCli(['-h'])
  t.is(root.code, 0, root.stderr)
  t.regex(root.stdout, /^ {2}policy +Work with trust policies: validate a policy file, explain which\n +scope applies/m)
  t.regex(root.stdout, /^ {2}registry +Vet a whole registry: scan every repository and tag/m)
  for (const line of root.stdout.split('\n')) t.true(line.length <= 80, `wrapped: ${line}`)
  const topic = await runCli(['help', 'registry'])
  t.regex(topic.stdout, /registry scan +Vet every image in a registry/)
})

test('version and --version print the same line; version --json parses', async (t) => {
  const [a, b, j] = await Promise.all([runCli(['version']), runCli(['--version']), runCli(['version', '--json'])])
  t.is(a.code, 0, a.stderr)
  t.regex(a.stdout, /^imgvet\/0\.1\.0 linux-\w+ node-v\d+/)
  t.is(b.stdout, a.stdout)
  t.like(JSON.parse(j.stdout), {name: 'imgvet', version: '0.1.0'})
})

test('an unknown command or flag is exit 2 on one line with the nearest name', async (t) => {
  const cases: Array<[string[], string]> = [
    [['sacn', 'oci:x'], 'imgvet: usage: unknown command `sacn`; did you mean `scan`? (see imgvet --help)'],
    [['policy', 'validte', 'p.yaml'], 'imgvet: usage: unknown command `policy validte`; did you mean `policy validate`? (see imgvet --help)'],
    [['help', 'registy', 'scan'], 'imgvet: usage: unknown command `registy`; did you mean `registry`?'],
    [['scan', EXAMPLE, '--sevrity', 'HIGH'], 'imgvet: usage: Nonexistent flag: --sevrity; did you mean --severity? (see imgvet scan --help)'],
    [['frobnicate'], 'imgvet: usage: unknown command `frobnicate` (see imgvet --help)'],
  ]
  for (const [args, line] of cases) {
    const r = await runCli(args)
    t.is(r.code, 2, args.join(' '))
    t.is(r.stderr, `${line}\n`)
    t.is(r.stdout, '')
  }
})

test('autocomplete prints a bash, zsh or fish script naming the commands; bash completes scan and its flags', async (t) => {
  const env = {XDG_CACHE_HOME: tempDir(t, 'imgvet-complete')}
  const [bash, zsh, fish] = await Promise.all(['bash', 'zsh', 'fish'].map((s) => runCli(['autocomplete', s], {env})))
  for (const r of [bash, zsh, fish]) t.is(r?.code, 0, r?.stderr)
  t.regex(bash?.stdout ?? '', /complete -F _imgvet_autocomplete imgvet/)
  t.regex(zsh?.stdout ?? '', /^#compdef imgvet/)
  t.regex(zsh?.stdout ?? '', /compdef _imgvet imgvet\n$/)
  t.regex(fish?.stdout ?? '', /complete -c imgvet -n '__imgvet_at registry' -a 'scan' -d 'Vet every image in a registry/)
  t.regex(fish?.stdout ?? '', /complete -c imgvet -n '__imgvet_in scan' -l format -xa 'text json sarif junit gitlab'/)
  for (const id of ['scan', 'vet', 'inspect', 'pull', 'verify', 'registry:scan', 'policy:validate']) {
    t.regex(bash?.stdout ?? '', new RegExp(`^${id} --`, 'm'), id)
  }
  // The real bash, with the script sourced, as <TAB> would call it.
  const complete = (words: string[]) => spawnSync('bash', ['-c', [
    'eval "$(cat)"', `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`, `COMP_CWORD=${words.length - 1}`,
    '_imgvet_autocomplete', 'echo "${COMPREPLY[@]}"'].join('\n')], {input: bash?.stdout, encoding: 'utf8'}).stdout.trim()
  t.is(complete(['imgvet', 'sc']), 'scan')
  t.is(complete(['imgvet', 'registry', 'm']), 'merge')
  t.is(complete(['imgvet', 'scan', '--sev']), '--severity')
  const bad = await runCli(['autocomplete', 'tcsh'], {env})
  t.is(bad.code, 2)
  t.is(bad.stderr, 'imgvet: usage: Expected tcsh to be one of: bash, zsh, fish (see imgvet autocomplete --help)\n')
})

test('settings: flags > IMGVET_<FLAG> > imgvet.yaml in the working dir > defaults, on a real scan', async (t) => {
  const dir = tempDir(t, 'imgvet-settings')
  const work = join(dir, 'work')
  mkdirSync(work)
  writeFileSync(join(work, 'imgvet.yaml'), 'no-cache: true\nscan:\n  format: sarif\n')
  const cwd = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, {cwd: work, env: {HOME: join(work, 'home'), ...env}})
  const fromFile = await cwd(['scan', EXAMPLE])
  t.is(fromFile.code, 0, fromFile.stderr)
  t.is((JSON.parse(fromFile.stdout) as {version: string}).version, '2.1.0', 'SARIF, from the file')
  const fromEnv = await cwd(['scan', EXAMPLE], {IMGVET_FORMAT: 'json'})
  t.like(JSON.parse(fromEnv.stdout), {tool: {name: 'imgvet'}})
  const fromFlag = await cwd(['scan', EXAMPLE, '--format', 'text'], {IMGVET_FORMAT: 'json'})
  t.regex(fromFlag.stdout, /^Image: /m)
  const gate = await cwd(['scan', EXAMPLE, '--fail-on', 'high'], {IMGVET_SEVERITY: 'LOW', IMGVET_FORMAT: 'json'})
  t.is(gate.code, 1, `--fail-on on the command line wins over an exclusive IMGVET_SEVERITY: ${gate.stderr}`)

  writeFileSync(join(work, 'imgvet.yaml'), 'format: json\n\nfail-onn: high\n')
  const typo = await cwd(['scan', EXAMPLE])
  t.is(typo.code, 2)
  t.is(typo.stderr, 'imgvet: bad-input: unknown key "fail-onn" (did you mean "fail-on"?) (imgvet.yaml:3)\n')
  const named = join(dir, 'ci.yaml')
  writeFileSync(named, 'format: json\n')
  const viaFlag = await cwd(['scan', EXAMPLE, '--config', named, '--no-cache'])
  t.is(viaFlag.code, 0, viaFlag.stderr)
  t.like(JSON.parse(viaFlag.stdout), {tool: {name: 'imgvet'}})
  const badEnv = await cwd(['scan', EXAMPLE, '--config', named, '--no-cache'], {IMGVET_NO_PROGRESS: 'sometimes'})
  t.is(badEnv.stderr, 'imgvet: bad-input: no-progress: expected true or false, got "sometimes" (IMGVET_NO_PROGRESS)\n')
  t.is(badEnv.code, 2)
})
