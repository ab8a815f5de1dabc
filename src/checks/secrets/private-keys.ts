import {createPrivateKey, type KeyObject} from 'node:crypto'
import {redact} from '../../findings/finding.js'
import {hit, type Hit, type LineIndex} from './util.js'

export const KEY_NEEDLES: readonly string[] = ['PRIVATE KEY', 'PuTTY-User-Key-File']

/** A private key block as found, kept for the certificate pairing in the same file. */
export interface KeyBlock {
  kind: string
  encrypted: boolean
  pem: string
  start: number
  end: number
  key?: KeyObject
}

// `\\n` inside the body: keys pasted into JSON or YAML strings keep their newlines escaped.
const PEM_KEY =
  /-----BEGIN ((?:RSA |EC |DSA |ENCRYPTED |OPENSSH |PGP |SSH2 ENCRYPTED |)PRIVATE KEY(?: BLOCK)?)-----((?:[\s\S](?!-----BEGIN))*?)-----END \1-----/g

const KIND: Record<string, string> = {
  'RSA PRIVATE KEY': 'rsa',
  'EC PRIVATE KEY': 'ec',
  'DSA PRIVATE KEY': 'dsa',
  'PRIVATE KEY': 'pkcs8',
  'ENCRYPTED PRIVATE KEY': 'pkcs8',
  'OPENSSH PRIVATE KEY': 'openssh',
  'PGP PRIVATE KEY BLOCK': 'pgp',
  'SSH2 ENCRYPTED PRIVATE KEY': 'ssh2',
}

function base64Body(raw: string): {headers: string; body: string} {
  const unescaped = raw.replace(/\\r/g, '').replace(/\\n/g, '\n')
  const lines = unescaped.split('\n').map((l) => l.trim().replace(/^["',]+|["',]+$/g, ''))
  const headers = lines.filter((l) => /^[A-Za-z-]+: /.test(l)).join('\n')
  // PGP armour ends with a `=XXXX` CRC line; it is not part of the key material.
  const body = lines.filter((l) => l && !/^[A-Za-z-]+: /.test(l) && !/^=[A-Za-z0-9+/]{4}$/.test(l)).join('')
  return {headers, body}
}

/** OpenSSH's own container: "openssh-key-v1\0", then the cipher name; anything but "none" is passphrase-protected. */
function opensshCipher(body: string): string | undefined {
  const buf = Buffer.from(body, 'base64')
  const magic = 'openssh-key-v1\0'
  if (buf.length < magic.length + 4 || buf.toString('latin1', 0, magic.length) !== magic) return undefined
  const len = buf.readUInt32BE(magic.length)
  if (len > 64 || magic.length + 4 + len > buf.length) return undefined
  return buf.toString('latin1', magic.length + 4, magic.length + 4 + len)
}

function describeKey(k: KeyObject): string {
  const d = k.asymmetricKeyDetails
  const bits = d?.modulusLength ? ` ${d.modulusLength}-bit` : d?.namedCurve ? ` ${d.namedCurve}` : ''
  return `${k.asymmetricKeyType ?? 'unknown'}${bits}`
}

export function findKeyBlocks(text: string): KeyBlock[] {
  const blocks: KeyBlock[] = []
  PEM_KEY.lastIndex = 0
  for (const m of text.matchAll(PEM_KEY)) {
    const label = m[1] ?? ''
    const kind = KIND[label] ?? 'pkcs8'
    const {headers, body} = base64Body(m[2] ?? '')
    // Placeholders (`...`, `***`, `xxx`, a short base64 word) are not keys; an Ed25519 PKCS#8 key is 64 chars.
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length < 60) continue
    let encrypted = label.includes('ENCRYPTED') || /Proc-Type:\s*4,\s*ENCRYPTED/i.test(headers)
    if (kind === 'openssh') {
      const cipher = opensshCipher(body)
      if (cipher === undefined) continue
      encrypted = cipher !== 'none'
    }
    const block: KeyBlock = {kind, encrypted, pem: m[0], start: m.index, end: m.index + m[0].length}
    if (!encrypted && kind !== 'pgp' && kind !== 'ssh2') {
      try {
        const pem = `-----BEGIN ${label}-----\n${body.replace(/(.{64})/g, '$1\n')}\n-----END ${label}-----\n`
        block.key = createPrivateKey(pem)
      } catch {
        // Truncated or synthetic key material is still reported: the bytes are what matter.
      }
    }
    blocks.push(block)
  }
  return blocks
}

const PUTTY = /PuTTY-User-Key-File-(\d): *([^\r\n]+)\r?\nEncryption: *([^\r\n]+)[\s\S]*?Private-Lines: *(\d+)\r?\n((?:[A-Za-z0-9+/=]+\r?\n?)+)/g

export function detectPrivateKeys(text: string, lines: LineIndex, blocks: KeyBlock[]): Hit[] {
  const out: Hit[] = []
  for (const b of blocks) {
    const id = `private-key.${b.kind}${b.encrypted ? '-encrypted' : ''}`
    const desc = b.key ? describeKey(b.key) : b.kind
    out.push(hit(lines, {
      id, severity: b.encrypted ? 'medium' : 'high', category: 'private-key',
      title: b.encrypted ? 'Passphrase-protected private key' : 'Private key',
      secret: b.pem, start: b.start, end: b.end, priority: 3,
      evidence: `${desc} private key${b.encrypted ? ' (encrypted)' : ''}, ${redact(base64Body(b.pem).body)}`,
      note: b.encrypted ? 'encrypted: usable only with its passphrase, which may be weak or nearby' : undefined,
    }))
  }
  if (text.includes('PuTTY-User-Key-File')) {
    PUTTY.lastIndex = 0
    for (const m of text.matchAll(PUTTY)) {
      const encrypted = (m[3] ?? '').trim() !== 'none'
      const priv = (m[5] ?? '').replace(/\s/g, '')
      out.push(hit(lines, {
        id: `private-key.putty${encrypted ? '-encrypted' : ''}`, severity: encrypted ? 'medium' : 'high',
        category: 'private-key', title: encrypted ? 'Passphrase-protected PuTTY private key' : 'PuTTY private key',
        secret: priv, start: m.index, end: m.index + m[0].length, priority: 3,
        evidence: `PuTTY v${m[1]} ${(m[2] ?? '').trim()} key${encrypted ? ` (${(m[3] ?? '').trim()})` : ''}, ${redact(priv)}`,
      }))
    }
  }
  return out
}
