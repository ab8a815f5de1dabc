import {createHash, createPublicKey, type KeyObject, type X509Certificate} from 'node:crypto'
import {newFinding, type Finding, type LayerRef} from '../../findings/finding.js'
import type {Detection} from '../check.js'
import {certExpires, describeCert, type CertInfo} from './certificates.js'
import {applyNoise} from './noise.js'

/**
 * A public key seen while a layer is scanned: an unencrypted private key's, or a leaf certificate's. Only the hash
 * of the SubjectPublicKeyInfo DER, where it sits and (for a certificate) its public description are kept, never key
 * material, so sightings can be cached with the layer and matched across files and layers afterwards.
 */
export interface KeySighting {
  role: 'key' | 'cert'
  /** sha256 (hex) of the SPKI DER: the same for a private key and every certificate issued for it. */
  spki: string
  path: string
  line?: number
  cert?: {
    subject: string
    issuer: string
    notAfter: string
    selfSigned: boolean
    fingerprint256: string
    /** The file itself already holds a key, so it is reported as cert.leaf-with-key by the text rules. */
    pairedInFile: boolean
  }
}

/** What a check hands to the walk; the walk adds the path of the entry it was looking at. */
export type SightingSink = (s: Omit<KeySighting, 'path'>) => void

/** A sighting after the merge: which layer holds it and which later layer deleted or replaced the file. */
export type PlacedSighting = KeySighting & {layer: LayerRef; removedIn: LayerRef | null}

function spkiHash(k: KeyObject): string | undefined {
  try {
    const pub = k.type === 'private' ? createPublicKey(k) : k
    return createHash('sha256').update(pub.export({type: 'spki', format: 'der'})).digest('hex')
  } catch {
    // A key type node cannot express as SPKI cannot be matched; it is still reported as a private key.
    return undefined
  }
}

export function keySighting(key: KeyObject, line: number): Omit<KeySighting, 'path'> | undefined {
  const spki = spkiHash(key)
  return spki ? {role: 'key', spki, line} : undefined
}

export function certSighting(cert: X509Certificate, info: CertInfo, line: number | undefined, pairedInFile: boolean): Omit<KeySighting, 'path'> | undefined {
  if (info.ca) return undefined
  const spki = spkiHash(cert.publicKey)
  if (!spki) return undefined
  const s: Omit<KeySighting, 'path'> = {
    role: 'cert', spki,
    cert: {subject: info.subject, issuer: info.issuer, notAfter: info.notAfter.toISOString(), selfSigned: info.selfSigned, fingerprint256: info.fingerprint256, pairedInFile},
  }
  if (line !== undefined) s.line = line
  return s
}

/** Where the key is, deletion included: a key a later layer removed is still in the blob that added it. */
function keyPlace(k: PlacedSighting): string {
  const removed = k.removedIn ? `, deleted in layer ${k.removedIn.index} but still extractable` : ''
  return `${k.path} (layer ${k.layer.index}${removed})`
}

/** Prefer a key still in the final filesystem, then the lowest layer, then the path: the same choice every run. */
function byPreference(a: PlacedSighting, b: PlacedSighting): number {
  return Number(a.removedIn !== null) - Number(b.removedIn !== null) || a.layer.index - b.layer.index || a.path.localeCompare(b.path)
}

/**
 * Certificates whose private key sits in another file of the image, in any layer. A certificate alone is public;
 * with its key anyone who pulls the image can impersonate the service it names. One finding per certificate file,
 * naming one key (the others are counted), so a key copied around does not multiply the findings.
 */
export function keyPairFindings(sightings: readonly PlacedSighting[]): Finding[] {
  const keys = new Map<string, PlacedSighting[]>()
  for (const s of sightings) {
    if (s.role !== 'key') continue
    const list = keys.get(s.spki)
    if (list) list.push(s)
    else keys.set(s.spki, [s])
  }
  if (keys.size === 0) return []
  const out: Finding[] = []
  for (const c of sightings) {
    if (c.role !== 'cert' || !c.cert || c.cert.pairedInFile) continue
    const matching = keys.get(c.spki)?.filter((k) => k.path !== c.path || k.layer.index !== c.layer.index)
    if (!matching || matching.length === 0) continue
    const [key, ...others] = [...matching].sort(byPreference)
    if (!key) continue
    const info: CertInfo = {...c.cert, notAfter: new Date(c.cert.notAfter), ca: false}
    const more = others.length > 0 ? `; ${others.length} other cop${others.length === 1 ? 'y' : 'ies'} of the key in the image` : ''
    const pair: Detection = {
      id: 'cert.leaf-with-key', severity: 'high', category: 'certificate', rule: 'no-credentials',
      title: 'Certificate shipped with its private key', secret: c.cert.fingerprint256,
      evidence: `${describeCert(info)}; its private key is at ${keyPlace(key)}${more}`,
    }
    // The same downgrade as the rule in one file: a pair under a test or docs folder stays visible at info.
    const detection = applyNoise(pair, c.path)
    out.push(newFinding({
      id: detection.id, severity: detection.severity, category: detection.category, title: detection.title, rule: detection.rule,
      path: c.path, layer: c.layer, removedIn: c.removedIn, line: c.line, evidence: detection.evidence ?? '', note: detection.note,
      expires: certExpires(info), subject: `${c.cert.fingerprint256}\0${key.path}`,
    }))
  }
  return out
}
