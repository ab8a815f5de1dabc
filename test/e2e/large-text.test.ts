import test from 'ava'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {githubToken} from '../support/fake-secrets.js'
import {blob, imageFromLayers, makeTarItems, OCI_LAYER_GZIP, sha256} from '../support/hostile-image.js'
import {assertBuilt, imgvet, parseJson, tempDir, writeLayout, type ScanJson} from './helpers.js'
import {runCli} from '../support/cli.js'

const MiB = 1024 * 1024
const PATH = '/app/dist/bundle.js'

type Stats = ScanJson['stats'] & {partialTextFiles: number; partialTextExamples: Array<{path: string; size: number; layer: number}>; maxTextBytes: number}

test.before(() => assertBuilt())

/** An OCI layout holding a 3 MiB minified-style text file with a GitHub token at 2.5 MiB; the token's line. */
async function layoutWithBigBundle(t: {teardown: (fn: () => void) => void}): Promise<{ref: string; token: string; line: number}> {
  const token = githubToken()
  const unit = '/* 00000000 the quick brown fox jumps over the lazy dog, twice */\n'
  const content = Buffer.from(unit.repeat(Math.ceil((3 * MiB) / unit.length)).slice(0, 3 * MiB))
  const at = 2.5 * MiB
  content.write(` ${token} `, at - 1, 'latin1')
  let line = 1
  for (let i = content.indexOf(10); i !== -1 && i < at; i = content.indexOf(10, i + 1)) line++
  const tar = await makeTarItems([{name: 'app/'}, {name: 'app/dist/'}, {name: PATH.slice(1), content}])
  const image = imageFromLayers([{blob: blob(OCI_LAYER_GZIP, gzipSync(tar)), diffId: sha256(tar)}])
  const dir = join(tempDir(t, 'imgvet-e2e-large-text'), 'layout')
  writeLayout(dir, image, 'v1')
  return {ref: `oci:${dir}:v1`, token, line}
}

test('scan --format json: a text file past the default cap is counted in stats; --max-text-size 4 finds the token at its line', async (t) => {
  const {ref, token, line} = await layoutWithBigBundle(t)
  const capped = await imgvet(t, ['scan', ref, '--format', 'json'])
  t.is(capped.code, 0, capped.stderr)
  const c = parseJson<ScanJson & {stats: Stats}>(capped)
  t.deepEqual(c.findings.filter((f) => f.path === PATH), [])
  t.is(c.stats.partialTextFiles, 1)
  t.deepEqual(c.stats.partialTextExamples, [{path: PATH, size: 3 * MiB, layer: 0}])
  t.is(c.stats.maxTextBytes, MiB)

  const wide = await imgvet(t, ['scan', ref, '--format', 'json', '--max-text-size', '4'])
  t.is(wide.code, 0, wide.stderr)
  const w = parseJson<ScanJson & {stats: Stats}>(wide)
  const found = w.findings.filter((f) => f.path === PATH && f.id === 'secret.github-token')
  t.deepEqual(found.map((f) => f.line), [line])
  t.is(w.stats.partialTextFiles, 0)
  t.is(w.stats.maxTextBytes, 4 * MiB)
  t.false(wide.stdout.includes(token), 'the token is never printed whole')
})

test('scan and vet text reports say which files were scanned only in part, and how to raise the cap', async (t) => {
  const {ref, token} = await layoutWithBigBundle(t)
  const expected = `1 text file larger than 1 MiB was scanned only in its first 1 MiB (--max-text-size raises the cap): ${PATH} (3.0 MiB)`
  const scan = await imgvet(t, ['scan', ref])
  t.is(scan.code, 0, scan.stderr)
  t.true(scan.stdout.split('\n').includes(expected), scan.stdout)
  const vet = await imgvet(t, ['vet', ref])
  t.true(vet.code === 0 || vet.code === 1, vet.stderr)
  t.true(vet.stdout.split('\n').includes(expected), vet.stdout)

  const wide = await imgvet(t, ['scan', ref, '--max-text-size', '4'])
  t.is(wide.code, 0, wide.stderr)
  t.false(wide.stdout.includes('scanned only in'), wide.stdout)
  t.true(wide.stdout.includes('secret.github-token'))
  t.false(wide.stdout.includes(token))
})

test('--max-text-size is bounded to 1..1024 MiB (exit 2) and offered by registry scan too', async (t) => {
  const {ref} = await layoutWithBigBundle(t)
  for (const bad of ['0', '1025']) {
    const r = await imgvet(t, ['scan', ref, '--max-text-size', bad])
    t.is(r.code, 2, `${bad}: ${r.stderr}`)
    t.regex(r.stderr, /^imgvet: usage: .*max-text-size/m)
  }
  const help = await runCli(['registry', 'scan', '--help'])
  t.is(help.code, 0, help.stderr)
  t.regex(help.stdout, /--max-text-size/)
})
