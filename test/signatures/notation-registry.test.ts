// Notation signatures end to end: an image and a Notation signature artifact (subject = image) in the real registry,
// found through the sha256-<hex> tag fallback, verified by the library and by `imgvet verify` through the built CLI.
import test from 'ava'
import {existsSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseReference} from '../../src/reference/reference.js'
import {Registries} from '../../src/registry/client.js'
import {checkSupplyChain, type SupplyChainOverrides} from '../../src/signatures/index.js'
import type {ScopeRequirements} from '../../src/policy/types.js'
import {ensureBuilt} from '../support/build.js'
import {run} from '../support/exec.js'
import type {Pushed} from '../support/push.js'
import {startRegistry} from '../support/registry.js'
import {makeTempDir} from '../support/tmp.js'
import {issue, notationJws, rootCa} from './notation-pki.js'
import {Artifacts} from './support.js'

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
const BIN = join(ROOT, 'bin/run.js')
const reg = await startRegistry({mode: 'plain'})
test.after.always(() => reg.stop())
const registries = new Registries({})
test.after.always(() => registries.close())
const a = new Artifacts(reg.url)
const dir = makeTempDir('verify-notation')
const ca = rootCa(dir, '/C=US/ST=WA/O=Acme/CN=Acme Root')
const leaf = issue(dir, ca, '/C=US/ST=WA/O=Acme/CN=Release')
const otherCa = rootCa(dir, '/C=US/ST=WA/O=Mallory/CN=Other Root')
const ID = 'x509.subject: C=US, ST=WA, O=Acme, CN=Release'
const WRONG_ID = 'x509.subject: C=US, ST=WA, O=Acme, CN=Nightly'
const SUBJECT = 'C=US, ST=WA, O=Acme, CN=Release'

let signed: Pushed
let cose: Pushed
// Hooks and tests must all be declared before the first registry round trip, hence the pushes live in a hook.
test.before(async () => {
  signed = await a.push.image('app/notation', 'v1', 'notation-signed')
  await a.notation('app/notation', signed, notationJws(leaf, [leaf, ca], signed.digest))
  cose = await a.push.image('app/notation', 'v2', 'notation-cose')
  await a.notation('app/notation', cose, Buffer.from([0xd2, 0x84]), 'application/cose')
})

const check = (digest: string, overrides: SupplyChainOverrides, requirements?: ScopeRequirements) =>
  checkSupplyChain({reference: parseReference(`${reg.host}/app/notation@${digest}`), registries, platform: {os: 'linux', architecture: 'amd64'}, overrides, requirements})

test('a Notation JWS signature found through the tag fallback verifies and satisfies the signature requirement', async (t) => {
  const r = await check(signed.digest, {notationTrustStore: [ca.certFile], notationIdentities: [ID]})
  t.true(r.summary.verified, r.summary.reasons.join('\n'))
  t.true(r.summary.referrersVia.some((v) => v.endsWith('tag-fallback')))
  t.true(r.summary.requirements.signatures)
  t.deepEqual(r.findings, [])
  const n = r.summary.signatures.find((s) => s.kind === 'notation')
  t.true(n?.verified)
  t.is(n?.signer?.kind, 'x509')
  t.is(n?.signer?.identity, SUBJECT)
  t.true(n?.signer?.trustAnchor?.startsWith(`C=US, ST=WA, O=Acme, CN=Acme Root (${ca.certFile}, sha256:`))
})

test('the policy\'s signatures.notation works the same; a wrong trust store or identity fails with the reason', async (t) => {
  const ok = await check(signed.digest, {}, {signatures: {required: true, notation: {trustStore: [ca.certFile], identities: [ID]}}})
  t.true(ok.summary.verified, ok.summary.reasons.join('\n'))
  const store = await check(signed.digest, {}, {signatures: {required: true, notation: {trustStore: [otherCa.certFile], identities: [ID]}}})
  t.false(store.summary.verified)
  t.is(store.summary.signatures[0]?.failure?.code, 'cert-invalid')
  t.deepEqual(store.findings.map((f) => f.id), ['signature.invalid'])
  const who = await check(signed.digest, {notationTrustStore: [ca.certFile], notationIdentities: [WRONG_ID]})
  t.false(who.summary.verified)
  t.deepEqual(who.findings.map((f) => f.id), ['signature.identity-mismatch'])
  t.true(who.findings[0]?.evidence.includes('CN=Release'))
})

