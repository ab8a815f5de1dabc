import test from 'ava'
import {readFileSync} from 'node:fs'
import {certExpires, describeCert} from '../../src/checks/secrets/certificates.js'
import {detectInText} from '../../src/checks/secrets/index.js'
import {judgeTime} from '../../src/findings/time.js'
import {makeServerCerts} from '../support/certs.js'
import {tmp} from './secret-fixtures.js'

test('certificates: private CA, trust stores, leaf with its key, bundles', async (t) => {
  const d = tmp()
  try {
    const c = await makeServerCerts(d.dir)
    const ca = readFileSync(c.caFile, 'utf8')
    const leaf = readFileSync(c.certFile, 'utf8')
    const key = readFileSync(c.keyFile, 'utf8')

    const [priv] = detectInText(ca, '/opt/app/ca.pem')
    t.is(priv?.id, 'cert.private-ca')
    t.is(priv?.severity, 'medium')
    t.regex(priv?.evidence ?? '', /imgvet test CA.*self-signed.*not after \d{4}-/)

    for (const p of ['/etc/ssl/certs/ca-certificates.crt', '/usr/share/ca-certificates/mozilla/X.crt', '/etc/pki/tls/certs/ca-bundle.crt',
      '/usr/lib/python3/dist-packages/certifi/cacert.pem']) {
      t.deepEqual(detectInText(ca, p), [], p)
    }
    t.is(detectInText(ca, '/usr/local/share/ca-certificates/corp.crt')[0]?.id, 'cert.added-trust-anchor')

    t.deepEqual(detectInText(leaf, '/etc/nginx/server.crt'), [], 'a leaf certificate alone is public')
    const both = detectInText(`${leaf}${key}`, '/etc/nginx/server.pem')
    const lw = both.find((x) => x.id === 'cert.leaf-with-key')
    t.is(lw?.severity, 'high')
    t.regex(lw?.evidence ?? '', /key matches/)
    t.true(both.some((x) => x.id.startsWith('private-key.')))

    const bundle = Array.from({length: 12}, () => ca).join('')
    t.deepEqual(detectInText(bundle, '/opt/venv/lib/vendored/cabundle.pem'), [], 'a big CA bundle is a trust store copy')
  } finally {
    d.done()
  }
})

test('expired certificates say so when the report is made, not in the cached evidence', (t) => {
  const info = {subject: 'CN=old', issuer: 'CN=old', notAfter: new Date('2020-01-02T00:00:00Z'), ca: true, selfSigned: true, fingerprint256: 'AA'}
  t.regex(describeCert(info), /not after 2020-01-02/)
  t.is(certExpires(info), '2020-01-02T00:00:00.000Z')
  const f = {severity: 'medium' as const, category: 'certificate' as const, expires: certExpires(info), note: undefined as string | undefined}
  t.regex(judgeTime(f).note ?? '', /expired 2020-01-02/)
  t.is(judgeTime(f).severity, 'medium', 'its key works as before')
  t.regex(judgeTime(f, Date.parse('2019-06-01')).note ?? '', /expires 2020-01-02/)
})
