import test from 'ava'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Buildah, skopeoCopy, skopeoInspectRaw} from '../support/builder.js'
import {dockerRef} from '../support/env.js'
import {githubToken, rsaPrivateKeyPem} from '../support/fake-secrets.js'
import {endpoint} from '../support/fixture-images.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {makeTempDir, removeDir} from '../support/tmp.js'
import {runCli} from '../support/cli.js'
import {assertBuilt, fx, oneLineError, parseJson, tempDir, type CliResult, type Finding, type ScanJson, type VetJson} from './helpers.js'

/**
 * A real two-platform index built with buildah, as `docker buildx --provenance` lays it out: linux/amd64 is the clean
 * base, linux/arm64/v8 adds a private key, and a third entry marked as a BuildKit attestation manifest
 * (unknown/unknown) holds a token that must never be judged as an image. Pushed to a registry of this file's own,
 * so the shared fixtures' catalog stays as other tests expect it.
 */
const ARM = 'linux/arm64/v8'
const AMD = 'linux/amd64'
const KEY_PATH = '/home/app/.ssh/id_rsa'

interface PlatformJson {platform: string; digest: string; verdict?: 'pass' | 'fail'; reasons?: Array<{id: string; message: string}>}
type IndexVetJson = Omit<VetJson, 'reasons'> & {
  image: VetJson['image'] & {platforms?: string[]}
  platforms?: PlatformJson[]
  skipped?: Array<{digest: string; platform: string; why: string}>
  reasons: Array<{id: string; message: string; platform?: string}>
}

/**
 * The CLI with a per-test cache, as helpers.imgvet, but with room for a machine shared by many test runs: each of
 * these walks two platforms. The tests run serially for the same reason.
 */
function imgvet(t: {teardown: (fn: () => void) => void}, args: readonly string[]): Promise<CliResult> {
  return runCli([...args, '--cache-dir', tempDir(t, 'imgvet-index-cache')], {timeoutMs: 120_000})
}

let reg: RunningRegistry
let dir: string
let key: string
const token = githubToken()
/** From skopeo's reading of the pushed index, not from imgvet. */
const digests = new Map<string, string>()
let indexDigest = ''
let ref = ''

test.before(async () => {
  await assertBuilt()
  reg = await startRegistry({mode: 'plain'})
  dir = makeTempDir('imgvet-index')
  const b = new Buildah(join(dir, 'buildah'))
  await skopeoCopy(dockerRef(fx.images.base), b.storageRef('imgvet-base'), {src: endpoint(fx.registries.plain)}, dir)
  key = await rsaPrivateKeyPem('pkcs8')
  writeFileSync(join(dir, 'id_rsa'), key)
  writeFileSync(join(dir, 'att.env'), `GITHUB_TOKEN=${token}\n`)
  const arm = await b.from('imgvet-base')
  await b.copy(arm, join(dir, 'id_rsa'), KEY_PATH, {chmod: '0600'})
  await b.config(arm, ['--arch', 'arm64', '--variant', 'v8'])
  await b.commit(arm, 'dirty-arm64')
  const att = await b.from('imgvet-base')
  await b.copy(att, join(dir, 'att.env'), '/att.env')
  await b.config(att, ['--os', 'unknown', '--arch', 'unknown'])
  await b.commit(att, 'attestation')
  await b.manifestCreate('mixed', ['imgvet-base', 'dirty-arm64', 'attestation'])
  const list = JSON.parse(await b.manifestInspect('mixed')) as {manifests: Array<{digest: string; platform?: {os: string; architecture: string}}>}
  const attDigest = list.manifests.find((m) => m.platform?.os === 'unknown')?.digest ?? ''
  await b.manifestAnnotate('mixed', attDigest, ['--annotation', 'vnd.docker.reference.type=attestation-manifest'])
  indexDigest = await b.manifestPush('mixed', `docker://${reg.host}/team/app:multi`, {format: 'oci'})
  ref = `docker://${reg.host}/team/app@${indexDigest}`
  const pushed = JSON.parse(await skopeoInspectRaw(ref)) as {manifests: Array<{digest: string; platform?: {os: string; architecture: string; variant?: string}}>}
  for (const m of pushed.manifests) digests.set([m.platform?.os, m.platform?.architecture, m.platform?.variant].filter(Boolean).join('/'), m.digest)
  removeDir(join(dir, 'buildah'))
})

test.after.always(async () => {
  await reg?.stop()
  if (dir) removeDir(dir)
})

test.serial('the pushed index has the clean amd64, the arm64/v8 with a key and an unknown/unknown entry', (t) => {
  t.deepEqual([...digests.keys()].sort(), [AMD, ARM, 'unknown/unknown'])
})

