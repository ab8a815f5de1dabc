import test from 'ava'
import {generateKeyPairSync} from 'node:crypto'
import {utf16Order} from '../../src/checks/secrets/decode.js'
import {githubToken} from '../support/fake-secrets.js'
import {scanFile} from './secret-fixtures.js'

const found = (path: string, buf: Buffer) => scanFile(path, buf).map((d) => `${d.id}:${d.severity}:${d.line}`)

function utf16(text: string, order: 'le' | 'be', bom: boolean): Buffer {
  const le = Buffer.from(text, 'utf16le')
  const body = order === 'le' ? le : Buffer.from(le).swap16()
  const mark = order === 'le' ? [0xff, 0xfe] : [0xfe, 0xff]
  return bom ? Buffer.concat([Buffer.from(mark), body]) : body
}

test('UTF-16 text files (LE and BE, with and without a BOM) are scanned as text, with their own line numbers', (t) => {
  const token = githubToken()
  const key = generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  const config = `<?xml version="1.0" encoding="utf-16"?>\r\n<configuration>\r\n  <appSettings>\r\n    <add key="GitHubToken" value="${token}" />\r\n  </appSettings>\r\n</configuration>\r\n`
  const pem = `# deploy key\n\n${key}`
  for (const [order, bom] of [['le', true], ['be', true], ['le', false], ['be', false]] as const) {
    const what = `${order}${bom ? '+BOM' : ''}`
    t.deepEqual(found('/app/web.config', utf16(config, order, bom)), ['secret.github-token:high:4'], what)
    t.deepEqual(found('/app/deploy.key', utf16(pem, order, bom)), ['private-key.pkcs8:high:3'], what)
    const d = scanFile('/app/web.config', utf16(config, order, bom))[0]
    t.false(JSON.stringify({...d, secret: undefined}).includes(token), 'evidence stays redacted')
  }
  // Latin text in UTF-16 still has its NULs in place; a .env written by Notepad.
  t.deepEqual(found('/app/.env', utf16(`NAME=Café\r\nGITHUB_TOKEN=${token}\r\n`, 'le', true)).map((s) => s.split(':').at(-1)), ['2'])
})

test('what is not UTF-16: binary tables of 16-bit numbers, UTF-8 text, short buffers', (t) => {
  const table = Buffer.alloc(4096)
  for (let i = 0; i < table.length; i += 2) table.writeUInt16LE(i % 300, i)
  t.is(utf16Order(table), undefined)
  t.is(utf16Order(Buffer.from('plain UTF-8 text, nothing odd about it\n'.repeat(20))), undefined)
  t.is(utf16Order(Buffer.from([0x41, 0])), undefined)
  t.is(utf16Order(utf16('KEY=value\n'.repeat(20), 'le', false)), 'le')
  t.is(utf16Order(utf16('KEY=value\n'.repeat(20), 'be', false)), 'be')
})

test('a key file with junk or NUL bytes before its PEM block is still read; binary without a whole block is not', (t) => {
  const key = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({type: 'pkcs1', format: 'pem'}).toString()
  const junk = Buffer.concat([Buffer.from([0, 0, 0x13, 0x37, 0xff, 0, 10]), Buffer.from('binary\0header\n'), Buffer.from(key), Buffer.from([0, 1, 2])])
  t.deepEqual(found('/etc/ssl/private/server.key', junk), ['private-key.rsa:high:3'])
  // A key appended to a program's bytes, after a NUL-filled header.
  const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(5000), Buffer.from(`\n${key}`)])
  t.deepEqual(found('/usr/local/bin/agent', elf), ['private-key.rsa:high:2'])
  // Format strings and armour labels in a binary are not keys; nor is a PEM inside compressed bytes.
  const strings = Buffer.concat([Buffer.alloc(100), Buffer.from('-----BEGIN RSA PRIVATE KEY-----\0-----END RSA PRIVATE KEY-----\0PuTTY-User-Key-File-2\0')])
  t.deepEqual(found('/usr/bin/tool', strings), [])
  const gz = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(10), Buffer.from(key)])
  t.deepEqual(found('/data/blob', gz), [])
})
