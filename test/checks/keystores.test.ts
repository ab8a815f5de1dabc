import test from 'ava'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parsePkcs12} from '../../src/checks/secrets/keystores.js'
import {highEntropy} from '../support/fake-secrets.js'
import {pkcs12, scanFile, sh, tmp} from './secret-fixtures.js'

const ids = (path: string, b: Buffer) => scanFile(path, b).map((d) => `${d.id}:${d.severity}`)

test('PKCS#12: default password is high and named, a strong one is medium', (t) => {
  const gcp = pkcs12('notasecret')
  const [d] = scanFile('/app/key.p12', gcp)
  t.is(d?.id, 'keystore.pkcs12-default-password')
  t.regex(d?.evidence ?? '', /notasecret/)
  t.deepEqual(ids('/app/empty.pfx', pkcs12('')), ['keystore.pkcs12-default-password:high'])
  t.deepEqual(ids('/app/strong.p12', pkcs12(highEntropy(20))), ['keystore.pkcs12:medium'])
  t.deepEqual(ids('/app/nomac.p12', pkcs12('x', ['-nomac'])), ['keystore.pkcs12:medium'])
  t.deepEqual(ids('/app/sha512.p12', pkcs12('changeit', ['-macalg', 'sha512'])), ['keystore.pkcs12-default-password:high'])
})

test('PKCS#12: detected by content whatever the name; garbage, truncation and other DER are not', (t) => {
  const p = pkcs12('notasecret')
  t.deepEqual(ids('/app/blob.bin.orig', p), ['keystore.pkcs12-default-password:high'])
  t.deepEqual(ids('/app/t.p12', p.subarray(0, 200)), [])
  t.is(parsePkcs12(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x03])), undefined)
  t.deepEqual(ids('/app/r.p12', Buffer.from(highEntropy(100))), [])
})

test('PKCS#12: iteration counts beyond the cap are not probed', (t) => {
  const info = parsePkcs12(pkcs12('notasecret', ['-iter', '20000']))
  t.is(info?.mac?.probed, false)
  t.is(info?.mac?.defaultPassword, undefined)
})

test('JKS: keys with changeit are high, strong password medium, truststores low, distro cacerts nothing', (t) => {
  const d = tmp()
  try {
    const gen = (file: string, pass: string) => sh('keytool', ['-genkeypair', '-alias', 'a', '-keyalg', 'EC', '-groupname', 'secp256r1',
      '-dname', 'CN=svc', '-keystore', file, '-storetype', 'JKS', '-storepass', pass, '-keypass', pass], d.dir)
    gen('def.jks', 'changeit')
    gen('strong.jks', highEntropy(16))
    sh('keytool', ['-exportcert', '-alias', 'a', '-keystore', 'def.jks', '-storepass', 'changeit', '-file', 'a.der'], d.dir)
    sh('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', 'a.der', '-keystore', 'trust.jks', '-storetype', 'JKS',
      '-storepass', highEntropy(12)], d.dir)
    const def = readFileSync(join(d.dir, 'def.jks'))
    t.deepEqual(ids('/app/keystore.jks', def), ['keystore.jks-default-password:high'])
    t.deepEqual(ids('/app/keystore', readFileSync(join(d.dir, 'strong.jks'))), ['keystore.jks:medium'])
    t.deepEqual(ids('/app/trust.jks', readFileSync(join(d.dir, 'trust.jks'))), ['keystore.jks:low'])
    t.deepEqual(ids('/usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts', def), [])
    t.deepEqual(ids('/etc/ssl/certs/java/cacerts', def), [])
  } finally {
    d.done()
  }
})

test('JCEKS magic and test-folder downgrade apply to keystores', (t) => {
  const d = tmp()
  try {
    sh('keytool', ['-genseckey', '-alias', 's', '-keyalg', 'AES', '-keysize', '128', '-keystore', 'k.jceks', '-storetype', 'JCEKS',
      '-storepass', 'changeit', '-keypass', 'changeit'], d.dir)
    const b = readFileSync(join(d.dir, 'k.jceks'))
    t.deepEqual(ids('/app/k.jceks', b), ['keystore.jceks-default-password:high'])
    const [fx] = scanFile('/usr/lib/python3/site-packages/pkg/tests/k.jceks', b)
    t.is(fx?.severity, 'info')
    t.regex(fx?.note ?? '', /tests/)
  } finally {
    d.done()
  }
})
