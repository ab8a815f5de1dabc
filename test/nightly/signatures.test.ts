import test from 'ava'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {run} from '../support/exec.js'
import {ensureBuilt} from '../support/build.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {makeTempDir} from '../support/tmp.js'
import * as h from '../signatures/private-sigstore.js'
import {Artifacts, statementFor} from '../signatures/support.js'

// The nightly run checks signatures the way vet does: a policy that requires them passes signed images and fails
// unsigned ones with a precise reason, and --no-signatures turns the check off (and the requirement into "not checked").
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
const BIN = join(ROOT, 'bin/run.js')
const dir = makeTempDir('nightly-signatures')
let reg: RunningRegistry
let artifacts: Artifacts
let signWith: (digest: string) => Promise<unknown>
let trustedLayer: (digest: string) => ReturnType<typeof h.cosignLayer>
let untrustedLayer: (digest: string) => ReturnType<typeof h.cosignLayer>
let trustedBundle: (digest: string) => Promise<Record<string, unknown>>
let trustedPem: string
let strangerPem: string
test.after.always(() => reg?.stop())

test.before(async () => {
  reg = await startRegistry({mode: 'plain'})
  const a = new Artifacts(reg.url)
  const keyed = h.keySigner()
  const sigstore = await h.privateSigstore()
  writeFileSync(join(dir, 'cosign.pub'), h.publicPem(keyed))
  writeFileSync(join(dir, 'trusted_root.json'), JSON.stringify(sigstore.rootJson))
  const signed = await a.push.image('team/signed', 'v1', 'nightly-signed')
  await a.sig('team/signed', signed.digest, [await h.cosignLayer(sigstore, keyed, h.cosignPayload(signed.digest))])
  await a.push.image('team/unsigned', 'v1', 'nightly-unsigned')
  artifacts = a
  trustedLayer = (digest) => h.cosignLayer(sigstore, keyed, h.cosignPayload(digest))
  const stranger = h.keySigner()
  untrustedLayer = (digest) => h.cosignLayer(sigstore, stranger, h.cosignPayload(digest))
  trustedBundle = (digest) => h.dsseBundle(sigstore, keyed, statementFor(digest, 'https://sigstore.dev/cosign/sign/v1', {}))
  trustedPem = h.publicPem(keyed)
  strangerPem = h.publicPem(stranger)
  writeFileSync(join(dir, 'other.pub'), strangerPem)
  signWith = async (digest: string) => a.sig('team/late', digest, [await h.cosignLayer(sigstore, keyed, h.cosignPayload(digest))])
  writeFileSync(join(dir, 'policy.yaml'), [
    'version: 1',
    'name: signed-only',
    'scopes:',
    `  - match: '${reg.host}/team/*'`,
    '    failOn: high',
    '    signatures:',
    '      required: true',
    '      keys: [cosign.pub]',
    '',
  ].join('\n'))
  await ensureBuilt()
})

function scan(...extra: string[]) {
  const out = join(dir, `report-${Math.random().toString(36).slice(2)}.json`)
  const state = extra.includes('--state') ? [] : ['--state', join(dir, `${Math.random()}.jsonl`)]
  const policy = extra.includes('--policy') ? [] : ['--policy', join(dir, 'policy.yaml')]
  return run('node', [BIN, 'registry', 'scan', reg.host, ...policy, ...state, '--cache-dir', join(dir, 'cache'), '--trusted-root', join(dir, 'trusted_root.json'), '-o', out, ...extra], {cwd: ROOT, allowFail: true})
    .then((r) => ({...r, report: existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as {images: Array<{reference: string; verdict: string; reused?: boolean; reasons: Array<{id: string}>}>}) : null}))
}

test('a policy requiring signatures passes the signed image and fails the unsigned one', async (t) => {
  const r = await scan()
  t.is(r.code, 1, r.stderr)
  const byRepo = (name: string) => r.report?.images.find((i) => i.reference.includes(`/team/${name}:`))
  t.is(byRepo('signed')?.verdict, 'pass', JSON.stringify(byRepo('signed')?.reasons))
  t.is(byRepo('unsigned')?.verdict, 'fail')
  t.deepEqual(byRepo('unsigned')?.reasons.map((x) => x.id), ['signature.missing'])
})

