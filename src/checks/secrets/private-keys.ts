import {createPrivateKey, type KeyObject} from 'node:crypto'
import {redact} from '../../findings/finding.js'
import {findEncodedKeys, ENCODED_KEY_NEEDLES} from './hidden-keys.js'
import {BASE64_BODY, derKeyShape, opensshShape, pgpSecretShape, ssh2Shape, type KeyShape} from './key-structure.js'
import {hit, type Hit, type LineIndex} from './util.js'

export const KEY_NEEDLES: readonly string[] = ['PRIVATE KEY', 'PuTTY-User-Key-File', ...ENCODED_KEY_NEEDLES]

/** A private key block as found, kept for the certificate pairing in the same file. */
export interface KeyBlock {
  kind: string
  encrypted: boolean
  pem: string
  start: number
  end: number
  key?: KeyObject
  /** The base64 key material, armour and string syntax removed. */
  body: string
  /** The bytes under the armour have the structure the label promises ('bad' blocks are not listed). */
  shape: 'ok' | 'truncated' | 'unverified'
  why?: string
  /** How the block was hidden: base64-encoded PEM, a bare OpenSSH blob, string literals joined. */
  via?: string
}

// `\\n` inside the body: keys pasted into JSON or YAML strings keep their newlines escaped.
const PEM_KEY =
  /-----BEGIN ((?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?)-----((?:[\s\S](?!-----BEGIN))*?)-----END \1-----/g
// SSH.com / Tectia keys use four dashes and spaces inside them.
const SSH2_KEY = /---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----((?:[\s\S](?!---- BEGIN))*?)---- END SSH2 ENCRYPTED PRIVATE KEY ----/g

const KIND: Record<string, string> = {
  'RSA PRIVATE KEY': 'rsa',
  'EC PRIVATE KEY': 'ec',
  'DSA PRIVATE KEY': 'dsa',
  'PRIVATE KEY': 'pkcs8',
  'ENCRYPTED PRIVATE KEY': 'pkcs8',
  'ANY PRIVATE KEY': 'pkcs8',
  'OPENSSH PRIVATE KEY': 'openssh',
  'PGP PRIVATE KEY BLOCK': 'pgp',
  'SSH2 ENCRYPTED PRIVATE KEY': 'ssh2',
}

/**
 * A closing quote, an operator (+ . & || << ..) or a comma, maybe one identifier (vbCrLf, os.EOL), line breaks, and
 * the next literal's opening quote: the seam between two string literals that together spell a PEM block.
 */
const LITERAL_SEAM = new RegExp(
  '["\'`]\\s*(?:(?:\\+|\\.\\.?|&|,|\\|\\||<<)\\s*(?:[A-Za-z_][\\w.]*(?:\\(\\))?\\s*(?:\\+|\\.|&|\\|\\|)\\s*)?(?:_\\s*)?)?' +
    '(?:[bBrRuUfF]{1,2}|@|\\$)?["\'`]',
  'g',
)
const HEADER_LINE = /^[A-Za-z][A-Za-z-]*: /
const INLINE_HEADER = /\b(?:Proc-Type|DEK-Info):\s*\S+/g

/**
 * The key material under an armour, wherever it was pasted: escaped newlines (JSON, env files), string literals
 * joined in code, comment prefixes, lines folded into one (YAML `>`), PEM and PGP armour headers.
 */
function armouredBody(raw: string, pgp: boolean): {headers: string; body: string; joined: boolean} {
  const unescaped = raw.replace(/\\+r/g, '').replace(/\\+n/g, '\n').replace(/\\+t/g, ' ').replace(/\\\r?\n/g, '\n')
  const seamless = unescaped.replace(LITERAL_SEAM, '\n')
  const headers: string[] = []
  const body: string[] = []
  let crc = false
  for (const line of seamless.split('\n')) {
    const l = line.trim().replace(/^(?:\/\/\s|[#*;"'`(,\s])+/, '').replace(/["'`),;\s]+$/, '')
    if (HEADER_LINE.test(l)) headers.push(l)
    else if (pgp && /^=[A-Za-z0-9+/]{4}$/.test(l)) crc = true
    else if (l) body.push(l.replace(INLINE_HEADER, (h) => (headers.push(h), '')).replace(/\s+/g, ''))
  }
  let joined = body.join('')
  // PGP armour ends with a `=XXXX` CRC line; folded onto the body it is still not key material.
  if (pgp && !crc) joined = joined.replace(/(^[A-Za-z0-9+/]+={0,2})=[A-Za-z0-9+/]{4}$/, '$1')
  return {headers: headers.join('\n'), body: joined, joined: seamless !== unescaped}
}

function describeKey(k: KeyObject): string {
  const d = k.asymmetricKeyDetails
  const bits = d?.modulusLength ? ` ${d.modulusLength}-bit` : d?.namedCurve ? ` ${d.namedCurve}` : ''
  return `${k.asymmetricKeyType ?? 'unknown'}${bits}`
}

function shapeOf(kind: string, label: string, legacyEncrypted: boolean, der: Buffer): KeyShape {
  if (kind === 'openssh') return opensshShape(der)
  if (kind === 'pgp') return pgpSecretShape(der)
  if (kind === 'ssh2') return ssh2Shape(der)
  // A Proc-Type key is ciphertext: only its block-cipher length can be checked.
  if (legacyEncrypted) return der.length >= 64 && der.length % 8 === 0 ? {shape: 'ok'} : {shape: 'bad', why: 'ciphertext length'}
  return derKeyShape(der, label.includes('ENCRYPTED') ? [0x30] : KIND[label] ? [0x02] : [0x02, 0x30])
}

/** A block from its label and the text between the armour lines; undefined for placeholders. */
function keyBlock(label: string, inner: string, pem: string, start: number): KeyBlock | undefined {
  const kind = KIND[label] ?? 'pkcs8'
  const {headers, body, joined} = armouredBody(inner, kind === 'pgp')
  // Placeholders (`...`, `***`, `xxx`, a short base64 word) are not keys; an Ed25519 PKCS#8 key is 64 chars.
  if (!BASE64_BODY.test(body) || body.length < 60) return undefined
  const legacy = /Proc-Type:\s*4,\s*ENCRYPTED/i.test(headers)
  const s = shapeOf(kind, label, legacy, Buffer.from(body, 'base64'))
  const encrypted = s.encrypted ?? (label.includes('ENCRYPTED') || legacy)
  const block: KeyBlock = {
    kind, encrypted, pem, start, end: start + pem.length, body,
    shape: s.shape === 'bad' ? 'unverified' : s.shape,
  }
  if (s.why) block.why = s.why
  if (joined) block.via = 'split over string literals'
  if (s.shape === 'ok' && !encrypted && kind !== 'pgp' && kind !== 'ssh2' && kind !== 'openssh') {
    try {
      const std = `-----BEGIN ${label}-----\n${body.replace(/(.{64})/g, '$1\n')}\n-----END ${label}-----\n`
      block.key = createPrivateKey(std)
    } catch {
      // Synthetic key material is still reported: the bytes are what matter.
    }
  }
  return block
}

/** Armoured blocks only (PEM, PGP, SSH.com); `findKeyBlocks` adds the encoded forms. */
function findArmouredBlocks(text: string): KeyBlock[] {
  const blocks: KeyBlock[] = []
  if (text.includes('PRIVATE KEY')) {
    for (const m of text.matchAll(PEM_KEY)) {
      const b = keyBlock(m[1] ?? '', m[2] ?? '', m[0], m.index)
      if (b) blocks.push(b)
    }
  }
  if (text.includes('---- BEGIN SSH2')) {
    for (const m of text.matchAll(SSH2_KEY)) {
      const b = keyBlock('SSH2 ENCRYPTED PRIVATE KEY', m[1] ?? '', m[0], m.index)
      if (b) blocks.push(b)
    }
  }
  return blocks
}

export function findKeyBlocks(text: string): KeyBlock[] {
  const blocks = findArmouredBlocks(text)
  return [...blocks, ...findEncodedKeys(text, blocks, findArmouredBlocks)].sort((a, b) => a.start - b.start)
}

const PUTTY_HEAD = /PuTTY-User-Key-File-(\d): *([^\r\n]+)\r?\nEncryption: *([^\r\n]+)/y
const PUTTY_PRIVATE = /Private-Lines: *(\d+)\r?\n/y
const PUTTY_MAC = /Private-(?:MAC|Hash): *[0-9a-f]{40,}/y
/** A PuTTY file is a few KiB; its private lines follow the header within this. */
const PUTTY_SPAN = 16 * 1024

/**
 * PuTTY .ppk files (v1-v3), also pasted into JSON or env values with escaped newlines. The Private-Lines count
 * says how many base64 lines follow; a file without them, or without its MAC line, is not a whole key.
 */
function detectPutty(text: string, lines: LineIndex): Hit[] {
  const out: Hit[] = []
  const HEAD = 'PuTTY-User-Key-File-'
  for (let at = text.indexOf(HEAD); at !== -1 && out.length < 32; at = text.indexOf(HEAD, at + 1)) {
    const raw = text.slice(at, at + PUTTY_SPAN)
    const s = raw.includes('\\n') ? raw.replace(/\\+r/g, '').replace(/\\+n/g, '\n') : raw
    PUTTY_HEAD.lastIndex = 0
    const m = PUTTY_HEAD.exec(s)
    if (!m) continue
    const pl = s.indexOf('Private-Lines:', m[0].length)
    if (pl === -1) continue
    PUTTY_PRIVATE.lastIndex = pl
    const n = PUTTY_PRIVATE.exec(s)
    const count = Number(n?.[1] ?? 0)
    if (!n || count < 1 || count > 200) continue
    let p = PUTTY_PRIVATE.lastIndex
    const priv: string[] = []
    for (let i = 0; i < count; i++) {
      const eol = s.indexOf('\n', p)
      const l = s.slice(p, eol === -1 ? s.length : eol).trim().replace(/["',]+$/, '')
      if (!BASE64_BODY.test(l)) break
      priv.push(l)
      p = eol === -1 ? s.length : eol + 1
    }
    if (priv.length < count || priv.join('').length < 16) continue
    PUTTY_MAC.lastIndex = p
    const whole = PUTTY_MAC.test(s)
    const cipher = (m[3] ?? '').trim().replace(/["',]+$/, '')
    const encrypted = cipher !== 'none'
    const secret = priv.join('')
    const high = whole && !encrypted
    out.push(hit(lines, {
      id: `private-key.putty${encrypted ? '-encrypted' : ''}`, severity: high ? 'high' : 'medium',
      category: 'private-key', title: encrypted ? 'Passphrase-protected PuTTY private key' : 'PuTTY private key',
      secret, start: at, end: at + Math.min(p, raw.length), priority: 3,
      evidence: `PuTTY v${m[1]} ${(m[2] ?? '').trim()} key${encrypted ? ` (${cipher})` : ''}, ${redact(secret)}`,
      note: !whole ? 'no Private-MAC line: the key file is incomplete' : undefined,
    }))
    at += Math.max(0, p - 1)
  }
  return out
}

function keyNote(b: KeyBlock): string | undefined {
  const notes: string[] = []
  if (b.via) notes.push(b.via)
  if (b.shape !== 'ok') notes.push(b.shape === 'truncated' ? (b.why ?? 'truncated') : `not verified: ${b.why ?? 'unknown structure'}`)
  if (b.encrypted) notes.push('encrypted: usable only with its passphrase, which may be weak or nearby')
  return notes.length ? notes.join('; ') : undefined
}

export function detectPrivateKeys(text: string, lines: LineIndex, blocks: KeyBlock[]): Hit[] {
  const out: Hit[] = []
  for (const b of blocks) {
    const id = `private-key.${b.kind}${b.encrypted ? '-encrypted' : ''}`
    const desc = b.key ? describeKey(b.key) : b.kind
    // Only bytes that have the structure of a key are high; a random body under a real header is worth a look.
    const high = !b.encrypted && b.shape === 'ok'
    out.push(hit(lines, {
      id, severity: high ? 'high' : 'medium', category: 'private-key',
      title: b.encrypted ? 'Passphrase-protected private key' : 'Private key',
      secret: b.pem, start: b.start, end: b.end, priority: 3,
      evidence: `${desc} private key${b.encrypted ? ' (encrypted)' : ''}, ${redact(b.body)}`,
      note: keyNote(b),
    }))
  }
  if (text.includes('PuTTY-User-Key-File-')) out.push(...detectPutty(text, lines))
  return out
}
