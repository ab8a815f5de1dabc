import test from 'ava'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {run} from '../support/exec.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import type {Pushed} from '../support/push.js'
import {makeTempDir} from '../support/tmp.js'
import {skopeoCopy} from '../support/builder.js'
import {saveLayout} from '../support/save-layout.js'
import {traced, type Traced} from '../support/traced.js'
import {ensureBuilt} from '../support/build.js'
import * as h from '../signatures/private-sigstore.js'
import {statementFor} from '../signatures/support.js'
import {pushSignedImages} from './signed-images.js'

// Signatures made into a real registry, then stored in local layouts the ways tools store them: skopeo copy (tags
// `sha256-<hex>.sig`), cosign save (a `kind` annotation and the whole reference as ref name, old versions the kind
// alone), oras (referrers as untagged manifests with a subject). verify --offline runs in a network namespace with
// no route, under strace: it must verify from the files alone and open no IPv4/IPv6 socket.
const dir = makeTempDir('verify-offline')
const root = join(dir, 'trusted_root.json')
const keyFile = join(dir, 'cosign.pub')
const KIND = 'kind'
const REF = 'org.opencontainers.image.ref.name'
let reg: RunningRegistry
let signed: Pushed
let keyed: Pushed
let keyedSig: Pushed
let bundled: Pushed
let bundle: Pushed
const layouts = {skopeo: join(dir, 'skopeo'), cosign: join(dir, 'cosign.tar'), oldCosign: join(dir, 'old-cosign'),
  oras: join(dir, 'oras'), bare: join(dir, 'bare'), archive: join(dir, 'signed-docker.tar')}
test.after.always(() => reg?.stop())

const tagOf = (d: string, suffix: string) => `${d.replace(':', '-')}${suffix}`

test.before(async () => {
  reg = await startRegistry({mode: 'plain'})
  const {a, sigstore: s, signer, ...images} = await pushSignedImages(reg.url, root, keyFile, 'offline')
  ;({signed, keyed, keyedSig} = images)
  bundled = await a.push.image('app/bundled', 'v1', 'offline-bundled')
  bundle = await a.bundle('app/bundled', bundled,
    await h.dsseBundle(s, signer, statementFor(bundled.digest, 'https://sigstore.dev/cosign/sign/v1', {})))

  // skopeo: the image and its cosign tags, each under its own name in one layout; without --preserve-digests it
  // recompresses the layer and the signature no longer names the image.
  const copy = (repo: string, tag: string, to: string) => run('skopeo', ['copy', '--quiet', '--preserve-digests',
    '--src-tls-verify=false', `docker://${reg.host}/${repo}:${tag}`, to])
  await copy('app/signed', 'v1', `oci:${layouts.skopeo}:v1`)
  for (const suffix of ['.sig', '.att']) {
    await copy('app/signed', tagOf(signed.digest, suffix), `oci:${layouts.skopeo}:${tagOf(signed.digest, suffix)}`)
  }
  await copy('app/bare', 'v1', `oci:${layouts.bare}:v1`)
  await skopeoCopy(`docker://${reg.host}/app/signed:v1`, `docker-archive:${layouts.archive}:app/signed:v1`)
  // cosign save (v2): kind and the whole reference; then packed as an oci-archive.
  const cosignDir = join(dir, 'cosign')
  await saveLayout(reg.url, 'app/keyed', cosignDir, [
    {digest: keyed.digest, annotations: {[KIND]: 'dev.cosignproject.cosign/image', [REF]: `${reg.host}/app/keyed:v1`}},
    {digest: keyedSig.digest, annotations: {[KIND]: 'dev.cosignproject.cosign/sigs',
      [REF]: `${reg.host}/app/keyed:${tagOf(keyed.digest, '.sig')}`}},
  ])
  await run('tar', ['-cf', layouts.cosign, '-C', cosignDir, 'oci-layout', 'index.json', 'blobs'])
  // cosign save (v1): the kind alone says which entry is the image and which its signatures.
  await saveLayout(reg.url, 'app/keyed', layouts.oldCosign, [
    {digest: keyed.digest, annotations: {[KIND]: 'dev.cosignproject.cosign/image'}},
    {digest: keyedSig.digest, annotations: {[KIND]: 'dev.cosignproject.cosign/sigs'}},
  ])
  // oras: the image tagged, its referrer listed untagged.
  await saveLayout(reg.url, 'app/bundled', layouts.oras, [
    {digest: bundled.digest, annotations: {[REF]: 'v1'}}, {digest: bundle.digest},
  ])
  await ensureBuilt()
})

const keyless = ['--trusted-root', root, '--certificate-identity', h.WORKFLOW, '--certificate-oidc-issuer', h.GH_ISSUER]
const offline = (t: Parameters<typeof traced>[0], ...args: string[]) =>
  traced(t, ['verify', '--offline', ...args], {noRoute: true})

interface Json {
  verified: boolean
  reasons: string[]
  notes: string[]
  signatures: Array<{kind: string; verified: boolean; location: string; signer?: {identity?: string; label: string}}>
}
const json = (r: Traced) => JSON.parse(r.stdout) as Json

test('skopeo layout (sha256-<hex>.sig/.att tags), keyless, no route: verified, no socket, names its root',
  async (t) => {
  const r = await offline(t, `oci:${layouts.skopeo}:v1`, ...keyless, '--format', 'json')
  t.is(r.code, 0, r.stderr + r.stdout)
  t.deepEqual(r.inet, [])
  const j = json(r)
  t.true(j.verified)
  const legacy = j.signatures.find((s) => s.kind === 'cosign-legacy')
  t.true(legacy?.verified)
  t.is(legacy?.signer?.identity, h.WORKFLOW)
  t.true(legacy?.location.startsWith(`oci:${layouts.skopeo}:${tagOf(signed.digest, '.sig')}`))
  t.true(j.signatures.some((s) => s.kind === 'attestation' && s.verified))
  t.true(j.notes.includes(`offline: no network request made; trust root: ${root} (--trusted-root)`))
  t.true(j.notes.includes('offline: not checked: transparency-log (Rekor) lookups, TUF refresh of the trust root; '
    + `signatures read from oci:${layouts.skopeo} only`))
})