test('--no-signatures: nothing is verified, so the requirement fails as not checked', async (t) => {
  const r = await scan('--no-signatures', '--repository', 'team/signed', '--repository', 'team/unsigned')
  t.is(r.code, 1, r.stderr)
  for (const img of r.report?.images ?? []) {
    t.is(img.verdict, 'fail')
    t.true(img.reasons.some((x) => x.id === 'policy.signatures.not-checked'), JSON.stringify(img.reasons))
  }
  t.is(r.report?.images.length, 2)
})

// The signature tags are in the tag list the run fetches anyway: a signature that appears for an unchanged digest
// makes the recorded verdict stale, so the image is judged again instead of reused.
test.serial('an image signed after the first run is judged again, not reused', async (t) => {
  const late = await artifacts.push.image('team/late', 'v1', 'nightly-late')
  const state = join(dir, 'late.jsonl')
  const find = (r: Awaited<ReturnType<typeof scan>>) => r.report?.images.find((i) => i.reference.includes('/team/late:'))
  const first = await scan('--state', state, '--repository', 'team/late')
  t.is(find(first)?.verdict, 'fail', first.stderr)
  const unchanged = await scan('--state', state, '--repository', 'team/late')
  t.true(find(unchanged)?.reused)
  await signWith(late.digest)
  const after = await scan('--state', state, '--repository', 'team/late')
  t.falsy(find(after)?.reused)
  t.is(find(after)?.verdict, 'pass', JSON.stringify(find(after)?.reasons))
})

// Re-signing keeps the tag name `sha256-<hex>.sig` and changes only what it points at: the run compares the tag's
// manifest digest, so a signature replaced by one from an untrusted key is judged again, not reused as "pass".
test.serial('a signature replaced under the same tag is judged again', async (t) => {
  const img = await artifacts.push.image('team/resigned', 'v1', 'nightly-resigned')
  await artifacts.sig('team/resigned', img.digest, [await untrustedLayer(img.digest)])
  const state = join(dir, 'resigned.jsonl')
  const find = (r: Awaited<ReturnType<typeof scan>>) => r.report?.images.find((i) => i.reference.includes('/team/resigned:'))
  const first = await scan('--state', state, '--repository', 'team/resigned')
  t.is(find(first)?.verdict, 'fail', 'a key the policy does not trust')
  t.true(find(await scan('--state', state, '--repository', 'team/resigned'))?.reused, 'unchanged: reused')
  // Now signed with the trusted key, under the same tag name.
  await artifacts.sig('team/resigned', img.digest, [await trustedLayer(img.digest)])
  const after = await scan('--state', state, '--repository', 'team/resigned')
  t.falsy(find(after)?.reused, 'the recorded verdict was reused although the signature changed')
  t.is(find(after)?.verdict, 'pass', JSON.stringify(find(after)?.reasons))
})

