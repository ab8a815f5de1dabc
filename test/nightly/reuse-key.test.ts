// What the nightly reuse key is made of. The policy hash holds the policy's meaning and nothing about where it was
// read from; the supply-chain stage's fingerprint holds the signer set by the contents of its files; and referrers
// listed by the OCI referrers API (which no tag list shows) make a recorded verdict stale.
import test from 'ava'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {policyHash} from '../../src/nightly/evaluate.js'
import {parsePolicy} from '../../src/policy/load.js'
import {Registries} from '../../src/registry/client.js'
import {registrySupplyChainStage} from '../../src/signatures/stage.js'
import type {SupplyChainOverrides} from '../../src/signatures/supply-chain.js'
import {artifactManifest, blob, buildValidImage, startHostileRegistry} from '../support/hostile-registry.js'
import type {TestArtifact, TestImage} from '../support/hostile-registry.js'
import {makeTempDir} from '../support/tmp.js'
import * as h from '../signatures/private-sigstore.js'
import {BUNDLE_TYPE, statementFor} from '../signatures/support.js'
import {scanRegistry} from './helpers.js'

const dir = makeTempDir('reuse-key')
const keyA = h.publicPem(h.keySigner())
const keyB = h.publicPem(h.keySigner())
const registries = new Registries({})
test.after.always(() => registries.close())

const POLICY = ['version: 1', 'name: gate', 'scopes:', '  - match: "registry.test/**"', '    failOn: high',
  '    signatures:', '      required: true', '      keys: [cosign.pub]', '    allow:',
  '      - {path: /usr/share/doc/**, reason: vendor docs, expires: 2999-01-01}', '']

/** A policy file in its own directory, with the key file `keys: [cosign.pub]` names next to it. */
function policyAt(sub: string, lines: readonly string[], key = keyA) {
  const d = join(dir, sub)
  mkdirSync(d, {recursive: true})
  writeFileSync(join(d, 'cosign.pub'), key)
  const file = join(d, 'policy.yaml')
  writeFileSync(file, lines.join('\n'))
  return parsePolicy(lines.join('\n'), file)
}

const fingerprint = (policy: ReturnType<typeof policyAt>, o: SupplyChainOverrides = {}, trustedRoot?: string) =>
  registrySupplyChainStage(registries, {os: 'linux', architecture: 'amd64'}, {...o, trustedRoot}).fingerprint(policy)

test('policy hash: moving the file, comments, key order and the name do not count; a requirement does', async (t) => {
  const base = policyAt('base', POLICY)
  const moved = policyAt('moved/deeper', ['# a comment moves every line', '', ...POLICY])
  t.not(base.file, moved.file)
  t.not(base.scopes[0]?.line, moved.scopes[0]?.line)
  t.is(policyHash(moved), policyHash(base))
  const renamed = policyAt('renamed', POLICY.map((l) => l.replace('name: gate', 'name: renamed').replace('failOn: high', 'failOn: high # why')))
  t.is(policyHash(renamed), policyHash(base))
  const reordered = policyAt('reordered', [...POLICY.filter((l) => l !== '    failOn: high' && l !== ''), '    failOn: high', ''])
  const keys = Object.keys(reordered.scopes[0] ?? {})
  t.true(keys.indexOf('failOn') > keys.indexOf('allow'), 'keys in another order')
  t.is(policyHash(reordered), policyHash(base))
  const changed = (sub: string, from: string, to: string) => policyHash(policyAt(sub, POLICY.map((l) => l.replace(from, to))))
  t.not(changed('stricter', 'failOn: high', 'failOn: medium'), policyHash(base))
  t.not(changed('optional', 'required: true', 'required: false'), policyHash(base))
  t.not(changed('allow', '/usr/share/doc/**', '/usr/share/**'), policyHash(base))
  t.not(changed('scope', 'registry.test/**', 'registry.test/team/**'), policyHash(base))
})

