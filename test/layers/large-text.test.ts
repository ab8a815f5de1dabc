import test from 'ava'
import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {LayerCache} from '../../src/cache/layer-cache.js'
import {FILE_CHECKS} from '../../src/checks/index.js'
import type {Finding} from '../../src/findings/finding.js'
import {expectedFingerprint} from '../support/fingerprint.js'
import {walkImage} from '../../src/layers/walk.js'
import {WINDOW_OVERLAP} from '../../src/layers/windows.js'
import {LayerWorkerPool} from '../../src/layers/worker-pool.js'
import {scanLoadedImage} from '../../src/pipeline/scan.js'
import {githubToken, highEntropy} from '../support/fake-secrets.js'
import {imageOf, makeTar, type LayerSpec} from './helpers.js'

const MiB = 1024 * 1024
const PATH = '/app/dist/bundle.js'
const LINE = '/* 00000000 the quick brown fox jumps over the lazy dog, twice */\n'

/** Text of exactly `size` bytes: short lines, or one long minified line when `oneLine`. */
function filler(size: number, oneLine = false): Buffer {
  const unit = oneLine ? LINE.replace('\n', ' ') : LINE
  return Buffer.from(unit.repeat(Math.ceil(size / unit.length)).slice(0, size))
}

/** The 1-based line of byte `at`. */
function lineAt(content: Buffer, at: number): number {
  let line = 1
  for (let i = content.indexOf(10); i !== -1 && i < at; i = content.indexOf(10, i + 1)) line++
  return line
}

/** `text` with `secret` written over it at byte `at` (a space either side, so it stands as a word), and its line. */
function plant(text: Buffer, at: number, secret: string): {content: Buffer; line: number} {
  const content = Buffer.from(text)
  content.write(` ${secret} `, at - 1, 'latin1')
  return {content, line: lineAt(content, at)}
}

async function imageWith(content: Buffer, compression: LayerSpec['compression'] = 'gzip') {
  return imageOf([{tar: await makeTar([{name: PATH.slice(1), content}]), compression}])
}

function tokenFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.id === 'secret.github-token' && f.path === PATH)
}