test.serial('vet REF@INDEX checks both platforms, fails for arm64 only and says what it checked and skipped', async (t) => {
  const r = await imgvet(t, ['vet', ref, '--format', 'json'])
  t.is(r.code, 1, r.stderr)
  const j = parseJson<IndexVetJson>(r)
  t.is(j.verdict, 'fail')
  t.is(j.image.digest, indexDigest)
  t.deepEqual(j.image.platforms, [AMD, ARM])
  t.deepEqual(j.platforms?.map((p) => [p.platform, p.digest, p.verdict]), [[AMD, digests.get(AMD), 'pass'], [ARM, digests.get(ARM), 'fail']])
  t.deepEqual(j.skipped?.map((s) => [s.platform, s.digest, s.why]), [['unknown/unknown', digests.get('unknown/unknown'), 'attestation manifest']])
  t.true(j.reasons.length > 0)
  t.true(j.reasons.every((x) => x.platform === ARM), JSON.stringify(j.reasons))
  const keyFinding = j.findings.find((f) => f.path === KEY_PATH)
  t.is(keyFinding?.platform, ARM)
  t.true(j.reasons.some((x) => x.id === keyFinding?.id))
  t.true(j.findings.every((f) => f.platform === AMD || f.platform === ARM), 'every finding names its platform')
  t.false(j.findings.some((f) => f.path === '/att.env'), 'the attestation entry is not scanned as an image')
  t.true(j.notes.some((n) => n.includes(`checked 2 platforms of index ${indexDigest}`) && n.includes('unknown/unknown (attestation manifest)')), JSON.stringify(j.notes))
  t.false(r.stdout.includes(key.split('\n')[1] ?? '-'), 'no line of the key is printed')
})

test.serial('the same finding in two platforms has two fingerprints; single-platform fingerprints are unchanged', async (t) => {
  const index = await imgvet(t, ['vet', ref, '--format', 'json'])
  const single = await imgvet(t, ['vet', dockerRef(fx.images.base), '--format', 'json'])
  const both = parseJson<IndexVetJson>(index).findings.filter((f) => f.id === 'config.healthcheck.missing')
  t.deepEqual(both.map((f) => f.platform), [AMD, ARM])
  t.not(both[0]?.fingerprint, both[1]?.fingerprint)
  const plain = parseJson<VetJson>(single).findings.find((f: Finding) => f.id === 'config.healthcheck.missing')
  t.is(plain?.platform, undefined)
  t.truthy(plain?.fingerprint)
  t.false(both.some((f) => f.fingerprint === plain?.fingerprint), 'an index child is not confused with the image on its own')
})

test.serial('vet text names the failing platform, each platform verdict, and the platform of every finding', async (t) => {
  const r = await imgvet(t, ['vet', ref])
  t.is(r.code, 1, r.stderr)
  t.regex(r.stdout, new RegExp(`^FAIL  ${reg.host}/team/app@${indexDigest}$`, 'm'))
  t.regex(r.stdout, /^Platforms checked: 2$/m)
  t.regex(r.stdout, new RegExp(`^ {2}PASS {2}linux/amd64 +${digests.get(AMD)}`, 'm'))
  t.regex(r.stdout, new RegExp(`^ {2}FAIL {2}linux/arm64/v8 +${digests.get(ARM)}`, 'm'))
  t.regex(r.stdout, /^ {2}skipped unknown\/unknown sha256:[a-f0-9]{64} \(attestation manifest\)$/m)
  t.regex(r.stdout, /^ {2}- \[private-key\.[a-z0-9]+\] linux\/arm64\/v8: Private key at \/home\/app\/\.ssh\/id_rsa: /m)
  t.regex(r.stdout, new RegExp(`^ {11}linux/arm64/v8  ${KEY_PATH}:1  layer 1$`, 'm'))
})

test.serial('--platform narrows the index: the clean platform passes, the other fails', async (t) => {
  const amd = await imgvet(t, ['vet', ref, '--platform', AMD, '--format', 'json'])
  const arm = await imgvet(t, ['vet', ref, '--platform', 'linux/arm64', '--format', 'json'])
  t.is(amd.code, 0, amd.stderr)
  const a = parseJson<IndexVetJson>(amd)
  t.is(a.verdict, 'pass')
  t.deepEqual(a.platforms?.map((p) => p.platform), [AMD])
  t.is(arm.code, 1, arm.stderr)
  t.deepEqual(parseJson<IndexVetJson>(arm).platforms?.map((p) => [p.platform, p.verdict]), [[ARM, 'fail']])
})

test.serial('--platform that a single-platform image is not: exit 2, one line, for vet and scan', async (t) => {
  for (const cmd of ['vet', 'scan']) {
    const r = await imgvet(t, [cmd, dockerRef(fx.images.base), '--platform', 'linux/arm64'])
    t.is(r.code, 2, `${cmd}: ${r.stderr}`)
    t.regex(oneLineError(r), /^imgvet: usage: --platform linux\/arm64 does not match the image, which is linux\/amd64/)
    t.is(r.stdout, '')
  }
  const ok = await imgvet(t, ['vet', dockerRef(fx.images.base), '--platform', AMD])
  t.is(ok.code, 0, ok.stderr)
})

