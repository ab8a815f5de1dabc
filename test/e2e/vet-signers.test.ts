// `vet` with signer flags, through the built CLI and a real registry: naming a signer means "must be signed by this
// signer" (as `cosign verify` does) whatever the policy says, and a signature that is there but forged or copied from
// another image fails the image even under a policy that does not require signatures.
import test from 'ava'
import {writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {ensureBuilt} from '../support/build.js'
import {run} from '../support/exec.js'
import type {Pushed} from '../support/push.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {makeTempDir} from '../support/tmp.js'
import * as h from '../signatures/private-sigstore.js'
import {issue, notationJws, rootCa} from '../signatures/notation-pki.js'
import {Artifacts} from '../signatures/support.js'

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
const BIN = join(ROOT, 'bin/run.js')
const dir = makeTempDir('vet-signers')
const root = join(dir, 'trusted_root.json')
const keyFile = join(dir, 'cosign.pub')
// Signatures are the only thing these policies judge (the test images run as root and carry no labels).
const noRequirement = join(dir, 'lax.yaml')
const trustsKey = join(dir, 'trusts-key.yaml')
const NOTATION_ID = 'x509.subject: C=US, ST=WA, O=Acme, CN=Release'
let reg: RunningRegistry
let notationCa: string
const img: Record<string, Pushed> = {}
test.after.always(() => reg?.stop())

test.before(async () => {
  reg = await startRegistry({mode: 'plain'})
  const a = new Artifacts(reg.url)
  const s = await h.privateSigstore()
  const keyed = h.keySigner()
  const keyless = await h.keylessSigner(s)
  writeFileSync(root, JSON.stringify(s.rootJson))
  writeFileSync(keyFile, h.publicPem(keyed))
  const policy = (name: string, signatures: string) =>
    `version: 1\nname: ${name}\nscopes:\n  - match: "**"\n    failOn: high\n    signatures: ${signatures}\n`
  writeFileSync(noRequirement, policy('lax', '{required: false}'))
  writeFileSync(trustsKey, policy('trusts-key', '{required: false, keys: [cosign.pub]}'))
  img.unsigned = await a.push.image('app/unsigned', 'v1', 'vet-unsigned')
  img.signed = await a.push.image('app/signed', 'v1', 'vet-signed')
  await a.sig('app/signed', img.signed.digest, [await h.cosignLayer(s, keyed, h.cosignPayload(img.signed.digest))])
  // Valid signatures by the trusted signers, each made for another image and copied under this image's tag.
  img.copied = await a.push.image('app/copied', 'v1', 'vet-copied')
  await a.sig('app/copied', img.copied.digest, [await h.cosignLayer(s, keyed, h.cosignPayload(img.signed.digest))])
  img.copiedKeyless = await a.push.image('app/copied-keyless', 'v1', 'vet-copied-keyless')
  const keylessCopy = await h.cosignLayer(s, keyless, h.cosignPayload(img.signed.digest))
  await a.sig('app/copied-keyless', img.copiedKeyless.digest, [keylessCopy])
  const ca = rootCa(dir, '/C=US/ST=WA/O=Acme/CN=Acme Root')
  const leaf = issue(dir, ca, '/C=US/ST=WA/O=Acme/CN=Release')
  notationCa = ca.certFile
  img.copiedNotation = await a.push.image('app/copied-notation', 'v1', 'vet-copied-notation')
  await a.notation('app/copied-notation', img.copiedNotation, notationJws(leaf, [leaf, ca], img.signed.digest))
  await ensureBuilt()
})

interface VetJson {
  verdict: string
  reasons: Array<{id: string; message: string}>
  findings: Array<{id: string; severity: string; evidence: string}>
}

async function vet(repo: string, ...args: string[]) {
  const common = ['--format', 'json', '--cache-dir', join(dir, 'cache'), '--trusted-root', root]
  const r = await run('node', [BIN, 'vet', `${reg.host}/${repo}:v1`, ...common, ...args], {cwd: ROOT, allowFail: true})
  let json: VetJson | undefined
  try {
    json = JSON.parse(r.stdout) as VetJson
  } catch {
    json = undefined
  }
  const sig = (json?.findings ?? []).filter((f) => f.id.startsWith('signature.')).map((f) => [f.id, f.severity])
  return {...r, json, sig}
}

const identity = ['--certificate-identity', h.WORKFLOW, '--certificate-oidc-issuer', h.GH_ISSUER]
const notation = () => ['--notation-trust-store', notationCa, '--notation-identity', NOTATION_ID]

test('vet --key on an unsigned image: exit 1, signature.missing, even under a policy that requires no signature', async (t) => {
  const r = await vet('app/unsigned', '--policy', noRequirement, '--key', keyFile)
  t.is(r.code, 1, r.stderr + r.stdout)
  t.is(r.json?.verdict, 'fail')
  t.deepEqual(r.json?.reasons.map((x) => x.id), ['signature.missing'])
  t.deepEqual(r.sig, [['signature.missing', 'critical']])
  t.true(r.json?.reasons[0]?.message.includes(keyFile), r.json?.reasons[0]?.message)
  // The default preset says `signatures: {required: false}` too; the flag still wins.
  const preset = await vet('app/unsigned', '--key', keyFile)
  t.true(preset.json?.reasons.some((x) => x.id === 'signature.missing'), preset.stdout)
  t.is(preset.code, 1)
})

test('vet --key on an image signed with that key passes; without signer flags its signature is reported, info', async (t) => {
  const ok = await vet('app/signed', '--policy', noRequirement, '--key', keyFile)
  t.is(ok.code, 0, ok.stderr + ok.stdout)
  t.deepEqual(ok.sig, [])
  const plain = await vet('app/signed', '--policy', noRequirement)
  t.is(plain.code, 0, plain.stderr)
  t.deepEqual(plain.sig, [['signature.unverified', 'info']])
  const unverified = plain.json?.findings.find((f) => f.id === 'signature.unverified')
  t.true(unverified?.evidence.includes(`${img.signed?.digest.replace(':', '-')}.sig`), unverified?.evidence)
  const bare = await vet('app/unsigned', '--policy', noRequirement)
  t.is(bare.code, 0)
  t.deepEqual(bare.sig, [], 'an unsigned image under a policy that asks nothing: nothing to report')
})

test('a signature by the trusted key whose payload names another digest is high whatever the policy', async (t) => {
  const flagged = await vet('app/copied', '--policy', noRequirement, '--key', keyFile)
  t.is(flagged.code, 1, flagged.stdout)
  t.deepEqual(flagged.sig, [['signature.invalid', 'critical']])
  t.regex(flagged.json?.reasons[0]?.message ?? '', new RegExp(`subject-mismatch: signature is for ${img.signed?.digest}`))
  // The policy trusts the key but does not require a signature: the copy is a tampering signal, not a preference.
  const byPolicy = await vet('app/copied', '--policy', trustsKey)
  t.is(byPolicy.code, 1, byPolicy.stdout)
  t.deepEqual(byPolicy.sig, [['signature.invalid', 'high']])
})

test('--certificate-identity: unsigned fails with signature.missing; a keyless signature for another digest fails', async (t) => {
  const missing = await vet('app/unsigned', '--policy', noRequirement, ...identity)
  t.is(missing.code, 1, missing.stderr + missing.stdout)
  t.deepEqual(missing.sig, [['signature.missing', 'critical']])
  t.true(missing.json?.reasons[0]?.message.includes(h.WORKFLOW))
  const copied = await vet('app/copied-keyless', '--policy', noRequirement, ...identity)
  t.is(copied.code, 1, copied.stdout)
  t.deepEqual(copied.sig, [['signature.invalid', 'critical']])
  t.regex(copied.json?.reasons[0]?.message ?? '', /subject-mismatch/)
})

test('--notation-trust-store/--notation-identity: unsigned fails; a Notation signature for another digest fails', async (t) => {
  const missing = await vet('app/unsigned', '--policy', noRequirement, ...notation())
  t.is(missing.code, 1, missing.stderr + missing.stdout)
  t.deepEqual(missing.sig, [['signature.missing', 'critical']])
  const copied = await vet('app/copied-notation', '--policy', noRequirement, ...notation())
  t.is(copied.code, 1, copied.stdout)
  t.deepEqual(copied.sig, [['signature.invalid', 'critical']])
  t.regex(copied.json?.reasons[0]?.message ?? '', new RegExp(`digest-mismatch: signature is for ${img.signed?.digest}`))
})

test('signer flags on a local layout without a stored signature: signature.missing, exit 1, not a silent pass', async (t) => {
  const layout = `oci:${join(ROOT, 'examples/clean')}`
  const r = await run('node', [BIN, 'vet', layout, '--key', keyFile, '--no-cache', '--format', 'json'], {cwd: ROOT, allowFail: true})
  t.is(r.code, 1, r.stderr + r.stdout)
  const j = JSON.parse(r.stdout) as VetJson
  t.deepEqual(j.reasons.map((x) => x.id), ['signature.missing'])
})
