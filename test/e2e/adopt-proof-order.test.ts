import test from 'ava'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {startPushProxy, type Recorded} from '../support/hostile-push.js'
import {ensureBuilt} from '../support/build.js'
import {makeTempDir} from '../support/tmp.js'
import {runCli} from '../support/cli.js'
import {signedFixture, type AdoptFixture} from './adopt-fixture.js'

// The read-back at the destination overlaps the copy: each blob is fetched back as soon as its upload completed, while
// the next is still to be sent, and still every blob is read back before the tag moves. A recording proxy in front of
// a real registry shows the order in which requests arrived; --jobs 1 makes that order the order of the work.
let src: RunningRegistry
let dst: RunningRegistry
let fx: AdoptFixture
const dir = makeTempDir('adopt-proof-order')

test.before(async () => {
  ;[src, dst] = await Promise.all([startRegistry({mode: 'plain'}), startRegistry({mode: 'plain'})])
  fx = await signedFixture(src.url, 'upstream/app', dir)
  await ensureBuilt()
})
test.after.always(() => Promise.all([src?.stop(), dst?.stop()]))

const digestOf = (r: Recorded) => /[?&]digest=(sha256(?::|%3A)[0-9a-f]{64})/.exec(r.url)?.[1]?.replace('%3A', ':')
const blobGet = (r: Recorded) => r.method === 'GET' ? /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(r.url)?.[1] : undefined

test('each blob is read back right after its upload, every one before the tag moves', async (t) => {
  const p = await startPushProxy(dst.url, [])
  t.teardown(() => p.stop())
  const r = await runCli(['adopt', `${src.host}/upstream/app:v1`, `${p.host}/order/app:v1`, ...fx.flags, '--no-cache',
    '--format', 'json', '--jobs', '1'], {timeoutMs: 90_000})
  t.is(r.code, 0, r.stderr + r.stdout)
  const j = JSON.parse(r.stdout) as {copy: {blobs: {uploaded: number}}; verification: {blobs: {checked: number}}}
  const reqs = p.requests
  const uploads = reqs.map((x, i) => ({i, digest: x.method === 'PUT' ? digestOf(x) : undefined}))
    .filter((u): u is {i: number; digest: string} => u.digest !== undefined)
  t.is(uploads.length, j.copy.blobs.uploaded)
  t.true(uploads.length >= 3, 'the fixture uploads blobs')
  const tagPut = reqs.findIndex((x) => x.method === 'PUT' && x.url.endsWith('/manifests/v1'))
  t.true(tagPut > 0)
  for (const [k, u] of uploads.entries()) {
    // The first request after an upload that is about a blob is the read-back of that very blob.
    const next = reqs.slice(u.i + 1).find((x) => blobGet(x) !== undefined || /\/blobs\/uploads\//.test(x.url))
    t.is(next && blobGet(next), u.digest, `blob ${k} is fetched back before the next upload opens`)
    const back = reqs.findIndex((x, i) => i > u.i && blobGet(x) === u.digest)
    t.true(back < tagPut, `blob ${k} is proven before the tag PUT`)
  }
  // Nothing is read back before it was written, and the proof still counted every blob of the closure.
  const firstUpload = uploads[0]?.i ?? -1
  t.false(reqs.slice(0, firstUpload).some((x) => blobGet(x) !== undefined))
  t.true(j.verification.blobs.checked >= uploads.length)
})