test('signer fingerprint: key contents count, their path does not; flags replace the policy signers', async (t) => {
  const base = policyAt('fp-base', POLICY)
  const moved = policyAt('fp-moved/x', ['# moved', ...POLICY])
  t.is(await fingerprint(moved), await fingerprint(base), 'the same key bytes at another path')
  const rotated = policyAt('fp-rotated', POLICY, keyB)
  t.not(await fingerprint(rotated), await fingerprint(base), 'another key under the same file name')

  const flagA = join(dir, 'flag-a.pub')
  const flagB = join(dir, 'flag-b.pub')
  writeFileSync(flagA, keyA)
  writeFileSync(flagB, keyB)
  const withA = await fingerprint(base, {keys: [flagA]})
  t.not(withA, await fingerprint(base), '--key (even with the policy key) is another signer set: it requires a signature')
  t.not(await fingerprint(base, {keys: [flagB]}), withA)
  // Flags replace the scopes' signers, so rotating the policy's key file changes nothing while --key is given.
  t.is(await fingerprint(rotated, {keys: [flagA]}), withA)
  const identity = {subject: h.WORKFLOW, issuer: h.GH_ISSUER}
  const otherSubject = {...identity, subject: `${h.WORKFLOW}x`}
  t.not(await fingerprint(base, {identity}), await fingerprint(base, {identity: otherSubject}))
  t.not(await fingerprint(base, {keys: [flagA], allowMissingTlog: true}), withA)
  t.not(await fingerprint(base, {keys: [flagA], signatureRepository: 'sigs/elsewhere'}), withA)
  const notationIdentities = ['x509.subject: C=US, ST=WA, O=Acme, CN=A']
  t.not(await fingerprint(base, {notationTrustStore: [flagA], notationIdentities}),
    await fingerprint(base, {notationTrustStore: [flagB], notationIdentities}))
})

test('signer fingerprint: the trusted root counts by content', async (t) => {
  const base = policyAt('fp-root', POLICY)
  const write = (name: string, json: unknown) => {
    const f = join(dir, name)
    writeFileSync(f, JSON.stringify(json))
    return f
  }
  const one = (await h.privateSigstore()).rootJson
  const a = write('root-a.json', one)
  const copy = write('root-copy.json', one)
  const other = write('root-b.json', (await h.privateSigstore()).rootJson)
  t.is(await fingerprint(base, {}, a), await fingerprint(base, {}, copy))
  t.not(await fingerprint(base, {}, a), await fingerprint(base, {}, other))
  t.not(await fingerprint(base, {}, a), await fingerprint(base), 'a private root against the embedded public-good one')
})

// The registry in the fixtures has no referrers API, so the hostile registry serves one: a signature attached through
// it has no tag, and only asking the API shows that the recorded "fail: not signed" is stale.
test('registry scan: a signature attached through the referrers API makes the recorded verdict stale', async (t) => {
  const s = await h.privateSigstore()
  const signer = await h.keylessSigner(s)
  const rootFile = join(dir, 'api-root.json')
  writeFileSync(rootFile, JSON.stringify(s.rootJson))
  const img = await buildValidImage({'hello.txt': 'reuse through the referrers API\n'})
  const bundle = await h.dsseBundle(s, signer, statementFor(img.manifestDigest, 'https://sigstore.dev/cosign/sign/v1', {}))
  const layers = [blob(BUNDLE_TYPE, Buffer.from(JSON.stringify(bundle)))]
  const referrer: TestArtifact = artifactManifest({artifactType: BUNDLE_TYPE, subject: img, layers})
  const policy = parsePolicy(['version: 1', 'scopes:', '  - match: "**"', '    failOn: high', '    signatures:',
    '      required: true', '      identities:', `        - {issuer: "${h.GH_ISSUER}", subject: "${h.WORKFLOW}"}`, ''].join('\n'),
  join(dir, 'api.yaml'))
  const state = join(dir, 'api.jsonl')
  const scanWith = async (image: TestImage, artifacts: TestArtifact[]) => {
    const reg = await startHostileRegistry({images: {'app/api': image}, artifacts: {'app/api': artifacts},
      referrersApi: {}})
    const regs = new Registries({})
    try {
      const supplyChain = registrySupplyChainStage(regs, {os: 'linux', architecture: 'amd64'}, {trustedRoot: rootFile})
      const report = await scanRegistry(reg.host, policy, dir, {state, registries: regs, supplyChain})
      const r = report.images[0]
      const referrerRequests = reg.requests.filter((q) => q.url.includes('/referrers/')).length
      return {verdict: r?.verdict, reused: r?.reused === true, ids: r?.reasons.map((x) => x.id), errors: report.errors, referrerRequests}
    } finally {
      regs.close()
      await reg.stop()
    }
  }
  const first = await scanWith(img, [])
  t.deepEqual(first.errors, [])
  t.like(first, {verdict: 'fail', reused: false})
  t.deepEqual(first.ids, ['signature.missing'])
  const unchanged = await scanWith(img, [])
  t.like(unchanged, {verdict: 'fail', reused: true}, 'no referrer yet: the recorded verdict stands')
  t.true(unchanged.referrerRequests > 0, 'a reused verdict was not checked against the referrers API')
  const signed = await scanWith(img, [referrer])
  t.like(signed, {verdict: 'pass', reused: false}, 'a referrer pushed through the API did not make the verdict stale')
  t.like(await scanWith(img, [referrer]), {verdict: 'pass', reused: true})
})
