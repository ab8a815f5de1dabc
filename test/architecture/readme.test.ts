import test from 'ava'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {checkPolicyText} from '../../src/policy/load.js'

const root = join(import.meta.dirname, '..', '..')

// The README's policy example is what users copy first: it must stay valid as the schema evolves.
test('the policy example in the README validates', (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1]
  if (!yaml) return t.fail('README has no yaml block')
  const {issues} = checkPolicyText(yaml, 'README.md')
  t.deepEqual(issues, [])
})
