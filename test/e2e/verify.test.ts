import test from 'ava'
import {existsSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {run} from '../support/exec.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import type {Pushed} from '../support/push.js'
import {makeTempDir} from '../support/tmp.js'
import * as h from '../signatures/private-sigstore.js'
import {ensureBuilt} from '../support/build.js'
import {pushSignedImages} from './signed-images.js'

/** Command tests go through the compiled CLI, the way users run it. */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
const BIN = join(ROOT, 'bin/run.js')
let built = false

const dir = makeTempDir('verify-cli')
const root = join(dir, 'trusted_root.json')
const keyFile = join(dir, 'cosign.pub')
let reg: RunningRegistry
let signedImg: Pushed
let bareImg: Pushed
test.after.always(() => reg?.stop())

test.before(async () => {
  reg = await startRegistry({mode: 'plain'})
  ;({signed: signedImg, bare: bareImg} = await pushSignedImages(reg.url, root, keyFile, 'cli'))
  await ensureBuilt()
  built = existsSync(join(ROOT, 'dist/commands/verify.js'))
})

const imgvet = (...args: string[]) => run('node', [BIN, 'verify', ...args], {cwd: ROOT, allowFail: true})
const keyless = ['--trusted-root', root, '--certificate-identity', h.WORKFLOW, '--certificate-oidc-issuer', h.GH_ISSUER]

test('keyless: exit 0, names the signature, identity, issuer and log entry', async (t) => {
  t.true(built, 'npm run build did not produce dist/commands/verify.js')
  const r = await imgvet(`${reg.host}/app/signed:v1`, ...keyless)
  t.is(r.code, 0, r.stderr + r.stdout)
  t.regex(r.stdout, /^VERIFIED: /)
  t.true(r.stdout.includes(`cosign-legacy on manifest ${signedImg.digest}: verified`))
  t.true(r.stdout.includes(`${h.WORKFLOW} (issuer ${h.GH_ISSUER})`))
  t.regex(r.stdout, /log entry logIndex \d+, integratedTime \d{4}-\d\d-\d\dT[\d:.]+Z, logID [0-9a-f]{64}/)
  t.regex(r.stdout, /cosign-attestation SLSA v1 .* signed/)
})

test('--format json carries the same facts', async (t) => {
  const r = await imgvet(`docker://${reg.host}/app/signed@${signedImg.digest}`, ...keyless, '--format', 'json')
  t.is(r.code, 0, r.stderr)
  const j = JSON.parse(r.stdout) as {verified: boolean; signatures: {kind: string; verified: boolean; signer: {identity: string}; tlog: {logID: string}[]}[]; findings: unknown[]}
  t.true(j.verified)
  const legacy = j.signatures.find((x) => x.kind === 'cosign-legacy')
  t.is(legacy?.signer.identity, h.WORKFLOW)
  t.regex(legacy?.tlog[0]?.logID ?? '', /^[0-9a-f]{64}$/)
  t.deepEqual(j.findings, [])
})

test('--key: exit 0 and names the key', async (t) => {
  const r = await imgvet(`${reg.host}/app/keyed:v1`, '--trusted-root', root, '--key', keyFile)
  t.is(r.code, 0, r.stderr + r.stdout)
  t.true(r.stdout.includes(keyFile))
})

test('no signature at all: exit 1 with a precise reason', async (t) => {
  const r = await imgvet(`${reg.host}/app/bare:v1`, ...keyless)
  t.is(r.code, 1, r.stderr)
  t.regex(r.stdout, /^NOT VERIFIED: /)
  t.true(r.stdout.includes(`reason   no signature found (looked at ${reg.host}/app/bare:${bareImg.digest.replace(':', '-')}.sig`))
  t.regex(r.stdout, /\[critical\] signature\.missing/)
})

test('wrong identity: exit 1 naming the identity found', async (t) => {
  const r = await imgvet(`${reg.host}/app/signed:v1`, '--trusted-root', root, '--certificate-identity-regexp', 'https://github\\.com/org/other/.*', '--certificate-oidc-issuer', h.GH_ISSUER)
  t.is(r.code, 1, r.stderr)
  t.regex(r.stdout, /signature\.identity-mismatch/)
  t.true(r.stdout.includes(`certificate identity "${h.WORKFLOW}" does not match`))
})

test('offline by default: a private-CA signature does not verify against the embedded public-good root', async (t) => {
  const r = await imgvet(`${reg.host}/app/signed:v1`, '--certificate-identity', h.WORKFLOW, '--certificate-oidc-issuer', h.GH_ISSUER)
  t.is(r.code, 1, r.stderr)
  t.true(r.stdout.includes('public-good (embedded)'))
})

test('bad input is exit 2: nothing to verify against, bad regexp, identity without issuer, a directory that is no layout', async (t) => {
  t.is((await imgvet(`${reg.host}/app/signed:v1`)).code, 2)
  t.is((await imgvet(`${reg.host}/app/signed:v1`, '--trusted-root', root, '--certificate-identity-regexp', '(', '--certificate-oidc-issuer', h.GH_ISSUER)).code, 2)
  t.is((await imgvet(`${reg.host}/app/signed:v1`, '--trusted-root', root, '--certificate-identity', h.WORKFLOW)).code, 2)
  // A directory that is no OCI layout: local sources are read for signatures, so the layout itself is the error.
  const r = await imgvet(`oci:${dir}`, '--key', keyFile)
  t.is(r.code, 2)
  t.regex(r.stderr, /not an OCI image layout/)
})

test('a reference naming no image is exit 2 (a typo, not worth a retry)', async (t) => {
  const r = await imgvet(`${reg.host}/app/missing:v1`, ...keyless)
  t.is(r.code, 2, r.stdout)
  t.regex(r.stderr, /no-such-image: no such (repository|tag)/)
})

test('--policy: requirements from the matching scope; no matching scope is exit 1', async (t) => {
  const policy = join(dir, 'policy.yaml')
  writeFileSync(policy, [
    'version: 1',
    'scopes:',
    `  - match: "${reg.host.split(':')[0]}*/app/**"`,
    '    signatures:',
    '      required: true',
    '      identities:',
    `        - issuer: ${h.GH_ISSUER}`,
    `          subject: ${h.WORKFLOW}`,
    '    provenance:',
    '      required: true',
    '      builderIds: ["https://github.com/actions/**"]',
    '',
  ].join('\n'))
  const ok = await imgvet(`${reg.host}/app/signed:v1`, '--policy', policy, '--trusted-root', root)
  t.is(ok.code, 0, ok.stderr + ok.stdout)
  const keyedFails = await imgvet(`${reg.host}/app/keyed:v1`, '--policy', policy, '--trusted-root', root)
  t.is(keyedFails.code, 1, keyedFails.stderr)
  t.regex(keyedFails.stdout, /provenance\.missing/)
  // Flags override the policy's signers: the keyed image passes its signature check with --key.
  const flagged = await imgvet(`${reg.host}/app/keyed:v1`, '--policy', policy, '--trusted-root', root, '--key', keyFile)
  t.notRegex(flagged.stdout, /signature\.(missing|invalid|identity-mismatch)/)
  const other = join(dir, 'other.yaml')
  writeFileSync(other, 'version: 1\nscopes:\n  - match: registry.example.com/**\n')
  const none = await imgvet(`${reg.host}/app/signed:v1`, '--policy', other)
  t.is(none.code, 1)
  t.regex(none.stdout, /no scope of policy "other" matches/)
  const noneJson = await imgvet(`${reg.host}/app/signed:v1`, '--policy', other, '--format', 'json')
  t.is(noneJson.code, 1)
  t.deepEqual(JSON.parse(noneJson.stdout), {verified: false, reasons: [`no scope of policy "other" matches ${reg.host}/app/signed`]})
})