test('cosign save layout packed as an oci-archive, --key: verified, the text report names the trust root', async (t) => {
  const r = await offline(t, `oci-archive:${layouts.cosign}:v1`, '--trusted-root', root, '--key', keyFile)
  t.is(r.code, 0, r.stderr + r.stdout)
  t.deepEqual(r.inet, [])
  t.regex(r.stdout, /^VERIFIED: /)
  t.true(r.stdout.includes(`cosign-legacy on manifest ${keyed.digest}: verified`))
  t.true(r.stdout.includes(`note: offline: no network request made; trust root: ${root} (--trusted-root)`))
})

test('old cosign save layout (kind annotations only): the signature entry is found by its kind', async (t) => {
  const r = await offline(t, `oci:${layouts.oldCosign}`, '--trusted-root', root, '--key', keyFile, '--format', 'json')
  t.is(r.code, 0, r.stderr + r.stdout)
  t.deepEqual(r.inet, [])
  t.true(json(r).signatures.some((s) => s.kind === 'cosign-legacy' && s.verified))
})

test('oras layout: the referrer is the listed manifest whose subject is the image; its Sigstore bundle verifies',
  async (t) => {
  const r = await offline(t, `oci:${layouts.oras}:v1`, ...keyless, '--format', 'json')
  t.is(r.code, 0, r.stderr + r.stdout)
  t.deepEqual(r.inet, [])
  const b = json(r).signatures.find((s) => s.kind === 'bundle')
  t.true(b?.verified)
  t.true(b?.location.startsWith(`oci:${layouts.oras}@${bundle.digest}`))
})

test('no signature in the layout, and a docker-archive that has nowhere to keep one: exit 1, saying where it looked',
  async (t) => {
  const bare = await offline(t, `oci:${layouts.bare}:v1`, ...keyless)
  t.is(bare.code, 1, bare.stderr)
  t.deepEqual(bare.inet, [])
  t.regex(bare.stdout,
    new RegExp(`reason   no signature found \\(looked at oci:${layouts.bare}:sha256-[0-9a-f]{64}\\.sig`))
  const archive = await offline(t, `docker-archive:${layouts.archive}`, ...keyless)
  t.is(archive.code, 1, archive.stderr)
  t.deepEqual(archive.inet, [])
  t.true(archive.stdout.includes(`looked at docker-archive:${layouts.archive}:sha256-`))
  t.true(bare.stdout.includes('(manifests naming it as subject and sha256-'), 'a layout has no referrers API to name')
})

test('the wrong key does not verify a layout signature: exit 1', async (t) => {
  const other = join(dir, 'other.pub')
  writeFileSync(other, h.publicPem(h.keySigner()))
  const r = await offline(t, `oci:${layouts.oldCosign}`, '--trusted-root', root, '--key', other)
  t.is(r.code, 1, r.stderr + r.stdout)
  t.regex(r.stdout, /cosign-legacy on manifest .*: NOT verified/)
})

test('--offline refuses a registry reference before any connection: exit 2', async (t) => {
  const r = await traced(t, ['verify', '--offline', `${reg.host}/app/signed:v1`, ...keyless], {noRoute: false})
  t.is(r.code, 2, r.stderr)
  t.regex(r.stderr, /^imgvet: usage: --offline reads local sources only/)
  t.deepEqual(r.inet, [])
})

// vet reads the signatures stored in a local image as verify does: the same layouts, judged by vet's policy.
const vetOffline = (t: Parameters<typeof traced>[0], ...args: string[]) =>
  traced(t, ['vet', '--offline', '--no-cache', '--format', 'json', ...args], {noRoute: true})
interface VetJson {
  verdict: string
  reasons: Array<{id: string}>
  findings: Array<{id: string; severity: string}>
}

/** vet's reasons about signatures (the images run as root, which the default policy fails on its own). */
const sigReasons = (r: Traced) => (JSON.parse(r.stdout) as VetJson).reasons.map((x) => x.id).filter((id) => id.startsWith('signature.'))

test('vet --offline on layouts: a stored keyless or key signature satisfies it, a bare layout and the wrong key do not', async (t) => {
  const ok = await vetOffline(t, `oci:${layouts.skopeo}:v1`, ...keyless)
  t.deepEqual(ok.inet, [])
  t.deepEqual(sigReasons(ok), [], ok.stdout)
  t.false((JSON.parse(ok.stdout) as VetJson).findings.some((f) => f.id.startsWith('signature.')), ok.stdout)
  const keyedOk = await vetOffline(t, `oci-archive:${layouts.cosign}:v1`, '--trusted-root', root, '--key', keyFile)
  t.deepEqual(sigReasons(keyedOk), [], keyedOk.stdout)
  const bare = await vetOffline(t, `oci:${layouts.bare}:v1`, '--trusted-root', root, '--key', keyFile)
  t.is(bare.code, 1, bare.stderr + bare.stdout)
  t.deepEqual(sigReasons(bare), ['signature.missing'])
  // The skopeo layout's signature is keyless: a key it was not made with does not vouch for it.
  const wrong = await vetOffline(t, `oci:${layouts.skopeo}:v1`, '--trusted-root', root, '--key', keyFile)
  t.is(wrong.code, 1, wrong.stderr + wrong.stdout)
  t.true(sigReasons(wrong).length > 0, wrong.stdout)
})
