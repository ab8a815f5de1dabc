import test from 'ava'
import {discoverClosure} from '../../src/adopt/closure.js'
import {Pusher, OCI_INDEX} from '../support/push.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {registries} from '../support/cli.js'

// Discovery against a real registry without the referrers API: what the fallback tag lists counts only if it proves it.
let reg: RunningRegistry
test.before(async () => {
  reg = await startRegistry({mode: 'plain'})
})
test.after.always(() => reg?.stop())

const tagOf = (d: string) => d.replace(':', '-')

test('a fallback entry whose subject is another manifest is dropped with a warning; the tag keeps only the rest',
  async (t) => {
  const p = new Pusher(reg.url)
  const img = await p.image('c/app', 'v1', 'closure-a')
  const other = await p.image('c/app', null, 'closure-b')
  const good = await p.artifact('c/app', null, {artifactType: 'application/x-good', layers: [], subject: img})
  const stray = await p.artifact('c/app', null, {artifactType: 'application/x-stray', layers: [], subject: other})
  await p.index('c/app', tagOf(img.digest), [good, stray])
  const c = await discoverClosure(registries(t).get(reg.host), 'c/app', img)
  t.deepEqual(c.manifests.map((m) => m.digest), [img.digest, good.digest])
  t.is(c.referrersVia, 'tag')
  t.deepEqual(c.fallbacks.map((f) => [f.tag, f.entries.map((e) => e.digest), f.verbatim]),
    [[tagOf(img.digest), [good.digest], false]])
  t.true(c.warnings.some((w) => w.includes(stray.digest) && w.includes(`its subject is ${other.digest}`)))
  // Config and layer of the image, the empty config of the referrer.
  t.is(c.blobs.length, 3)
})

test('a digest-shaped tag that names the image itself (as GitLab answers) lists no referrers', async (t) => {
  const p = new Pusher(reg.url)
  const img = await p.image('c/gitlab', 'v1', 'closure-gitlab')
  await p.manifest('c/gitlab', tagOf(img.digest), {schemaVersion: 2, mediaType: OCI_INDEX, manifests: [img]})
  const c = await discoverClosure(registries(t).get(reg.host), 'c/gitlab', img)
  t.deepEqual(c.manifests.map((m) => m.digest), [img.digest])
  t.deepEqual(c.fallbacks, [])
  t.true(c.warnings.some((w) => w.includes('names the image itself')))
})

test('an index: every child, the attestation manifest and the legacy tags of each are part of the closure',
  async (t) => {
  const p = new Pusher(reg.url)
  const amd = await p.image('c/multi', null, 'closure-amd')
  const arm = await p.image('c/multi', null, 'closure-arm', {os: 'linux', architecture: 'arm64'})
  const att = await p.artifact('c/multi', null, {layers: [], configType: 'application/vnd.oci.image.config.v1+json'})
  const index = await p.index('c/multi', 'v1', [amd, arm, {...att, platform: {os: 'unknown', architecture: 'unknown'},
    annotations: {'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd.digest}}])
  const sig = await p.artifact('c/multi', `${tagOf(arm.digest)}.sig`, {layers: []})
  const c = await discoverClosure(registries(t).get(reg.host), 'c/multi', index)
  t.deepEqual(c.manifests.map((m) => [m.digest, m.role]), [
    [index.digest, 'index'], [amd.digest, 'image'], [arm.digest, 'image'], [att.digest, 'attestation'],
      [sig.digest, 'signature'],
  ])
  t.deepEqual(c.legacyTags, [{tag: `${tagOf(arm.digest)}.sig`, digest: sig.digest, subject: arm.digest}])
  t.is(c.manifests.find((m) => m.digest === arm.digest)?.platform, 'linux/arm64')
})
