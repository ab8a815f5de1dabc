import test from 'ava'
import {ImgvetError} from '../../src/errors.js'
import {formatPlatform, parseManifest} from '../../src/image/manifest.js'
import {choosePlatform, indexModel, resolveImage} from '../../src/image/resolve.js'
import {makeTar, MemorySource, OCI_MANIFEST, sha256} from '../layers/helpers.js'

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`

function indexOf(manifests: object[]) {
  const bytes = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: OCI_INDEX, manifests}))
  const raw = {mediaType: OCI_INDEX, digest: sha256(bytes), bytes}
  const parsed = parseManifest(raw, 'test')
  if (parsed.kind !== 'index') throw new Error('not an index')
  return indexModel(raw, parsed.index)
}

test('the index model keeps platform images and says why every other entry is skipped', (t) => {
  const m = indexOf([
    {mediaType: OCI_MANIFEST, digest: d(1), size: 10, platform: {os: 'linux', architecture: 'amd64'}},
    {mediaType: OCI_MANIFEST, digest: d(2), size: 10, platform: {os: 'linux', architecture: 'arm64', variant: 'v8'}},
    {mediaType: OCI_MANIFEST, digest: d(3), size: 10, platform: {os: 'unknown', architecture: 'unknown'},
      annotations: {'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': d(1)}},
    // Unmarked unknown/unknown (an attestation whose annotation was lost) is still not an image to run.
    {mediaType: OCI_MANIFEST, digest: d(4), size: 10, platform: {os: 'unknown', architecture: 'unknown'}},
    {mediaType: OCI_INDEX, digest: d(5), size: 10, platform: {os: 'linux', architecture: 's390x'}},
    {mediaType: 'application/x\x1b[2Jwipe', digest: d(6), size: 10},
  ])
  t.deepEqual(m.platforms.map((x) => formatPlatform(x.platform)), ['linux/amd64', 'linux/arm64/v8'])
  t.deepEqual(m.skipped.map((x) => [x.descriptor.digest, x.why]), [
    [d(3), 'attestation manifest'],
    [d(4), 'platform unknown/unknown'],
    [d(5), `not an image manifest (${OCI_INDEX})`],
    [d(6), 'not an image manifest (application/x\\x1b[2Jwipe)'],
  ])
  // arm64 means v8 unless said otherwise (containerd's normalisation); a skipped entry is never chosen.
  t.is(choosePlatform(m, {os: 'linux', architecture: 'arm64'}, 'test').digest, d(2))
  t.is(choosePlatform(m, {os: 'linux', architecture: 'arm64', variant: 'v8'}, 'test').digest, d(2))
  const err = t.throws(() => choosePlatform(m, {os: 'unknown', architecture: 'unknown'}, 'test'), {instanceOf: ImgvetError})
  t.is(err?.exitCode, 3)
  t.regex(err?.message ?? '', /available: linux\/amd64, linux\/arm64\/v8\)$/)
})

test('--platform on a single-platform image: the same platform passes through, another is exit 2', async (t) => {
  const source = new MemorySource([{tar: await makeTar([{name: 'a.txt', content: 'a'}])}])
  const same = await resolveImage(source, {platform: {os: 'linux', architecture: 'amd64'}})
  t.is(same.index, undefined)
  t.is(same.images.length, 1)
  const err = await t.throwsAsync(resolveImage(source, {platform: {os: 'linux', architecture: 'arm64'}}), {instanceOf: ImgvetError})
  t.is(err?.exitCode, 2)
  t.is(err?.code, 'usage')
  // A fallback (inspect, pull, library callers) never refuses a single image.
  t.is((await resolveImage(source, {fallback: {os: 'linux', architecture: 'arm64'}})).images.length, 1)
})

test('a platform label from the image cannot carry control characters or spaces', (t) => {
  t.is(formatPlatform({os: 'linux', architecture: 'amd64\x1b[2J'}), 'linux/amd64\\x1b[2J')
  t.is(formatPlatform({os: 'li nux', architecture: 'arm\n64'}), 'li\\x20nux/arm\\x0a64')
})
