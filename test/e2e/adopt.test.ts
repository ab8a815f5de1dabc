import test from 'ava'
import {request} from '../support/net.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {startPushProxy, type PushProxy} from '../support/hostile-push.js'
import {ensureBuilt} from '../support/build.js'
import {makeTempDir} from '../support/tmp.js'
import {runCli} from '../support/cli.js'
import {signedFixture, type AdoptFixture} from './adopt-fixture.js'

// Two real CNCF registries; the destination sits behind a recording proxy so every request it gets is counted.
let src: RunningRegistry
let dst: RunningRegistry
let proxy: PushProxy
let fx: AdoptFixture
let dryItems: unknown[] = []
const dir = makeTempDir('adopt-e2e')

test.before(async () => {
  ;[src, dst] = await Promise.all([startRegistry({mode: 'plain'}), startRegistry({mode: 'plain'})])
  proxy = await startPushProxy(dst.url)
  fx = await signedFixture(src.url, 'upstream/app', dir)
  await ensureBuilt()
})
test.after.always(async () => {
  await proxy?.stop()
  await Promise.all([src?.stop(), dst?.stop()])
})

const adopt = (...args: string[]) => runCli(['adopt', ...args, '--no-cache'], {timeoutMs: 60_000})

interface AdoptJson {
  result: string
  plan: {items: Array<{kind: string; role: string; digest: string; tag?: string; action: string}>}
  verification: {signatures: Array<{kind: string; source: string; destination: string; identity?: string}>; failures: string[]}
  tag: {moved: boolean}
}

async function manifestAt(host: string, repo: string,
  ref: string): Promise<{status: number; digest?: string; body: Buffer}> {
  const accept = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json'
  const r = await request(`http://${host}/v2/${repo}/manifests/${ref}`, {headers: {accept}})
  return {status: r.status, digest: r.headers['docker-content-digest'] as string | undefined, body: r.body}
}

test.serial('vet failure: exit 1 and not one request reaches the destination', async (t) => {
  const before = proxy.requests.length
  const r = await adopt(`${src.host}/upstream/app:v1`, `${proxy.host}/mirror/app:v1`, ...fx.flags.slice(0, 2),
    '--policy', fx.strictPolicy)
  t.is(r.code, 1, r.stderr + r.stdout)
  t.regex(r.stdout, /NOT ADOPTED: .* nothing written/)
  t.is(proxy.requests.length, before)
})

test.serial('dry run: the plan lists every node, nothing is written', async (t) => {
  const r = await adopt(`${src.host}/upstream/app:v1`, `${proxy.host}/mirror/app:v1`, ...fx.flags, '--dry-run',
    '--format', 'json')
  t.is(r.code, 0, r.stderr + r.stdout)
  const j = JSON.parse(r.stdout) as AdoptJson
  t.is(j.result, 'planned')
  t.is(proxy.writes().length, 0)
  dryItems = j.plan.items
  const manifests = j.plan.items.filter((i) => i.kind === 'manifest')
  // index, 2 images, attestation manifest, .sig, .att, bundle, notation, nested notation
  t.is(manifests.length, 9)
  t.true(manifests.every((i) => i.action === 'copy'))
  t.deepEqual(j.plan.items.filter((i) => i.kind === 'legacy-tag').map((i) => i.tag).sort(),
    [`${fx.images[0]?.digest.replace(':', '-')}.att`, `${fx.index.digest.replace(':', '-')}.sig`].sort())
  t.is(j.plan.items.filter((i) => i.kind === 'fallback-tag').length, 2)
})

