import test from 'ava'
import {CONTENT_CHECKS} from '../../src/checks/secrets/index.js'
import {positiveSamples, scanFile} from './secret-fixtures.js'

for (const s of positiveSamples()) {
  test(`${s.name}: detected as ${s.ids.join(', ')}, secret never outside the secret field`, (t) => {
    const ds = scanFile(s.path, s.content)
    for (const id of s.ids) t.true(ds.some((d) => d.id === id && d.severity !== 'info'), `${id} in ${ds.map((d) => d.id).join(', ')}`)
    for (const d of ds) {
      t.true(d.secret.length > 0, 'secret is kept for the fingerprint')
      t.is(d.rule, 'no-credentials')
    }
    const withoutSecretField = JSON.stringify(ds.map(({secret: _s, ...rest}) => rest))
    for (const secret of s.secrets) {
      t.true(secret.length >= 16)
      t.false(withoutSecretField.includes(secret), `${s.name}: secret leaked into ${withoutSecretField}`)
    }
    t.true(s.secrets.some((x) => ds.some((d) => d.secret.includes(x))), 'the raw secret is in the secret field')
  })
}

test('check ids are unique, versioned, and bounded', (t) => {
  const ids = CONTENT_CHECKS.map((c) => c.id)
  t.is(new Set(ids).size, ids.length)
  for (const c of CONTENT_CHECKS) {
    t.true(Number.isInteger(c.version) && c.version >= 1, c.id)
    t.true((c.maxBytes ?? 0) > 0, `${c.id} bounds what it reads`)
  }
})