// One state file through every change of signer configuration: a recorded verdict is reused only when the policy's
// meaning, the signer set (by the contents of its files) and the signature material are all what they were.
test.serial('one state file: a verdict is reused only under the same signer configuration and signatures', async (t) => {
  const img = await artifacts.push.image('team/reuse', 'v1', 'nightly-reuse')
  await artifacts.sig('team/reuse', img.digest, [await trustedLayer(img.digest)])
  const own = join(dir, 'reuse')
  const moved = join(dir, 'moved', 'elsewhere')
  mkdirSync(own, {recursive: true})
  mkdirSync(moved, {recursive: true})
  const policyText = readFileSync(join(dir, 'policy.yaml'), 'utf8')
  writeFileSync(join(own, 'policy.yaml'), policyText)
  writeFileSync(join(own, 'cosign.pub'), trustedPem)
  const state = join(dir, 'reuse.jsonl')
  const go = async (policyDir: string, ...extra: string[]) => {
    const r = await scan('--state', state, '--repository', 'team/reuse', '--policy', join(policyDir, 'policy.yaml'), ...extra)
    const image = r.report?.images.find((i) => i.reference.includes('/team/reuse:'))
    const ids = image?.reasons.map((x) => x.id) ?? []
    return {code: r.code, verdict: image?.verdict, reused: image?.reused === true, ids, stderr: r.stderr}
  }
  const first = await go(own)
  t.like(first, {verdict: 'pass', reused: false}, first.stderr)
  t.like(await go(own), {verdict: 'pass', reused: true}, 'nothing changed: reused')

  const noSig = await go(own, '--no-signatures')
  t.like(noSig, {code: 1, verdict: 'fail', reused: false}, '--no-signatures reused a verdict that checked signatures')
  t.deepEqual(noSig.ids, ['policy.signatures.not-checked'])
  const other = await go(own, '--key', join(dir, 'other.pub'))
  t.like(other, {code: 1, verdict: 'fail', reused: false}, '--key other.pub reused a verdict made with the policy key')
  t.deepEqual(other.ids, ['signature.invalid'])
  t.like(await go(own), {verdict: 'pass', reused: false}, 'back to the policy key: judged again')

  // The key file keeps its name and gets another key's contents.
  writeFileSync(join(own, 'cosign.pub'), strangerPem)
  const rotated = await go(own)
  t.like(rotated, {verdict: 'fail', reused: false}, 'a rotated key file reused the old verdict')
  t.deepEqual(rotated.ids, ['signature.invalid'])
  writeFileSync(join(own, 'cosign.pub'), trustedPem)
  t.like(await go(own), {verdict: 'pass', reused: false})

  // The same policy elsewhere, with a comment on top (every line moves) and its key next to it: same meaning.
  writeFileSync(join(moved, 'policy.yaml'), `# moved here, same rules\n\n${policyText}`)
  writeFileSync(join(moved, 'cosign.pub'), trustedPem)
  t.like(await go(moved), {verdict: 'pass', reused: true}, 'moving the policy or adding a comment invalidated the verdict')
  // A changed requirement is a new policy.
  writeFileSync(join(moved, 'policy.yaml'), policyText.replace('failOn: high', 'failOn: critical'))
  t.like(await go(moved), {verdict: 'pass', reused: false}, 'a changed requirement reused the old verdict')

  // A Sigstore bundle attached as an OCI referrer (here through the sha256-<hex> fallback tag) is new material.
  await artifacts.bundle('team/reuse', img, await trustedBundle(img.digest))
  const referred = await go(moved)
  t.like(referred, {verdict: 'pass', reused: false}, 'a new referrer did not make the recorded verdict stale')
  t.like(await go(moved), {verdict: 'pass', reused: true})
})

// With --signature-repository the signatures live in another repository, whose tags the image's tag list never shows.
test.serial('a signature pushed to the --signature-repository makes the recorded verdict stale', async (t) => {
  const img = await artifacts.push.image('team/alt', 'v1', 'nightly-alt')
  const state = join(dir, 'alt.jsonl')
  const go = async () => {
    const r = await scan('--state', state, '--repository', 'team/alt', '--signature-repository', 'sigs/alt')
    const image = r.report?.images.find((i) => i.reference.includes('/team/alt:'))
    return {verdict: image?.verdict, reused: image?.reused === true, ids: image?.reasons.map((x) => x.id)}
  }
  const first = await go()
  t.like(first, {verdict: 'fail', reused: false})
  t.deepEqual(first.ids, ['signature.missing'])
  t.like(await go(), {verdict: 'fail', reused: true})
  await artifacts.sig('sigs/alt', img.digest, [await trustedLayer(img.digest)])
  t.like(await go(), {verdict: 'pass', reused: false}, 'a signature in the signature repository did not make the verdict stale')
  t.like(await go(), {verdict: 'pass', reused: true})
})
