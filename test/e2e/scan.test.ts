import test from 'ava'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {skopeoCopy, skopeoInspectRaw} from '../support/builder.js'
import {awsKeyPair} from '../support/fake-secrets.js'
import {blob, imageFromLayers, makeTarItems, OCI_LAYER_GZIP, sha256} from '../support/hostile-image.js'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {assertBuilt, fx, imgvet, parseJson, SECRETS, tempDir, writeLayout, type Finding, type ScanJson} from './helpers.js'

/**
 * Images this file makes go to a registry of its own (the same CNCF distribution): other suites assert the exact
 * catalog of the shared one.
 */
let own: RunningRegistry | undefined
test.before(async () => {
  await assertBuilt()
  own = await startRegistry({mode: 'plain'})
})
test.after.always(async () => {
  await own?.stop()
})
function ownHost(): string {
  if (!own) throw new Error('own registry not started')
  return own.host
}
const layers = fx.secrets.layers

/** What each planted kind must be reported as (at least one finding with one of these ids at its path). */
const EXPECTED_IDS: Record<string, string[]> = {
  'rsa-private-key-pkcs1': ['private-key.rsa'],
  'rsa-private-key-pkcs8': ['private-key.pkcs8'],
  'aws-credentials': ['secret.aws-access-key', 'credential-file.aws-credentials'],
  'docker-config-auth': ['credential-file.docker-config'],
  'github-token': ['secret.github-token', 'credential-file.dotenv'],
}

function key(f: Finding): string {
  return `${f.id} ${f.path ?? '-'} ${f.fingerprint} layer=${f.layer?.index ?? '-'} removedIn=${f.removedIn?.index ?? '-'}`
}

test('scan --format json: every planted secret at its path, in the layer that adds it, with the whiteout layer that deletes it', async (t) => {
  const r = await imgvet(t, ['scan', SECRETS, '--format', 'json'])
  t.is(r.code, 0, r.stderr)
  const j = parseJson<ScanJson>(r)
  t.is(j.image.digest, fx.secrets.image.digest)
  t.is(j.stats.layers, layers.length)
  t.true(fx.secrets.planted.some((p) => p.removedIn !== undefined) && fx.secrets.planted.some((p) => p.removedIn === undefined), 'the fixture has deleted and surviving secrets')

  for (const p of fx.secrets.planted) {
    const at = j.findings.filter((f) => f.path === p.path)
    t.true(at.length > 0, `${p.kind} at ${p.path} is reported`)
    const expected = EXPECTED_IDS[p.kind] ?? []
    t.true(at.some((f) => expected.includes(f.id)), `${p.path}: one of ${expected.join(', ')} among ${at.map((f) => f.id).join(', ')}`)
    for (const f of at) {
      t.is(f.layer?.index, p.layer, `${f.id} at ${p.path}: layer`)
      t.is(f.layer?.digest, layers[p.layer]?.digest, `${f.id} at ${p.path}: layer digest is the manifest's`)
      if (p.removedIn === undefined) {
        t.is(f.removedIn, null, `${f.id} at ${p.path} survives into the final filesystem`)
      } else {
        t.is(f.removedIn?.index, p.removedIn, `${f.id} at ${p.path}: removedIn is the whiteout layer`)
        t.is(f.removedIn?.digest, layers[p.removedIn]?.digest)
      }
      t.is(f.rule, 'no-credentials')
      t.true(['secret', 'private-key', 'credential-file'].includes(f.category), f.category)
      t.regex(f.fingerprint, /^[0-9a-f]{32}$/)
    }
  }
  // The busybox base below the planted layer holds nothing secret: every file finding is at a planted path.
  const planted = new Set(fx.secrets.planted.map((p) => p.path))
  t.deepEqual(j.findings.filter((f) => f.path !== null && !planted.has(f.path)).map(key), [])
})

test('scan --format json: the ENV secret and the history build-arg leak are config findings (no path, category secret)', async (t) => {
  const r = await imgvet(t, ['scan', SECRETS, '--format', 'json'])
  t.is(r.code, 0, r.stderr)
  const config = parseJson<ScanJson>(r).findings.filter((f) => f.path === null)
  const env = config.filter((f) => f.title.includes(fx.secrets.env.name) || f.evidence.startsWith(`${fx.secrets.env.name}=`))
  t.is(env.length, 1, config.map(key).join('\n'))
  t.like(env[0], {category: 'secret', layer: null, removedIn: null, rule: 'no-credentials'})
  const history = config.filter((f) => f.title.includes(`history[${fx.secrets.historyLeak.historyIndex}]`))
  t.is(history.length, 1, config.map(key).join('\n'))
  t.like(history[0], {category: 'secret', layer: null, removedIn: null, id: 'secret.github-token'})
  t.true(['critical', 'high'].includes(history[0]?.severity ?? ''), 'a real token in history is not downgraded')
})