test.serial('scan of the index: every platform, findings carry it, the shared base layer is walked once', async (t) => {
  const r = await imgvet(t, ['scan', ref, '--format', 'json'])
  t.is(r.code, 0, r.stderr)
  const j = parseJson<ScanJson & {platforms?: PlatformJson[]; image: {platforms?: string[]}}>(r)
  t.deepEqual(j.image.platforms, [AMD, ARM])
  t.deepEqual(j.platforms?.map((p) => p.digest), [digests.get(AMD), digests.get(ARM)])
  t.is(j.findings.find((f) => f.path === KEY_PATH)?.platform, ARM)
  // amd64 has the base layer, arm64 the base layer plus the key's: three layers, the shared one served from the
  // (empty at start) cache the second time.
  t.is(j.stats.layers, 3)
  t.is(j.stats.layersFromCache, 1)
  // --no-cache leaves the user's cache alone but still walks the shared layer once.
  const cold = parseJson<ScanJson>(await imgvet(t, ['scan', ref, '--format', 'json', '--no-cache']))
  t.is(cold.stats.layersFromCache, 1)
  t.deepEqual(cold.findings.map((f) => f.fingerprint).sort(), j.findings.map((f) => f.fingerprint).sort())
})

test.serial('SARIF, GitLab and JUnit place the key in the arm64 platform', async (t) => {
  const [sarif, gitlab, junit] = [await imgvet(t, ['vet', ref, '--format', 'sarif']), await imgvet(t, ['vet', ref, '--format', 'gitlab']),
    await imgvet(t, ['vet', ref, '--format', 'junit'])]
  interface SarifResult {
    partialFingerprints: {primaryLocationLineHash: string}
    properties: {platform?: string; imageDigest: string; indexDigest?: string}
    locations: Array<{physicalLocation: {artifactLocation: {uri: string}}; logicalLocations: Array<{name: string; kind: string}>}>
  }
  const results = (JSON.parse(sarif?.stdout ?? '') as {runs: Array<{results: SarifResult[]}>}).runs[0]?.results ?? []
  const keyResult = results.find((x) => x.locations[0]?.physicalLocation.artifactLocation.uri.endsWith(KEY_PATH))
  t.is(keyResult?.locations[0]?.physicalLocation.artifactLocation.uri, `${reg.host.replace(/:/g, '_')}/team/app/linux_arm64_v8${KEY_PATH}`)
  t.deepEqual(keyResult?.locations[0]?.logicalLocations[0], {name: ARM, kind: 'platform'})
  t.is(keyResult?.properties.platform, ARM)
  t.is(keyResult?.properties.imageDigest, digests.get(ARM))
  t.is(keyResult?.properties.indexDigest, indexDigest)
  const health = results.filter((x) => x.locations[0]?.physicalLocation.artifactLocation.uri.endsWith('image-config'))
  t.true(health.length >= 2)
  t.is(new Set(health.map((x) => x.partialFingerprints.primaryLocationLineHash)).size, health.length, 'per-platform fingerprints differ')
  const vulns = (JSON.parse(gitlab?.stdout ?? '') as {vulnerabilities: Array<{id: string; description: string; location: {file: string}}>}).vulnerabilities
  const keyVuln = vulns.find((v) => v.location.file.endsWith(KEY_PATH))
  t.true(keyVuln?.location.file.includes('/linux_arm64_v8/'), keyVuln?.location.file)
  t.true(keyVuln?.description.startsWith(`${ARM}: `), keyVuln?.description)
  t.is(new Set(vulns.map((v) => v.id)).size, vulns.length, 'GitLab ids stay unique across platforms')
  const xml = junit?.stdout ?? ''
  t.regex(xml, new RegExp(`<testcase classname="[^"]+" name="\\[linux/arm64/v8\\] private-key\\.[a-z0-9]+ ${KEY_PATH}:1"><failure `))
  t.regex(xml, /<testcase classname="[^"]+" name="verdict linux\/arm64\/v8"><failure /)
  t.regex(xml, /<testcase classname="[^"]+" name="verdict linux\/amd64"><\/testcase>/)
})

test.serial('registry scan judges each platform of the index, never the attestation entry, with the platform on findings', async (t) => {
  const r = await imgvet(t, ['registry', 'scan', reg.host, '--format', 'json', '--state', join(dir, 'state.jsonl'), '--no-signatures'])
  t.is(r.code, 1, r.stderr)
  const j = JSON.parse(r.stdout) as {images: Array<{repository: string; platform: string; digest: string; indexDigest?: string; verdict: string; findings: Finding[]}>}
  const app = j.images.filter((i) => i.repository === 'team/app')
  t.deepEqual(app.map((i) => [i.platform, i.digest, i.indexDigest, i.verdict]), [[AMD, digests.get(AMD), indexDigest, 'pass'], [ARM, digests.get(ARM), indexDigest, 'fail']])
  t.is(app[1]?.findings.find((f) => f.path === KEY_PATH)?.platform, ARM)
  t.true(app.every((i) => i.findings.every((f) => f.platform === i.platform)))
})