test.serial('full adopt: byte-identical at the destination, signatures re-verified there, then the tag', async (t) => {
  const r = await adopt(`${src.host}/upstream/app:v1`, `${proxy.host}/mirror/app:v1`, ...fx.flags, '--format', 'json')
  t.is(r.code, 0, r.stderr + r.stdout)
  const j = JSON.parse(r.stdout) as AdoptJson
  t.is(j.result, 'adopted')
  // The real run did what the dry run said it would.
  t.deepEqual(j.plan.items, dryItems)
  t.true(j.tag.moved)
  t.deepEqual(j.verification.failures, [])
  const verified = j.verification.signatures.filter((s) => s.source === 'verified')
  t.true(verified.some((s) => s.kind === 'cosign-legacy'))
  t.true(verified.some((s) => s.kind === 'bundle'))
  t.true(verified.every((s) => s.destination === 'verified'))
  t.true(j.verification.signatures.some((s) => s.kind === 'notation' && s.destination === 'found'))
  for (const ref of ['v1', fx.index.digest, fx.bundle.digest, fx.notation.digest, fx.nested.digest]) {
    const [a, b] = await Promise.all([manifestAt(src.host, fx.repo, ref), manifestAt(dst.host, 'mirror/app', ref)])
    t.is(b.status, 200, ref)
    t.true(a.body.equals(b.body), `${ref} differs`)
  }
  const fallback = await manifestAt(dst.host, 'mirror/app', fx.index.digest.replace(':', '-'))
  const listed = (JSON.parse(fallback.body.toString()) as {manifests: {digest: string}[]}).manifests.map((m) => m.digest)
  t.deepEqual(listed.sort(), [fx.bundle.digest, fx.notation.digest].sort())
  // The tag is the last write.
  const last = proxy.writes().at(-1)
  t.is(last?.method, 'PUT')
  t.true(last?.url.endsWith('/manifests/v1'))
})

test.serial('rerun: already adopted, no write request at all', async (t) => {
  const before = proxy.writes().length
  const r = await adopt(`${src.host}/upstream/app:v1`, `${proxy.host}/mirror/app:v1`, ...fx.flags)
  t.is(r.code, 0, r.stderr + r.stdout)
  t.regex(r.stdout, /already adopted: /)
  t.is(proxy.writes().length, before)
})

test.serial('a destination tag naming other content: exit 2 without --force, moved after proof with it', async (t) => {
  const other = `${src.host}/upstream/app@${fx.images[1]?.digest ?? ''}`
  const r = await adopt(other, `${proxy.host}/mirror/app:v1`, ...fx.flags)
  t.is(r.code, 2, r.stderr + r.stdout)
  t.regex(r.stderr, /conflict: .*--force/)
  t.is((await manifestAt(dst.host, 'mirror/app', 'v1')).digest, fx.index.digest)
  const forced = await adopt(other, `${proxy.host}/mirror/app:v1`, ...fx.flags, '--force')
  t.is(forced.code, 0, forced.stderr + forced.stdout)
  t.is((await manifestAt(dst.host, 'mirror/app', 'v1')).digest, fx.images[1]?.digest)
})

test('bad input is exit 2 with one coded line, before any request to the destination', async (t) => {
  const before = proxy.requests.length
  const cases: Array<[string[], RegExp]> = [
    [['oci:/tmp/nowhere', `${proxy.host}/m/app`], /usage: the source must be an image in a registry/],
    [[`${src.host}/upstream/app:v1`, `${proxy.host}/m/app@${fx.index.digest}`], /usage: the destination takes a tag, not a digest/],
    [[`${src.host}/upstream/app:v1`, `${proxy.host}/m/app`, '--platform', 'linux/amd64'], /usage: --platform is refused/],
    [[`${src.host}/upstream/app:nope`, `${proxy.host}/m/app`], /no-such-image: no such manifest/],
    [[`${src.host}/upstream/app:v1`, `${proxy.host}/m/app`, '--expect-digest', fx.images[0]?.digest ?? ''],
      /bad-input: resolves to sha256:[0-9a-f]{64}, not the expected sha256:/],
  ]
  for (const [args, message] of cases) {
    const r = await adopt(...args, ...fx.flags)
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    t.regex(r.stderr, message)
    t.is(r.stderr.trim().split('\n').length, 1)
  }
  t.is(proxy.requests.length, before)
})
