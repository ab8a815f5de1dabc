import test from 'ava'
import {generateKeyPairSync} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {detectInText} from '../../src/checks/secrets/index.js'
import {ENCODED_KEY_NEEDLES, ENCODED_SEARCH_NEEDLES} from '../../src/checks/secrets/hidden-keys.js'
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

test('PuTTY keys: v2/v3, clear or encrypted, also with escaped newlines; a file cut before its MAC is medium', (t) => {
  const ppk = (v: number, enc: string, mac = true) => `PuTTY-User-Key-File-${v}: ssh-ed25519\nEncryption: ${enc}\nComment: deploy\nPublic-Lines: 2\n${highEntropy(64)}\n${highEntropy(20)}\nPrivate-Lines: 1\n${highEntropy(44)}\n${mac ? `Private-MAC: ${'ab'.repeat(32)}\n` : ''}`
  t.deepEqual(ids(ppk(3, 'none')), ['private-key.putty:high'])
  t.deepEqual(ids(ppk(2, 'none')), ['private-key.putty:high'])
  t.deepEqual(ids(ppk(3, 'aes256-cbc')), ['private-key.putty-encrypted:medium'])
  t.deepEqual(ids(ppk(3, 'none', false)), ['private-key.putty:medium'])
  const json = detectInText(`{\n  "ppk": ${JSON.stringify(ppk(3, 'none'))}\n}\n`, '/app/c.json')
  t.deepEqual(json.map((d) => [d.id, d.severity, d.line]), [['private-key.putty', 'high', 2]])
  t.deepEqual(ids('PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: x\n'), [], 'a header alone is not a key')
})

function gpg(home: string, args: string[]): string {
  return sh('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', ...args])
}

test('PGP private key blocks: a clear secret key is high, a protected one medium, a public block nothing', (t) => {
  const d = tmp()
  try {
    gpg(d.dir, ['--passphrase', '', '--quick-gen-key', 'Clear <clear@example.com>', 'ed25519', 'default', 'never'])
    gpg(d.dir, ['--passphrase', 'pw', '--quick-gen-key', 'Locked <locked@example.com>', 'rsa2048', 'default', 'never'])
    const clear = gpg(d.dir, ['--passphrase', '', '--armor', '--export-secret-keys', 'clear@example.com'])
    const locked = gpg(d.dir, ['--passphrase', 'pw', '--armor', '--export-secret-keys', 'locked@example.com'])
    t.regex(clear, /^-----BEGIN PGP PRIVATE KEY BLOCK-----/)
    t.deepEqual(ids(clear), ['private-key.pgp:high'])
    t.deepEqual(ids(locked), ['private-key.pgp-encrypted:medium'])
    t.deepEqual(ids(gpg(d.dir, ['--armor', '--export', 'clear@example.com'])), [], 'a PGP public key block')
    // Random base64 under the armour has no Secret-Key packet: worth a look, not high.
    t.deepEqual(ids(`-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${highEntropy(64)}\n${highEntropy(64)}\n-----END PGP PRIVATE KEY BLOCK-----\n`), ['private-key.pgp:medium'])
  } finally {
    d.done()
  }
})

