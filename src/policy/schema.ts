import type {ErrorObject, Options, ValidateFunction} from 'ajv'
import picomatch from 'picomatch'
import {SEVERITIES} from '../findings/finding.js'

/**
 * The trust policy schema. Formats carry the checks JSON Schema cannot express (a date that exists, a glob that
 * compiles, a regex that compiles), so every problem comes back from one ajv pass with an instancePath that
 * lines.ts maps to a line of the file.
 */

const severity = {type: 'string', enum: [...SEVERITIES]}
const stringList = (format?: string) => ({type: 'array', items: format ? {type: 'string', format} : {type: 'string', minLength: 1}})

const identity = {
  type: 'object',
  additionalProperties: false,
  required: ['issuer'],
  properties: {
    issuer: {type: 'string', minLength: 1},
    subject: {type: 'string', minLength: 1},
    subjectRegExp: {type: 'string', format: 'regex'},
  },
}

const allowEntry = {
  type: 'object',
  additionalProperties: false,
  required: ['reason', 'expires'],
  properties: {
    path: {type: 'string', format: 'path-glob'},
    id: {type: 'string', format: 'glob'},
    fingerprint: {type: 'string', pattern: '^[a-f0-9]{8,64}$'},
    package: {type: 'string', format: 'glob'},
    reason: {type: 'string', minLength: 1},
    expires: {type: 'string', format: 'date'},
  },
}

/** Keys a scope (and `defaults`) may hold; `match` and `description` are added for scopes. */
const requirements = {
  failOn: severity,
  notChecked: severity,
  signatures: {
    type: 'object',
    additionalProperties: false,
    required: ['required'],
    properties: {
      required: {type: 'boolean'},
      keys: stringList(),
      identities: {type: 'array', items: identity},
      repository: {type: 'string', format: 'repository'},
      notation: {
        type: 'object',
        additionalProperties: false,
        required: ['trustStore', 'identities'],
        properties: {
          trustStore: {...stringList(), minItems: 1},
          // `x509.subject: ...` is parsed in load.ts (semanticIssues), which can say what is wrong with the DN.
          identities: {...stringList(), minItems: 1},
        },
      },
    },
  },
  provenance: {
    type: 'object',
    additionalProperties: false,
    required: ['required'],
    properties: {
      required: {type: 'boolean'},
      builderIds: stringList('pattern'),
      sourceRepositories: stringList('pattern'),
    },
  },
  official: {type: 'object', additionalProperties: false, required: ['required'], properties: {required: {type: 'boolean'}}},
  user: {
    type: 'object',
    additionalProperties: false,
    required: ['nonRoot'],
    properties: {
      nonRoot: {type: 'boolean'},
      allowedUids: {type: 'array', items: {type: 'integer', minimum: 0, maximum: 4294967295}},
    },
  },
  ports: {type: 'object', additionalProperties: false, required: ['allow'], properties: {allow: stringList('port')}},
  labels: {type: 'object', additionalProperties: false, required: ['required'], properties: {required: stringList()}},
  secrets: {type: 'object', additionalProperties: false, required: ['failOn'], properties: {failOn: severity}},
  allow: {type: 'array', items: allowEntry},
  baseImages: {type: 'object', additionalProperties: false, required: ['allow'], properties: {allow: stringList('scope-glob')}},
  maxAgeDays: {type: 'integer', minimum: 1},
  refuseTagOnly: {type: 'boolean'},
}

export const POLICY_SCHEMA = {
  $id: 'https://imgvet.dev/schemas/trust-policy-v1.json',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'scopes'],
  properties: {
    version: {type: 'integer', const: 1},
    name: {type: 'string', minLength: 1},
    description: {type: 'string'},
    defaults: {type: 'object', additionalProperties: false, properties: requirements},
    scopes: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['match'],
        properties: {
          // One glob or a list; a union type keeps ajv's errors to one per problem, where oneOf reports three.
          match: {type: ['string', 'array'], format: 'scope-glob', minItems: 1, items: {type: 'string', format: 'scope-glob'}},
          description: {type: 'string'},
          ...requirements,
        },
      },
    },
  },
} as const

function isValidDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (!m) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const t = new Date(Date.UTC(y, mo - 1, d))
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d
}

function compiles(glob: string): boolean {
  if (!glob || /\s/.test(glob)) return false
  try {
    picomatch.makeRe(glob, {strictBrackets: true})
    return true
  } catch {
    return false
  }
}

function isValidRegex(s: string): boolean {
  try {
    new RegExp(s, 'u')
    return true
  } catch {
    return false
  }
}

/** A scope glob names `registry/repository`: no tag or digest, no scheme, no leading slash. */
function isScopeGlob(s: string): boolean {
  if (!compiles(s) || s.startsWith('/') || s.includes('@') || s.includes('://') || s.includes('//')) return false
  // A colon is only allowed as the registry's port, in the first component.
  const colon = s.indexOf(':')
  const slash = s.indexOf('/')
  return colon < 0 || (slash > colon && /^\d+$|^\*$/.test(s.slice(colon + 1, slash)))
}

/** `8080`, `8080/tcp`, `53/udp`, `8000-8100/tcp`. */
export const PORT_SPEC = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/

function isPortSpec(s: string): boolean {
  const m = PORT_SPEC.exec(s)
  if (!m) return false
  const lo = Number(m[1])
  const hi = m[2] === undefined ? lo : Number(m[2])
  return lo >= 1 && hi <= 65535 && lo <= hi
}

/** Human wording for each custom format, used instead of ajv's `must match format "x"`. */
export const FORMAT_MESSAGES: Record<string, string> = {
  date: 'must be a date written YYYY-MM-DD that exists',
  glob: 'must be a valid glob',
  'path-glob': 'must be a valid glob over absolute paths (starting with / or **)',
  'scope-glob': 'must be a registry/repository glob without tag, digest or scheme (e.g. registry.example.com/team/**)',
  regex: 'must be a valid regular expression',
  pattern: 'must be a glob, or a regular expression written /.../, that compiles',
  port: 'must be PORT[/tcp|udp|sctp] or LOW-HIGH[/proto] within 1-65535',
  repository: 'must be a repository name such as registry.example.com/team/signatures',
}

function isPattern(s: string): boolean {
  if (s.length >= 2 && s.startsWith('/') && s.endsWith('/')) return isValidRegex(s.slice(1, -1))
  return compiles(s)
}

/** What `ajv` is told besides the schema; the build's generated validators (ajv.ts) are made with the same. */
export const AJV_OPTIONS = {allErrors: true, strict: true, allowUnionTypes: true, verbose: true} as const satisfies Options

/** The custom formats by name; the generated validators import this object, so the checks are written once. */
export const POLICY_FORMATS: Record<string, (s: string) => boolean> = {
  date: isValidDate,
  glob: compiles,
  'path-glob': (s) => compiles(s) && (s.startsWith('/') || s.startsWith('**')),
  'scope-glob': isScopeGlob,
  regex: isValidRegex,
  pattern: isPattern,
  port: isPortSpec,
  repository: (s) => /^[a-z0-9.:-]+(\/[a-z0-9._-]+)+$/i.test(s),
}

/** `scan|vet --allow FILE`: a top-level `allow:` list of the same entries a policy scope holds, same checks. */
export const ALLOW_FILE_SCHEMA = {
  $id: 'https://imgvet.dev/schemas/allow-file-v1.json',
  type: 'object', additionalProperties: false, required: ['allow'], properties: {allow: {type: 'array', items: allowEntry}},
} as const

export type {ErrorObject, ValidateFunction}
