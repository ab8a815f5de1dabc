import test from 'ava'
import {generateKeyPairSync} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {detectInText} from '../../src/checks/secrets/index.js'
import {highEntropy} from '../support/fake-secrets.js'
import {sh, tmp} from './secret-fixtures.js'

const ids = (text: string, path = '/app/key') => detectInText(text, path).map((d) => `${d.id}:${d.severity}`)

test('PEM private keys: PKCS#1, PKCS#8, EC, DSA', (t) => {
  const rsa = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey
  t.deepEqual(ids(rsa.export({type: 'pkcs1', format: 'pem'}).toString()), ['private-key.rsa:high'])
  t.deepEqual(ids(rsa.export({type: 'pkcs8', format: 'pem'}).toString()), ['private-key.pkcs8:high'])
  const ec = generateKeyPairSync('ec', {namedCurve: 'P-384'}).privateKey.export({type: 'sec1', format: 'pem'}).toString()
  const [d] = detectInText(ec, '/k')
  t.is(d?.id, 'private-key.ec')
  t.regex(d?.evidence ?? '', /ec secp384r1/)
  const dsa = generateKeyPairSync('dsa', {modulusLength: 2048, divisorLength: 256}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  t.deepEqual(ids(dsa.replace(/PRIVATE KEY/g, 'DSA PRIVATE KEY')), ['private-key.dsa:high'])
})

test('encrypted keys are medium: ENCRYPTED PRIVATE KEY and Proc-Type', (t) => {
  const k = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey
  t.deepEqual(ids(k.export({type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw'}).toString()), ['private-key.pkcs8-encrypted:medium'])
  const legacy = k.export({type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw'}).toString()
  t.regex(legacy, /Proc-Type: 4,ENCRYPTED/)
  t.deepEqual(ids(legacy), ['private-key.rsa-encrypted:medium'])
})

test('OpenSSH keys: cipher none is high, a passphrase makes it medium', (t) => {
  const d = tmp()
  try {
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(d.dir, 'plain')])
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', join(d.dir, 'enc')])
    t.deepEqual(ids(readFileSync(join(d.dir, 'plain'), 'utf8')), ['private-key.openssh:high'])
    t.deepEqual(ids(readFileSync(join(d.dir, 'enc'), 'utf8')), ['private-key.openssh-encrypted:medium'])
    t.deepEqual(ids(readFileSync(join(d.dir, 'plain.pub'), 'utf8')), [], 'public keys are not findings')
  } finally {
    d.done()
  }
})

test('PuTTY and PGP private keys', (t) => {
  const ppk = (enc: string) => `PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: ${enc}\nComment: deploy\nPublic-Lines: 2\n${highEntropy(64)}\n${highEntropy(20)}\nPrivate-Lines: 1\n${highEntropy(44)}\nPrivate-MAC: ${'ab'.repeat(32)}\n`
  t.deepEqual(ids(ppk('none')), ['private-key.putty:high'])
  t.deepEqual(ids(ppk('aes256-cbc')), ['private-key.putty-encrypted:medium'])
  const pgp = `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF${highEntropy(64)}\n${highEntropy(64)}\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----\n`
  t.deepEqual(ids(pgp), ['private-key.pgp:high'])
})

test('placeholders and escaped keys in JSON', (t) => {
  for (const body of ['...', '***', 'xxx', 'YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo=']) {
    t.deepEqual(ids(`-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`), [], body)
  }
  const pem = generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  const ds = detectInText(`{\n  "key": ${JSON.stringify(pem)}\n}\n`, '/app/c.json')
  t.deepEqual(ds.map((d) => [d.id, d.line]), [['private-key.pkcs8', 2]])
})
