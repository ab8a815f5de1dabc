import type {Detection} from '../check.js'
import {isTypedSample} from './values.js'
import {fileKind} from './file-kind.js'

/*
 * Why downgrades live here, after every detector: they depend on where a value sits or what it is known to be, not
 * on how it was found, so one place applies them to every rule alike. Path-based reasons (fixture and docs folders)
 * and documented example values are judged here; reasons that need the text's structure (an OpenAPI document,
 * botocore's examples-1.json, a docstring) are judged by the detectors that read the text (generic.ts,
 * url-credentials.ts). The finding always stays, at info with its reason, so an allowlist is never needed for it.
 */

/**
 * Values published in vendors' documentation. Packages ship them in docstrings, READMEs and tests (boto3, awscli,
 * azure-cli, Slack SDKs), and reporting them as high is the most common complaint about image secret scanners.
 */
const DOCUMENTED_EXAMPLES: ReadonlyMap<string, string> = new Map([
  ['AKIAIOSFODNN7EXAMPLE', 'AWS documentation example access key id'],
  ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS documentation example secret key'],
  ['AKIAI44QH8DHBEXAMPLE', 'AWS documentation example access key id'],
  ['je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY', 'AWS documentation example secret key'],
  [
    'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
    'Azure Storage emulator (Azurite) well-known account key',
  ],
  ['sk_test_4eC39HqLyjWDarjtT1zdp7dc', 'Stripe documentation test key'],
  ['gho_16C7e42F292c6912E7710c838347Ae178B4a', 'GitHub documentation example token'],
  ['xoxb-not-a-real-token-this-will-not-work', 'Slack documentation placeholder token'],
])

/** jwt.io's default token signature (HS256 over the 'your-256-bit-secret' demo key). */
const JWT_IO_SIGNATURE = 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'

function exampleReason(secret: string): string | undefined {
  const direct = DOCUMENTED_EXAMPLES.get(secret)
  if (direct) return direct
  for (const [value, why] of DOCUMENTED_EXAMPLES) {
    if (value.length >= 20 && secret.includes(value)) return why
  }
  if (secret.endsWith(`.${JWT_IO_SIGNATURE}`)) return "jwt.io's example token"
  if (/^(AKIA|ASIA)[A-Z0-9]{4,12}EXAMPLE$/.test(secret) || /EXAMPLEKEY$/.test(secret)) return 'AWS documentation-style example key'
  if (/hooks\.slack\.com\/services\/T0+\/B0+\//.test(secret)) return 'Slack documentation example webhook'
  return undefined
}

/**
 * Folders where packages keep fixtures and docs. Any path segment counts, not only inside site-packages or
 * node_modules: an application's own tests/fixtures folder holds fixtures just the same, and the finding stays
 * visible at info.
 */
const FIXTURE_SEGMENTS = new Set([
  'test', 'tests', 'testdata', 'test-data', 'test_data', 'testing', '__tests__', 'fixtures', 'fixture', '__fixtures__',
  'examples', 'example', 'samples', 'sample', 'docs', 'doc', 'spec', 'specs', 'testcases',
])

function fixtureReason(path: string): string | undefined {
  if (path.startsWith('/usr/share/doc/') || path.startsWith('/usr/share/man/')) return 'distribution documentation'
  const segs = path.split('/')
  const file = segs[segs.length - 1] ?? ''
  for (const seg of segs.slice(0, -1)) {
    if (FIXTURE_SEGMENTS.has(seg.toLowerCase())) return `test fixture or documentation (under ${seg}/)`
  }
  if (/_test\.go$|^test_[^/]*\.py$|_test\.py$|\.(spec|test)\.[cm]?[jt]sx?$|Test\.java$/.test(file)) return 'test source file'
  if (/\.(md|rst|adoc)$/i.test(file)) return 'documentation file'
  return undefined
}

/** Lower what is noise to info and say why; the finding stays so an allowlist is never needed for it. */
export function applyNoise<T extends Detection>(d: T, path: string): T {
  if (d.severity === 'info') return d
  const ex = exampleReason(d.secret)
  if (ex) return {...d, severity: 'info', note: joinNote(d.note, `documented example value: ${ex}`)}
  // A provider's format with a sample typed into it (a UUID-shaped `12345678-ABCD-…`) is documentation, whichever
  // detector matched it.
  if (d.category === 'secret' && isTypedSample(d.secret)) {
    return {...d, severity: 'info', note: joinNote(d.note, 'typed sample value (runs of the alphabet or digits)')}
  }
  const fx = fixtureReason(path)
  if (fx) return {...d, severity: 'info', note: joinNote(d.note, fx)}
  // A CA certificate pasted into a program's source (ansible's dummy macOS cacert) is in no trust store: nothing
  // trusts it until code installs it, and a key next to it is reported by the key rules.
  if (d.id === 'cert.private-ca' && fileKind(path) === 'source') {
    return {...d, severity: 'info', note: joinNote(d.note, 'embedded in program source, not in a trust store')}
  }
  return d
}

function joinNote(a: string | undefined, b: string): string {
  return a ? `${a}; ${b}` : b
}