test('scan text output: "deleted in layer N but still extractable from layer M" for each deleted secret', async (t) => {
  const r = await imgvet(t, ['scan', SECRETS])
  t.is(r.code, 0, r.stderr)
  const deleted = fx.secrets.planted.filter((p) => p.removedIn !== undefined)
  t.true(deleted.length >= 2)
  for (const p of deleted) {
    const esc = p.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    t.regex(r.stdout, new RegExp(`^\\s+${esc}(:\\d+)?\\s+deleted in layer ${p.removedIn} but still extractable from layer ${p.layer} \\(sha256:`, 'm'))
  }
  for (const p of fx.secrets.planted.filter((x) => x.removedIn === undefined)) {
    const esc = p.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    t.regex(r.stdout, new RegExp(`^\\s+${esc}(:\\d+)?\\s+layer ${p.layer}$`, 'm'), `${p.path} is not called deleted`)
  }
  t.regex(r.stdout, new RegExp(`^Layer ${fx.secrets.planted[0]?.layer} ${layers[fx.secrets.planted[0]?.layer ?? 0]?.digest}$`, 'm'))
  t.regex(r.stdout, /^Image config$/m)
})

test('the secrets image recompressed as zstd gives the same findings (ids, paths, fingerprints, layers)', async (t) => {
  const dir = tempDir(t, 'imgvet-e2e-zstd')
  const layout = join(dir, 'layout')
  // skopeo only recompresses blobs the destination lacks: go through a fresh OCI layout, then push that.
  await skopeoCopy(`docker://${fx.secrets.image.ref}`, `oci:${layout}:secrets`, {compress: 'zstd'}, dir)
  const host = ownHost()
  const digest = await skopeoCopy(`oci:${layout}:secrets`, `docker://${host}/e2e/secrets-zstd:latest`, {}, dir)
  const manifest = JSON.parse(await skopeoInspectRaw(`docker://${host}/e2e/secrets-zstd@${digest}`)) as {layers: {mediaType: string; digest: string}[]}
  t.deepEqual(manifest.layers.map((l) => l.mediaType), layers.map(() => 'application/vnd.oci.image.layer.v1.tar+zstd'))

  const [gz, zst] = await Promise.all([
    imgvet(t, ['scan', SECRETS, '--format', 'json']),
    imgvet(t, ['scan', `docker://${host}/e2e/secrets-zstd:latest`, '--format', 'json']),
  ])
  t.is(gz.code, 0, gz.stderr)
  t.is(zst.code, 0, zst.stderr)
  const a = parseJson<ScanJson>(gz)
  const b = parseJson<ScanJson>(zst)
  t.is(b.image.digest, digest)
  t.not(b.image.digest, a.image.digest)
  t.true(a.findings.length >= fx.secrets.planted.length + 2)
  t.deepEqual(b.findings.map(key).sort(), a.findings.map(key).sort())
  // Same files, but the layer digests are those of the zstd blobs.
  for (const f of b.findings) if (f.layer) t.is<string | undefined, string | undefined>(f.layer.digest, manifest.layers[f.layer.index]?.digest)
})

test('a secret in the base layer (index 0), deleted by layer 1, is reported at layer 0 with removedIn 1 (hand-made image, pushed)', async (t) => {
  // The shared fixtures plant nothing in layer 0 (their base is busybox): this image covers index 0.
  t.true(fx.secrets.planted.every((p) => p.layer > 0), 'fixtures plant no secret in layer 0; if they start to, fold this into the first test')
  const aws = awsKeyPair()
  const credentials = `[default]\naws_access_key_id = ${aws.accessKeyId}\naws_secret_access_key = ${aws.secretAccessKey}\n`
  const tar0 = await makeTarItems([{name: 'root/'}, {name: 'root/.aws/'}, {name: 'root/.aws/credentials', content: credentials, mode: 0o600}, {name: 'etc/'}, {name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n'}])
  const tar1 = await makeTarItems([{name: 'root/'}, {name: 'root/.aws/'}, {name: 'root/.aws/.wh.credentials', content: ''}])
  const image = imageFromLayers([tar0, tar1].map((tar) => ({blob: blob(OCI_LAYER_GZIP, gzipSync(tar)), diffId: sha256(tar)})))
  const dir = tempDir(t, 'imgvet-e2e-base-secret')
  writeLayout(join(dir, 'layout'), image, 'v1')
  const host = ownHost()
  await skopeoCopy(`oci:${join(dir, 'layout')}:v1`, `docker://${host}/e2e/base-secret:v1`, {}, dir)

  const r = await imgvet(t, ['scan', `docker://${host}/e2e/base-secret:v1`, '--format', 'json'])
  t.is(r.code, 0, r.stderr)
  const j = parseJson<ScanJson>(r)
  const at = j.findings.filter((f) => f.path === '/root/.aws/credentials')
  t.true(at.some((f) => f.id === 'secret.aws-access-key'), at.map(key).join('\n'))
  for (const f of at) {
    t.deepEqual(f.layer, {index: 0, digest: image.layers[0]?.digest})
    t.deepEqual(f.removedIn, {index: 1, digest: image.layers[1]?.digest})
  }
  t.false(r.stdout.includes(aws.secretAccessKey))
})
