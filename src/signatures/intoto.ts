import {fail} from './failure.js'
import {dig, isObject} from '../json.js'

export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'
const STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1'])
export const SLSA_V02 = 'https://slsa.dev/provenance/v0.2'
export const SLSA_V1 = 'https://slsa.dev/provenance/v1'
const BUILDKIT_METADATA = 'https://mobyproject.org/buildkit@v1#metadata'

export interface DsseEnvelope {
  payloadType: string
  payload: Buffer
  signatures: {keyid: string; sig: Buffer}[]
}

export interface Subject {
  name: string
  digest: Record<string, string>
}

export interface Statement {
  type: string
  subjects: Subject[]
  predicateType: string
  predicate: unknown
}

export interface Material {
  uri: string
  digest: Record<string, string>
}

/** What a reader of a provenance attestation wants to know, independent of the SLSA version it came in. */
export interface ProvenanceSummary {
  slsaVersion: '0.2' | '1'
  builderId?: string
  buildType?: string
  sourceRepo?: string
  sourceCommit?: string
  /** v0.2 `materials`, v1 `resolvedDependencies`. */
  materials: Material[]
}

const B64 = /^[A-Za-z0-9+/_-]*={0,2}$/

function decodeB64(s: unknown, what: string): Buffer {
  if (typeof s !== 'string' || !B64.test(s)) fail('bad-payload', `${what} is not base64`)
  return Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64')
}

/** The JSON form of a DSSE envelope, as stored in `.att` layers and BuildKit attestation blobs. */
export function parseDsseEnvelope(json: unknown): DsseEnvelope {
  if (!isObject(json)) fail('bad-payload', 'DSSE envelope is not a JSON object')
  if (typeof json.payloadType !== 'string') fail('bad-payload', 'DSSE envelope has no payloadType')
  const payload = decodeB64(json.payload, 'DSSE payload')
  if (!Array.isArray(json.signatures)) fail('bad-payload', 'DSSE envelope has no signatures array')
  const signatures = json.signatures.map((s: unknown, i: number) => {
    if (!isObject(s)) fail('bad-payload', `DSSE signature ${i} is not an object`)
    return {keyid: typeof s.keyid === 'string' ? s.keyid : '', sig: decodeB64(s.sig, `DSSE signature ${i}`)}
  })
  return {payloadType: json.payloadType, payload, signatures}
}

/** Parse an in-toto statement from DSSE payload bytes; the payload type must say it is one. */
export function parseStatement(payloadType: string, payload: Buffer): Statement {
  if (payloadType !== INTOTO_PAYLOAD_TYPE) {
    fail('payload-type', `DSSE payload type is ${JSON.stringify(payloadType)}, expected ${INTOTO_PAYLOAD_TYPE}`)
  }
  let json: unknown
  try {
    json = JSON.parse(payload.toString('utf8'))
  } catch {
    fail('bad-payload', 'in-toto statement is not JSON')
  }
  if (!isObject(json)) fail('bad-payload', 'in-toto statement is not a JSON object')
  const type = json._type
  if (typeof type !== 'string' || !STATEMENT_TYPES.has(type)) fail('bad-payload', `unknown in-toto statement type ${JSON.stringify(type)}`)
  if (!Array.isArray(json.subject) || json.subject.length === 0) fail('bad-payload', 'in-toto statement has no subjects')
  const subjects = json.subject.map((s: unknown, i: number): Subject => {
    if (!isObject(s) || !isObject(s.digest)) fail('bad-payload', `in-toto subject ${i} has no digest`)
    const digest: Record<string, string> = {}
    for (const [alg, v] of Object.entries(s.digest)) if (typeof v === 'string') digest[alg] = v.toLowerCase()
    return {name: typeof s.name === 'string' ? s.name : '', digest}
  })
  if (typeof json.predicateType !== 'string') fail('bad-payload', 'in-toto statement has no predicateType')
  return {type, subjects, predicateType: json.predicateType, predicate: json.predicate}
}

/**
 * Binding: the statement must be about the image (or artifact) we were asked about. The DSSE signature only
 * proves who said it; without this check a valid attestation for any other image would be accepted.
 */
export function checkSubject(statement: Statement, sha256: Buffer): Subject {
  const want = sha256.toString('hex')
  const hit = statement.subjects.find((s) => s.digest.sha256 === want)
  if (!hit) {
    const found = statement.subjects.map((s) => (s.digest.sha256 ? `sha256:${s.digest.sha256}` : s.name || '?')).join(', ')
    fail('subject-mismatch', `in-toto statement subjects [${found}] do not include sha256:${want}`)
  }
  return hit
}


const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

function materials(v: unknown): Material[] {
  if (!Array.isArray(v)) return []
  const out: Material[] = []
  for (const m of v) {
    const uri = str(dig(m, ['uri']))
    if (!uri) continue
    const digest: Record<string, string> = {}
    const d = dig(m, ['digest'])
    if (isObject(d)) for (const [k, val] of Object.entries(d)) if (typeof val === 'string') digest[k] = val
    out.push({uri, digest})
  }
  return out
}

/** `git+https://github.com/o/r@refs/heads/main` -> `https://github.com/o/r` */
function repoFromUri(uri: string): string {
  return uri.replace(/^git\+/, '').replace(/@[^@/]*(\/[^@]*)?$/, '').replace(/\.git$/, '')
}

function gitMaterial(ms: Material[]): Material | undefined {
  return ms.find((m) => m.uri.startsWith('git+') && (m.digest.sha1 ?? m.digest.gitCommit) !== undefined)
}

/** SLSA provenance v0.2 or v1 into one summary; undefined for any other predicate type. */
export function summarizeProvenance(statement: Statement): ProvenanceSummary | undefined {
  const p = statement.predicate
  if (statement.predicateType === SLSA_V02) {
    const mats = materials(dig(p, ['materials']))
    const config = dig(p, ['invocation', 'configSource'])
    const vcs = dig(p, ['metadata', BUILDKIT_METADATA, 'vcs'])
    const git = gitMaterial(mats)
    const configUri = str(dig(config, ['uri']))
    return {
      slsaVersion: '0.2',
      builderId: str(dig(p, ['builder', 'id'])),
      buildType: str(dig(p, ['buildType'])),
      sourceRepo: (configUri && repoFromUri(configUri)) ?? str(dig(vcs, ['source'])) ?? (git && repoFromUri(git.uri)),
      sourceCommit: str(dig(config, ['digest', 'sha1'])) ?? str(dig(vcs, ['revision'])) ?? git?.digest.sha1 ?? git?.digest.gitCommit,
      materials: mats,
    }
  }
  if (statement.predicateType === SLSA_V1) {
    const def = dig(p, ['buildDefinition'])
    const deps = materials(dig(def, ['resolvedDependencies']))
    const workflow = dig(def, ['externalParameters', 'workflow'])
    const vcs = dig(p, ['runDetails', 'metadata', BUILDKIT_METADATA, 'vcs']) ?? dig(def, ['internalParameters', 'vcs'])
    const git = gitMaterial(deps)
    return {
      slsaVersion: '1',
      builderId: str(dig(p, ['runDetails', 'builder', 'id'])),
      buildType: str(dig(def, ['buildType'])),
      sourceRepo: str(dig(workflow, ['repository'])) ?? (git && repoFromUri(git.uri)) ?? str(dig(vcs, ['source'])),
      sourceCommit: git?.digest.gitCommit ?? git?.digest.sha1 ?? str(dig(vcs, ['revision'])),
      materials: deps,
    }
  }
  return undefined
}
