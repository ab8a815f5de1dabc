import test from 'ava'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {settingsArgv, type FlagSpec, type SettingsInput} from '../../src/cli/settings.js'
import {envName, findConfigFile} from '../../src/cli/sources.js'
import {ImgvetError} from '../../src/errors.js'

/** A slice of scan's flags, as _base.ts copies them from oclif. */
const FLAGS: FlagSpec[] = [
  {name: 'format', type: 'option', options: ['text', 'json', 'sarif']},
  {name: 'output', type: 'option', char: 'o'},
  {name: 'quiet', type: 'boolean', char: 'q'},
  {name: 'no-progress', type: 'boolean'},
  {name: 'tls-verify', type: 'boolean', allowNo: true},
  {name: 'severity', type: 'option', exclusive: ['fail-on']},
  {name: 'fail-on', type: 'option'},
  {name: 'skip-dirs', type: 'option', multiple: true},
  {name: 'config', type: 'option'},
]
const COMMANDS = new Map<string, readonly string[]>([
  ['scan', FLAGS.map((f) => f.name)],
  ['vet', ['format', 'policy', 'quiet']],
  ['registry scan', ['format', 'concurrency']],
])

function settings(over: Partial<SettingsInput> & {yaml?: string}): string[] {
  const {yaml, ...rest} = over
  return settingsArgv({flags: FLAGS, commandId: 'scan', commands: COMMANDS, argv: [], env: {},
    file: yaml === undefined ? undefined : {path: 'imgvet.yaml', text: yaml}, ...rest})
}

function fails(t: {throws: (fn: () => unknown, e: object) => unknown}, fn: () => unknown, message: string): void {
  t.throws(fn, {instanceOf: ImgvetError, message})
}

test('every flag has an IMGVET_ variable: dashes become underscores', (t) => {
  t.is(envName('no-progress'), 'IMGVET_NO_PROGRESS')
  t.deepEqual(settings({env: {IMGVET_FORMAT: 'json', IMGVET_NO_PROGRESS: 'true', IMGVET_QUIET: '0'}}), ['--format=json', '--no-progress'])
  t.deepEqual(settings({env: {IMGVET_TLS_VERIFY: 'false'}}), ['--no-tls-verify'], 'an allowNo flag switched off')
  t.deepEqual(settings({env: {IMGVET_SKIP_DIRS: '/usr/share/doc, /opt/x'}}), ['--skip-dirs=/usr/share/doc', '--skip-dirs=/opt/x'])
  t.deepEqual(settings({env: {IMGVET_FORMAT: '', IMGVET_BUILT: '1', IMGVET_CONFIG: 'x'}}), [], 'empty, foreign and --config itself')
})

test('precedence: flags > env > file > defaults, per flag', (t) => {
  const yaml = 'format: sarif\nseverity: [HIGH, CRITICAL]\noutput: from-file.json\n'
  t.deepEqual(settings({yaml}), ['--format=sarif', '--severity=HIGH,CRITICAL', '--output=from-file.json'])
  t.deepEqual(settings({yaml, env: {IMGVET_FORMAT: 'json'}}), ['--format=json', '--severity=HIGH,CRITICAL', '--output=from-file.json'])
  t.deepEqual(settings({yaml, env: {IMGVET_FORMAT: 'json'}, argv: ['--format=text', '-o', 'x']}), ['--severity=HIGH,CRITICAL'])
  t.deepEqual(settings({yaml: 'quiet: true\n', argv: ['--no-tls-verify', '-q']}), [], 'a short flag counts as given')
})

test('a setting exclusive with a flag the user gave yields to it', (t) => {
  t.deepEqual(settings({env: {IMGVET_SEVERITY: 'HIGH'}, argv: ['--fail-on', 'high']}), [])
  t.deepEqual(settings({env: {IMGVET_FAIL_ON: 'high'}, yaml: 'severity: HIGH\n'}), ['--fail-on=high'], 'env beats the file')
})

test('a command section wins over the top level; other commands\' sections and flags are not errors', (t) => {
  const yaml = ['format: sarif', 'policy: release-gate', 'scan:', '  format: json', 'vet:', '  quiet: true', 'registry scan:', '  concurrency: 4', ''].join('\n')
  t.deepEqual(settings({yaml}), ['--format=json'])
})

test('bad values and unknown keys are one coded error naming the variable or file:line', (t) => {
  fails(t, () => settings({env: {IMGVET_FORMAT: 'xml'}}), 'format: expected one of text, json, sarif, got "xml"')
  t.throws(() => settings({env: {IMGVET_QUIET: 'maybe'}}), {message: 'quiet: expected true or false, got "maybe"'})
  const e = t.throws(() => settings({yaml: 'format: json\n\nsevrity: HIGH\n'}), {instanceOf: ImgvetError})
  t.is(e?.oneLine(), 'bad-input: unknown key "sevrity" (did you mean "severity"?) (imgvet.yaml:3)')
  t.is(t.throws(() => settings({yaml: 'scan:\n  formt: json\n'}))?.message, 'unknown key "formt" for scan (did you mean "format"?)')
  t.is(t.throws(() => settings({yaml: 'vet:\n  output: x\n'}))?.message, 'unknown key "output" for vet', 'a flag vet does not have')
  t.is(t.throws(() => settings({yaml: 'format:\n  a: 1\n'}))?.message, 'format: expected a value, got a mapping')
  t.is(t.throws(() => settings({yaml: 'config: other.yaml\n'}))?.message, '"config" can only be given on the command line')
  const bad = t.throws(() => settings({yaml: 'format: json\nscan: [\n'}), {instanceOf: ImgvetError})
  t.regex(bad?.oneLine() ?? '', /^bad-input: config file is not valid YAML: .* \(imgvet\.yaml:\d+\)$/)
  t.is(t.throws(() => settings({yaml: '- format\n'}))?.message, 'config file must be a mapping of flag names to values')
  t.deepEqual(settings({yaml: '# nothing yet\n'}), [])
})

test('the config file: --config, then IMGVET_CONFIG, then ./imgvet.yaml; a named file that is missing is an error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'imgvet-settings-'))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  t.is(findConfigFile([], {}, dir), undefined)
  writeFileSync(join(dir, 'imgvet.yaml'), 'format: json\n')
  writeFileSync(join(dir, 'other.yaml'), 'format: sarif\n')
  t.deepEqual(findConfigFile([], {}, dir), {path: 'imgvet.yaml', text: 'format: json\n'})
  const other = join(dir, 'other.yaml')
  t.is(findConfigFile([], {IMGVET_CONFIG: other}, dir)?.path, other)
  t.is(findConfigFile(['--config', other], {IMGVET_CONFIG: 'nope'}, dir)?.text, 'format: sarif\n')
  t.is(findConfigFile([`--config=${other}`], {}, dir)?.path, other)
  t.is(findConfigFile(['--', '--config', other], {}, dir)?.path, 'imgvet.yaml', 'after -- it is an argument')
  const missing = join(dir, 'missing.yaml')
  t.is(t.throws(() => findConfigFile(['--config', missing], {}, dir), {instanceOf: ImgvetError})?.oneLine(),
    `bad-input: cannot read config file: no such file (${missing})`)
})