test('a COSE envelope is reported present but unsupported; without Notation trust nothing changes', async (t) => {
  const r = await check(cose.digest, {notationTrustStore: [ca.certFile], notationIdentities: [ID]})
  t.false(r.summary.verified)
  const n = r.summary.signatures.find((s) => s.kind === 'notation')
  t.is(n?.failure?.code, 'unsupported')
  t.regex(n?.failure?.message ?? '', /COSE/)
  t.deepEqual(r.findings.map((f) => f.id).sort(), ['signature.invalid', 'signature.notation-unverified'])
  // No Notation trust configured: present, not verified, as before (and a required signature still has no signer).
  const plain = await check(signed.digest, {}, {signatures: {required: false}})
  t.is(plain.summary.signatures[0]?.failure?.code, 'unsupported')
  t.deepEqual(plain.findings.map((f) => f.id), ['signature.notation-unverified'])
})

test('imgvet verify --notation-trust-store --notation-identity: exit 0 naming the signer, 1 for another identity', async (t) => {
  await ensureBuilt()
  t.true(existsSync(join(ROOT, 'dist/commands/verify.js')))
  const ref = `${reg.host}/app/notation:v1`
  const ok = await run('node', [BIN, 'verify', ref, '--notation-trust-store', ca.certFile, '--notation-identity', ID], {cwd: ROOT, allowFail: true})
  t.is(ok.code, 0, ok.stderr + ok.stdout)
  t.regex(ok.stdout, /^VERIFIED: /)
  t.true(ok.stdout.includes(`notation on manifest ${signed.digest}: verified`))
  t.true(ok.stdout.includes(`signer    ${SUBJECT}`))
  t.true(ok.stdout.includes(`chained   to C=US, ST=WA, O=Acme, CN=Acme Root (${ca.certFile}`))
  const json = await run('node', [BIN, 'verify', ref, '--notation-trust-store', ca.certFile, '--notation-identity', ID, '--format', 'json'], {cwd: ROOT, allowFail: true})
  const j = JSON.parse(json.stdout) as {verified: boolean; signatures: {kind: string; signer?: {identity?: string; trustAnchor?: string}}[]}
  t.true(j.verified)
  t.is(j.signatures[0]?.signer?.identity, SUBJECT)
  t.true(j.signatures[0]?.signer?.trustAnchor?.includes(ca.certFile))
  const bad = await run('node', [BIN, 'verify', ref, '--notation-trust-store', ca.certFile, '--notation-identity', WRONG_ID], {cwd: ROOT, allowFail: true})
  t.is(bad.code, 1, bad.stderr + bad.stdout)
  t.regex(bad.stdout, /NOT verified \(identity-mismatch\)/)
  // Half the trust, or an identity Notation would refuse, is bad input.
  const half = await run('node', [BIN, 'verify', ref, '--notation-trust-store', ca.certFile], {cwd: ROOT, allowFail: true})
  t.is(half.code, 2, half.stderr)
  const noSt = await run('node', [BIN, 'verify', ref, '--notation-trust-store', ca.certFile, '--notation-identity', 'x509.subject: C=US, O=Acme'], {cwd: ROOT, allowFail: true})
  t.is(noSt.code, 2)
  t.regex(noSt.stderr, /lacks ST/)
})

test('a policy file names its Notation trust store relative to itself', async (t) => {
  const policy = join(dir, 'policy.yaml')
  writeFileSync(policy, [
    'version: 1',
    'scopes:',
    `  - match: "${reg.host.split(':')[0]}*/app/**"`,
    '    signatures:',
    '      required: true',
    '      notation:',
    `        trustStore: [${ca.certFile.slice(dir.length + 1)}]`,
    `        identities: ["${ID}"]`,
    '',
  ].join('\n'))
  await ensureBuilt()
  const r = await run('node', [BIN, 'verify', `${reg.host}/app/notation:v1`, '--policy', policy], {cwd: ROOT, allowFail: true})
  t.is(r.code, 0, r.stderr + r.stdout)
  t.true(r.stdout.includes(`signer    ${SUBJECT}`))
})
