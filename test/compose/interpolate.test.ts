import test from 'ava'
import {interpolate, literalText, parseEnvFile} from '../../src/compose/interpolate.js'
import {Leaf} from '../../src/compose/tree.js'
import {isImgvetError} from '../../src/errors.js'

const loc = {file: 'compose.yaml', line: 7}
const env: Record<string, string> = {SET: 'v', EMPTY: '', TAG: '1.2'}
const look = (n: string) => env[n]
const run = (s: string) => interpolate(s, look, loc)

test('the Compose-spec forms: braced, unbraced, defaults, alternatives, $$', (t) => {
  t.is(run('${SET}').value, 'v')
  t.is(run('$SET-x').value, 'v-x')
  t.is(run('a${UNSET:-d}b').value, 'adb')
  t.is(run('${EMPTY:-d}').value, 'd', ':- also replaces an empty value')
  t.is(run('${EMPTY-d}').value, '', '- replaces only an unset one')
  t.is(run('${UNSET-d}').value, 'd')
  t.is(run('${SET:+alt}').value, 'alt')
  t.is(run('${EMPTY:+alt}').value, '')
  t.is(run('${EMPTY+alt}').value, 'alt')
  t.is(run('${UNSET+alt}').value, '')
  t.is(run('cost $$5 and $${SET}').value, 'cost $5 and ${SET}')
  t.is(run('${UNSET:-${TAG}}').value, '1.2', 'defaults are interpolated too')
  t.is(run('price: $ 5').value, 'price: $ 5', 'a lone $ stays')
})

test('unset variables without a default are reported; defaults are not "unset"', (t) => {
  t.deepEqual(run('app:${VERSION}').unset, ['VERSION'])
  t.deepEqual(run('$A$B').unset, ['A', 'B'])
  t.deepEqual(run('${VERSION:-1}').unset, [])
  t.deepEqual(run('${SET}').unset, [])
})

test('${VAR:?err} and ${VAR?err} fail with file:line; malformed templates too', (t) => {
  const e = t.throws(() => run('${PORT:?port required}'))
  t.true(isImgvetError(e))
  t.is(e?.message, 'compose.yaml:7: required variable PORT is missing a value: port required')
  t.throws(() => run('${EMPTY:?}'), {message: /EMPTY is missing/})
  t.is(run('${EMPTY?}').value, '', '? accepts an empty value')
  t.throws(() => run('${UNSET?x}'), {message: /UNSET/})
  t.throws(() => run('${oops'), {message: /^compose\.yaml:7: invalid interpolation format/})
  t.throws(() => run('${1X}'), {message: /invalid interpolation format/})
  t.throws(() => run('${X:=y}'), {message: /invalid interpolation format/})
})

test('literalText: what the file itself says, without anyone environment', (t) => {
  t.is(literalText(new Leaf('secret-from-env', loc, '${DB_PASSWORD}')), '')
  t.is(literalText(new Leaf('x', loc, '${DB_PASSWORD:-hunter2hunter2}')), 'hunter2hunter2')
  t.is(literalText(new Leaf('x', loc, '${P:?set it}')), '')
  t.is(literalText(new Leaf('plain', loc)), 'plain')
})

test('env files: comments, export, quotes, trailing comments, lines', (t) => {
  const text = '# comment\n\nA=1\nexport B="two words"\nC=\'$literal\'\nD=x # note\nE="a\\nb"\nBARE\n'
  t.deepEqual(parseEnvFile(text, 'db.env'), [
    {name: 'A', value: '1', line: 3},
    {name: 'B', value: 'two words', line: 4},
    {name: 'C', value: '$literal', line: 5},
    {name: 'D', value: 'x', line: 6},
    {name: 'E', value: 'a\nb', line: 7},
  ])
  t.throws(() => parseEnvFile('A=1\n=oops\n', 'db.env'), {message: 'db.env:2: not a KEY=VALUE line'})
})