function cacheDir(t: {teardown: (fn: () => void) => void}): string {
  const dir = mkdtempSync(join(process.env['IMGVET_TEST_TMP'] ?? tmpdir(), 'imgvet-large-text-'))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

test('a token at 2.5 MiB of a 3 MiB text file: missed and counted as partial by default, found at its line with a 4 MiB cap', async (t) => {
  const {content, line} = plant(filler(3 * MiB), 2.5 * MiB, githubToken())
  t.true(line > 30_000, 'the token sits deep in the file')
  const {image} = await imageWith(content)

  const byDefault = await scanLoadedImage(image, {pool: null})
  t.deepEqual(tokenFindings(byDefault.findings), [])
  t.is(byDefault.walk.stats.partialTextFiles, 1)
  t.deepEqual(byDefault.walk.stats.partialTextExamples, [{path: PATH, size: 3 * MiB, layer: 0}])
  t.is(byDefault.walk.stats.maxTextBytes, MiB)

  const twoMiB = await scanLoadedImage(image, {pool: null, maxTextBytes: 2 * MiB})
  t.deepEqual(tokenFindings(twoMiB.findings), [], 'the token lies past a 2 MiB cap')
  t.is(twoMiB.walk.stats.partialTextFiles, 1)

  const wide = await scanLoadedImage(image, {pool: null, maxTextBytes: 4 * MiB})
  const found = tokenFindings(wide.findings)
  t.is(found.length, 1)
  t.is(found[0]?.line, line)
  t.is(found[0]?.layer?.index, 0)
  t.is(wide.walk.stats.partialTextFiles, 0)
  t.deepEqual(wide.walk.stats.partialTextExamples, [])
})

test('a token straddling the end of the first window, and one inside the overlap, are each found exactly once', async (t) => {
  const across = githubToken()
  const inside = githubToken()
  // And one across the second window's end, which the third window sees whole.
  const third = githubToken()
  const places = [MiB - 20, MiB - WINDOW_OVERLAP / 2, 2 * MiB - WINDOW_OVERLAP - 10]
  let content = filler(3 * MiB)
  for (const [i, s] of [across, inside, third].entries()) content = plant(content, places[i] ?? 0, s).content
  const {image} = await imageWith(content)
  const r = await scanLoadedImage(image, {pool: null, maxTextBytes: 3 * MiB})
  const found = tokenFindings(r.findings)
  t.is(found.length, 3, found.map((f) => `${f.line}`).join(' '))
  t.deepEqual(found.map((f) => f.line).sort((a, b) => (a ?? 0) - (b ?? 0)), places.map((at) => lineAt(content, at)).sort((a, b) => a - b))
  t.is(new Set(found.map((f) => f.fingerprint)).size, 3)
  t.is(r.walk.stats.partialTextFiles, 0, 'the whole file was read')
  t.deepEqual(r.findings.filter((f) => f.path === PATH && f.id !== 'secret.github-token').map((f) => f.id), [], 'no cut-off fragment is reported')
})

test('the last window before the cap keeps findings on its unfinished last line (no window follows to see them)', async (t) => {
  const token = githubToken()
  // A line of its own from 300 bytes before the 2 MiB cap to 300 after; the token ends before the cap.
  const text = filler(3 * MiB)
  text.fill('x', 2 * MiB - 300, 2 * MiB + 300)
  const {content, line} = plant(text, 2 * MiB - 50, token)
  const {image} = await imageWith(content)
  const r = await scanLoadedImage(image, {pool: null, maxTextBytes: 2 * MiB})
  t.deepEqual(tokenFindings(r.findings).map((f) => f.line), [line])
  t.is(r.walk.stats.partialTextFiles, 1)
})

test('an assignment cut by the end of a window is reported once, with its whole value, not a cut-off part', async (t) => {
  const value = highEntropy(40)
  // Quoted: the file is JavaScript, where a bare right-hand side is an expression, not a value.
  const line = `db_password="${value}"`
  // The value starts 20 bytes before the first window ends: that window holds only half of it.
  const at = MiB - 20 - 'db_password="'.length
  const content = filler(3 * MiB)
  content.write(`\n${line}\n`, at - 1, 'latin1')
  const {image} = await imageWith(content)
  const r = await scanLoadedImage(image, {pool: null, maxTextBytes: 3 * MiB})
  const found = r.findings.filter((f) => f.path === PATH && f.id === 'secret.generic-assignment')
  t.is(found.length, 1, found.map((f) => f.evidence).join(' | '))
  t.is(found[0]?.line, lineAt(content, at))
  t.is(found[0]?.fingerprint, expectedFingerprint('secret.generic-assignment', PATH, value), 'the whole value, as the next window sees it')
})

test('a minified bundle (one 3 MiB line): a token in a window overlap is reported once, on line 1', async (t) => {
  const token = githubToken()
  const {content, line} = plant(filler(3 * MiB, true), MiB - 100, token)
  t.is(line, 1)
  const deep = plant(content, 2.5 * MiB, githubToken())
  const {image} = await imageWith(deep.content)
  const r = await scanLoadedImage(image, {pool: null, maxTextBytes: 3 * MiB})
  const found = tokenFindings(r.findings)
  t.is(found.length, 2)
  t.true(found.every((f) => f.line === 1))
})

test('a private key crossing a window boundary is found once, at the line of its BEGIN', async (t) => {
  const pem = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  t.true(pem.length < WINDOW_OVERLAP)
  const base = filler(3 * MiB)
  const at = MiB - 700
  const content = Buffer.concat([base.subarray(0, at), Buffer.from(`\n${pem}`), base.subarray(at + pem.length + 1)])
  const line = lineAt(content, at + 1)
  const {image} = await imageWith(content)
  const r = await scanLoadedImage(image, {pool: null, maxTextBytes: 4 * MiB})
  const keys = r.findings.filter((f) => f.path === PATH && f.category === 'private-key')
  t.is(keys.length, 1, keys.map((f) => f.id).join(' '))
  t.is(keys[0]?.line, line)
  t.is(r.walk.keySightings.filter((k) => k.path === PATH).length, 1, 'one key sighting, not one per window')
})

test('binary is judged on the first window only: a later NUL does not hide a token, an ELF is never partial text', async (t) => {
  const token = githubToken()
  const text = plant(filler(3 * MiB), 2.5 * MiB, token)
  text.content[1.5 * MiB] = 0
  const elf = plant(filler(3 * MiB), 2.5 * MiB, githubToken())
  elf.content.set([0x7f, 0x45, 0x4c, 0x46], 0)
  const {image} = await imageOf([{tar: await makeTar([{name: 'app/dist/bundle.js', content: text.content}, {name: 'app/bin/tool', content: elf.content}])}])
  const r = await scanLoadedImage(image, {pool: null, maxTextBytes: 4 * MiB})
  t.deepEqual(tokenFindings(r.findings).map((f) => f.line), [text.line])
  t.deepEqual(r.findings.filter((f) => f.path === '/app/bin/tool').map((f) => f.id), [])
  const capped = await scanLoadedImage(image, {pool: null})
  t.deepEqual(capped.walk.stats.partialTextExamples.map((f) => f.path), [PATH], 'the binary is not counted as partial text')
})

test('worker threads get the cap in their start message: same result as in this thread', async (t) => {
  const {content, line} = plant(filler(3 * MiB), 2.5 * MiB, githubToken())
  // Uncompressed, so the layer is above the size from which the walk hands layers to the pool.
  const {image} = await imageWith(content, 'none')
  const layer = image.layers[0]
  if (!layer) return t.fail('no layer')
  t.true(layer.descriptor.size >= MiB)
  const pool = new LayerWorkerPool(1)
  try {
    const direct = await pool.scan(layer, image.name, 1024 ** 3, 4 * MiB)
    t.deepEqual(direct.findings.filter((f) => f.id === 'secret.github-token').map((f) => f.line), [line])
    t.is(direct.partial, 0)
    const capped = await pool.scan(layer, image.name, 1024 ** 3)
    t.deepEqual(capped.findings.filter((f) => f.id === 'secret.github-token'), [])
    t.deepEqual([capped.partial, capped.partialFiles], [1, [{path: PATH, size: 3 * MiB}]])

    const viaWalk = await scanLoadedImage(image, {pool, maxTextBytes: 4 * MiB})
    const inThread = await scanLoadedImage(image, {pool: null, maxTextBytes: 4 * MiB})
    t.deepEqual(viaWalk.findings, inThread.findings)
    t.is(tokenFindings(viaWalk.findings)[0]?.line, line)
    const viaWalkCapped = await scanLoadedImage(image, {pool})
    t.is(viaWalkCapped.walk.stats.partialTextFiles, 1)
  } finally {
    await pool.close()
  }
})

test('the layer cache keeps results per cap: a 1 MiB result is not served for 4 MiB, and partial counts survive the cache', async (t) => {
  const cache = new LayerCache(cacheDir(t))
  const {content, line} = plant(filler(3 * MiB), 2.5 * MiB, githubToken())
  const {image} = await imageWith(content)
  const small = await walkImage(image, {checks: FILE_CHECKS, cache})
  t.is(small.stats.layersScanned, 1)
  t.deepEqual(tokenFindings(small.findings), [])

  const wide = await walkImage(image, {checks: FILE_CHECKS, cache, maxTextBytes: 4 * MiB})
  t.is(wide.stats.layersFromCache, 0, 'the result made with a 1 MiB cap is not served for 4 MiB')
  t.is(wide.stats.layersScanned, 1)
  t.deepEqual(tokenFindings(wide.findings).map((f) => f.line), [line])

  const wideAgain = await walkImage(image, {checks: FILE_CHECKS, cache, maxTextBytes: 4 * MiB})
  t.is(wideAgain.stats.layersFromCache, 1)
  t.deepEqual(tokenFindings(wideAgain.findings).map((f) => f.line), [line])
  t.is(wideAgain.stats.partialTextFiles, 0)

  const smallAgain = await walkImage(image, {checks: FILE_CHECKS, cache})
  t.is(smallAgain.stats.layersFromCache, 1)
  t.deepEqual(tokenFindings(smallAgain.findings), [])
  t.is(smallAgain.stats.partialTextFiles, 1)
  t.deepEqual(smallAgain.stats.partialTextExamples, [{path: PATH, size: 3 * MiB, layer: 0}])
})

test('files within the cap are read whole in one piece, as before: no window, no partial', async (t) => {
  const token = githubToken()
  const {content, line} = plant(filler(900 * 1024), 800 * 1024, token)
  const {image} = await imageWith(content)
  const r = await scanLoadedImage(image, {pool: null, maxTextBytes: 8 * MiB})
  t.deepEqual(tokenFindings(r.findings).map((f) => f.line), [line])
  t.is(r.walk.stats.partialTextFiles, 0)
})