test('other armours: ENCRYPTED, ANY, Ed25519 PKCS#8, SSH.com; a header without a body or with random base64 is not high', (t) => {
  const ed = generateKeyPairSync('ed25519').privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  t.deepEqual(ids(ed), ['private-key.pkcs8:high'])
  t.deepEqual(ids(ed.replace(/PRIVATE KEY/g, 'ANY PRIVATE KEY')), ['private-key.pkcs8:high'])
  const blob = (cipher: string) => {
    const type = Buffer.from('if-modn{sign{rsa-pkcs1-sha1},encrypt{rsa-pkcs1v2-oaep}}')
    const c = Buffer.from(cipher)
    const rest = Buffer.from(highEntropy(300))
    const b = Buffer.alloc(8 + 4 + type.length + 4 + c.length + rest.length)
    b.writeUInt32BE(0x3f6ff9eb, 0)
    b.writeUInt32BE(b.length, 4)
    b.writeUInt32BE(type.length, 8)
    type.copy(b, 12)
    b.writeUInt32BE(c.length, 12 + type.length)
    c.copy(b, 16 + type.length)
    rest.copy(b, 16 + type.length + c.length)
    return b.toString('base64').replace(/(.{70})/g, '$1\n')
  }
  const ssh2 = (c: string) => `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: "rsa-key-20240101"\n${blob(c)}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n`
  t.deepEqual(ids(ssh2('none')), ['private-key.ssh2:high'])
  t.deepEqual(ids(ssh2('3des-cbc')), ['private-key.ssh2-encrypted:medium'])
  for (const label of ['RSA PRIVATE KEY', 'PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY']) {
    t.deepEqual(ids(`-----BEGIN ${label}-----\n-----END ${label}-----\n`), [], `${label}: no body`)
    t.deepEqual(ids(`-----BEGIN ${label}-----\n${highEntropy(64)}\n${highEntropy(64)}\n-----END ${label}-----\n`).map((s) => s.split(':')[1]), ['medium'], `${label}: random body`)
  }
  const pub = generateKeyPairSync('rsa', {modulusLength: 2048}).publicKey
  t.deepEqual(ids(pub.export({type: 'spki', format: 'pem'}).toString()), [], 'a public key')
  t.deepEqual(ids(pub.export({type: 'pkcs1', format: 'pem'}).toString()), [], 'an RSA public key')
  // A real key cut short (as pasted into a test case) is still reported, at medium, saying so.
  const cut = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({type: 'pkcs1', format: 'pem'}).toString().split('\n')
  const [d] = detectInText([...cut.slice(0, 4), cut.at(-2)].join('\n'), '/k')
  t.is(`${d?.id}:${d?.severity}`, 'private-key.rsa:medium')
  t.regex(d?.note ?? '', /truncated/)
})

test('placeholders and escaped keys in JSON', (t) => {
  for (const body of ['...', '***', 'xxx', 'YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo=']) {
    t.deepEqual(ids(`-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`), [], body)
  }
  const pem = generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  const ds = detectInText(`{\n  "key": ${JSON.stringify(pem)}\n}\n`, '/app/c.json')
  t.deepEqual(ds.map((d) => [d.id, d.line]), [['private-key.pkcs8', 2]])
})

const lineOf = (text: string, path: string) => detectInText(text, path).map((d) => `${d.id}:${d.severity}:${d.line}`)

test('base64-encoded PEM: Kubernetes Secrets, wrapped base64, any byte alignment, base64 of base64', (t) => {
  const pem = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({type: 'pkcs1', format: 'pem'}).toString()
  const b64 = Buffer.from(pem).toString('base64')
  t.true(b64.startsWith('LS0tLS1CRUdJTi'))
  const secret = `apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ${Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64')}\n  tls.key: ${b64}\n`
  const [d] = detectInText(secret, '/app/secret.yaml')
  t.is(`${d?.id}:${d?.severity}:${d?.line}`, 'private-key.rsa:high:6')
  t.regex(d?.note ?? '', /base64-encoded PEM/)
  t.false((d?.evidence ?? '').includes(b64.slice(20, 40)), 'evidence is redacted')
  // `base64` without -w0 wraps at 76; a PEM after other text lands at any alignment of the 3-byte groups.
  for (const prefix of ['', 'k', 'ke', 'key: |\n']) {
    const wrapped = Buffer.from(prefix + pem).toString('base64').replace(/(.{76})/g, '$1\n')
    t.deepEqual(lineOf(`# exported\n${wrapped}\n`, '/app/key.b64'), ['private-key.rsa:high:2'], JSON.stringify(prefix))
  }
  const twice = Buffer.from(`tls.key: ${b64}\n`).toString('base64')
  t.deepEqual(lineOf(`value: ${twice}\n`, '/app/v.yaml').map((s) => s.split(':').slice(0, 2).join(':')), ['private-key.rsa:high'])
  t.deepEqual(lineOf(JSON.stringify({key: b64}), '/app/c.json'), ['private-key.rsa:high:1'])
})

test('base64 that decodes to no private key is not one: certificates, public keys, placeholders, plain words', (t) => {
  const pub = generateKeyPairSync('ec', {namedCurve: 'P-256'}).publicKey.export({type: 'spki', format: 'pem'}).toString()
  const fake = '-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n'
  for (const text of [pub, fake, '-----BEGIN CERTIFICATE-----\nMIIBxxxx\n-----END CERTIFICATE-----\n', '-----BEGIN nothing here']) {
    t.deepEqual(lineOf(`data: ${Buffer.from(text).toString('base64')}\n`, '/app/s.yaml').filter((s) => s.startsWith('private-key')), [], text.slice(0, 30))
  }
})

