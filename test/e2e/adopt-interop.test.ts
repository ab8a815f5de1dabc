import test from 'ava'
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {join} from 'node:path'
import {tmpdir} from 'node:os'
import * as h from '../signatures/private-sigstore.js'
import {run} from '../support/exec.js'
import {startPushProxy} from '../support/hostile-push.js'
import {request} from '../support/net.js'
import {tarFiles, type Pushed} from '../support/push.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {ensureBuilt} from '../support/build.js'
import {makeTempDir} from '../support/tmp.js'
import {ROOT, runCli} from '../support/cli.js'
import {Artifacts} from '../signatures/support.js'
import {signedFixture, type AdoptFixture} from './adopt-fixture.js'

let src: RunningRegistry
let dst: RunningRegistry
let fx: AdoptFixture
let big: Pushed
const dir = makeTempDir('adopt-interop')

test.before(async () => {
  ;[src, dst] = await Promise.all([startRegistry({mode: 'plain'}), startRegistry({mode: 'plain'})])
  const s = await h.privateSigstore()
  fx = await signedFixture(src.url, 'upstream/app', dir, s)
  // Four layers of 3 MiB, signed like the fixture, so a run can be killed between two blob uploads.
  const a = new Artifacts(src.url)
  const layers = []
  for (let i = 0; i < 4; i++) layers.push(await a.push.blob('upstream/big',
    tarFiles([[`data-${i}.bin`, randomBytes(3 << 20)]]), 'application/vnd.oci.image.layer.v1.tar'))
  const config = await a.push.blob('upstream/big', JSON.stringify({architecture: 'amd64', os: 'linux', config: {},
    rootfs: {type: 'layers', diff_ids: layers.map((l) => l.digest)}}), 'application/vnd.oci.image.config.v1+json')
  big = await a.push.manifest('upstream/big', 'v1',
    {schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers})
  await a.sig('upstream/big', big.digest,
    [await h.cosignLayer(s, await h.keylessSigner(s), h.cosignPayload(big.digest))])
  await ensureBuilt()
})
test.after.always(() => Promise.all([src?.stop(), dst?.stop()]))

const head = async (base: string, repo: string, ref: string) =>
  (await request(`${base}/v2/${repo}/manifests/${ref}`,
    {method: 'HEAD',
      headers: {accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json'}}))

test('SIGKILL in the middle: the destination tag is untouched, and the rerun uploads each blob once', async (t) => {
  const proxy = await startPushProxy(dst.url)
  t.teardown(() => proxy.stop())
  const args = [join(ROOT, 'bin', 'run.js'), 'adopt', `${src.host}/upstream/big:v1`, `${proxy.host}/killed/big:v1`,
    ...fx.flags, '--no-cache', '--jobs', '1']
  const env: NodeJS.ProcessEnv = {...process.env, HOME: join(tmpdir(), 'imgvet-no-home')}
  delete env['NODE_ENV']
  const child = spawn(process.execPath, args, {cwd: ROOT, env, stdio: 'ignore'})
  const exited = new Promise<string | null>((resolve) => child.once('exit', (_c, signal) => resolve(signal)))
  await proxy.when((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/') && r.status === 201)
  child.kill('SIGKILL')
  t.is(await exited, 'SIGKILL')
  t.is((await head(dst.url, 'killed/big', 'v1')).status, 404)
  const firstRun = proxy.requests.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/') && r.status === 201).length
  t.true(firstRun >= 1 && firstRun < 5, `${firstRun} blobs uploaded before the kill`)
  const r = await runCli(['adopt', `${src.host}/upstream/big:v1`, `${proxy.host}/killed/big:v1`, ...fx.flags,
    '--no-cache'], {timeoutMs: 90_000})
  t.is(r.code, 0, r.stderr + r.stdout)
  t.is((await head(dst.url, 'killed/big', 'v1')).headers['docker-content-digest'], big.digest)
  const uploaded = proxy.requests.filter((x) => x.method === 'PUT' && x.url.includes('/blobs/uploads/') && x.status === 201)
    .map((x) => decodeURIComponent(/digest=([^&]+)/.exec(x.url)?.[1] ?? ''))
  t.is(uploaded.length, new Set(uploaded).size, 'a blob was uploaded twice')
  // 4 layers and the config of the image, the config and the layer of the .sig manifest.
  t.is(uploaded.length, 7)
})

test('token auth at the destination: adopt with --username/--password-stdin', async (t) => {
  const reg = await startRegistry({mode: 'token'})
  t.teardown(() => reg.stop())
  const r = await runCli(['adopt', `${src.host}/upstream/app:v1`, `${reg.host}/team/app:v1`, ...fx.flags, '--no-cache',
    '--username', reg.username ?? '', '--password-stdin'], {input: reg.password, timeoutMs: 90_000})
  t.is(r.code, 0, r.stderr + r.stdout)
  t.regex(r.stdout, /adopted .*team\/app:v1@sha256:.* \(tag moved\)/)
  t.false(r.stdout.includes(reg.password ?? 'no password'))
  const granted = reg.tokenServer?.requests.flatMap((x) => x.granted.map((g) => `${g.name}:${g.actions.join(',')}`)) ?? []
  t.true(granted.includes('team/app:pull,push'))
})

test('Basic auth at the destination, a Location on another host: exit 3 and no credentials sent there', async (t) => {
  const reg = await startRegistry({mode: 'htpasswd'})
  t.teardown(() => reg.stop())
  const proxy = await startPushProxy(reg.url, [{kind: 'location-other-host'}])
  t.teardown(() => proxy.stop())
  const r = await runCli(['adopt', `${src.host}/upstream/app:v1`, `${proxy.host}/team/app:v1`, ...fx.flags,
    '--no-cache',
    '--username', reg.username ?? '', '--password-stdin'], {input: reg.password, timeoutMs: 90_000})
  t.is(r.code, 3, r.stderr + r.stdout)
  t.true(proxy.other.requests.length > 0)
  t.true(proxy.other.requests.every((x) => x.headers.authorization === undefined))
  t.is((await head(reg.url, 'team/app', 'v1')).status, 401)
})

test('what skopeo copy --all drops that adopt keeps, on the same fixture', async (t) => {
  const from = `docker://${src.host}/upstream/app:v1`
  await run('skopeo',
    ['copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', from, `docker://${dst.host}/skopeo/app:v1`])
  const r = await runCli(['adopt', `${src.host}/upstream/app:v1`, `${dst.host}/adopted/app:v1`, ...fx.flags,
    '--no-cache'], {timeoutMs: 90_000})
  t.is(r.code, 0, r.stderr + r.stdout)
  const tag = fx.index.digest.replace(':', '-')
  const refs = [`${tag}.sig`, `${fx.images[0]?.digest.replace(':', '-')}.att`, tag, fx.bundle.digest,
    fx.notation.digest, fx.nested.digest]
  const kept = async (repo: string) => Promise.all(refs.map(async (ref) => (await head(dst.url, repo,
    ref)).status === 200))
  // skopeo compresses the uncompressed layers on the way, so even with --all the image is another one (a new index
  // digest: any signature over the original names something the destination does not hold) ...
  t.not((await head(dst.url, 'skopeo/app', 'v1')).headers['docker-content-digest'], fx.index.digest)
  t.is((await head(dst.url, 'adopted/app', 'v1')).headers['docker-content-digest'], fx.index.digest)
  // ... and it copies not one signature, attestation or referrer; adopt keeps every one.
  t.deepEqual(await kept('skopeo/app'), refs.map(() => false))
  t.deepEqual(await kept('adopted/app'), refs.map(() => true))
})