test('PEM blocks split over string literals in code, escaped in one literal, or folded onto one line', (t) => {
  const pem = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({type: 'pkcs1', format: 'pem'}).toString()
  const ls = pem.trim().split('\n')
  const forms: Array<[string, string, number]> = [
    ['/app/Keys.java', `class Keys {\n  static final String KEY =\n${ls.map((l) => `      "${l}\\n"`).join(' +\n')};\n}\n`, 3],
    ['/app/keys.py', `KEY = (\n${ls.map((l) => `    "${l}\\n"`).join('\n')}\n)\n`, 2],
    ['/app/keys.go', `var key = "" +\n${ls.map((l) => `\t"${l}\\n"`).join(' +\n')}\n`, 2],
    ['/app/keys.js', `const key = [\n${ls.map((l) => `  '${l}'`).join(',\n')}\n].join('\\n')\n`, 2],
    ['/app/keys.php', `<?php\n$key = ${ls.map((l) => `"${l}\\n"`).join(' .\n  ')};\n`, 2],
    ['/app/Keys.cs', `var key = @"${ls[0]}" + Environment.NewLine +\n${ls.slice(1).map((l) => `  @"${l}"`).join(' + Environment.NewLine +\n')};\n`, 1],
    ['/app/keys.rb', `KEY = "${ls.join('\\n')}\\n"\n`, 1],
    ['/app/run.sh', `export PRIVATE_KEY="${ls.join('\\n')}"\n`, 1],
    ['/app/values.json', `{"tls": {"key": ${JSON.stringify(JSON.stringify({pem}))}}}\n`, 1],
    ['/app/values.yaml', `tls:\n  key: ${ls.join(' ')}\n`, 2],
    ['/app/values.yaml', `tls:\n  key: |\n${ls.map((l) => `    ${l}`).join('\n')}\n`, 3],
  ]
  for (const [path, text, line] of forms) {
    const ds = detectInText(text, path)
    t.deepEqual(ds.map((d) => `${d.id}:${d.severity}:${d.line}`), [`private-key.rsa:high:${line}`], `${path}\n${text.slice(0, 200)}`)
  }
  const [d] = detectInText(forms[0]?.[1] ?? '', '/app/Keys.java')
  t.regex(d?.note ?? '', /split over string literals/)
})

test('OpenSSH private keys given as bare base64, as in CI variables; public keys and coincidences are not', (t) => {
  const d = tmp()
  try {
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(d.dir, 'plain')])
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pw', '-f', join(d.dir, 'enc')])
    const bare = (f: string) => readFileSync(join(d.dir, f), 'utf8').split('\n').filter((l) => l && !l.startsWith('-----')).join('')
    t.true(bare('plain').startsWith('b3BlbnNzaC1rZXktdjE'))
    t.deepEqual(lineOf(`HOST=ci\nexport SSH_PRIVATE_KEY=${bare('plain')}\n`, '/app/ci.sh'), ['private-key.openssh:high:2'])
    t.deepEqual(lineOf(`{"deploy_key": "${bare('enc')}"}`, '/app/c.json'), ['private-key.openssh-encrypted:medium:1'])
    t.deepEqual(lineOf(readFileSync(join(d.dir, 'plain'), 'utf8'), '/k'), ['private-key.openssh:high:1'], 'an armoured key is reported once')
    t.deepEqual(lineOf(readFileSync(join(d.dir, 'plain.pub'), 'utf8'), '/k.pub'), [])
    t.deepEqual(lineOf(`x=${highEntropy(30)}b3BlbnNzaC1rZXktdjE${highEntropy(60)}\n`, '/a'), [], 'the magic inside a longer run')
    t.deepEqual(lineOf(`K=b3BlbnNzaC1rZXktdjE${'A'.repeat(8)}\n`, '/a'), [], 'the magic alone')
  } finally {
    d.done()
  }
})

test('each prefilter needle of the encoded key forms stands for one search needle', (t) => {
  t.is(ENCODED_KEY_NEEDLES.length, ENCODED_SEARCH_NEEDLES.length)
  for (const [i, n] of ENCODED_KEY_NEEDLES.entries()) t.true(ENCODED_SEARCH_NEEDLES[i]?.includes(n), n)
})
