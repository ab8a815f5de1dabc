import test from 'ava'
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {githubToken} from '../support/fake-secrets.js'
import {harness, type Harness} from './helpers.js'
import type {ImageResult} from '../../src/nightly/types.js'
import {exitCodeFor} from '../../src/nightly/merge.js'
import {ImgvetError} from '../../src/errors.js'

let h: Harness
const token = githubToken()
const pushed: Record<string, string> = {}

test.before(async () => {
  h = await harness('nightly-scan')
  // 6 repositories, so a page size of 2 needs 3 catalog pages.
  for (const r of ['app/one', 'app/two', 'app/three']) pushed[r] = (await h.maker.image(r, 'latest')).digest
  // Two tags, one digest: one image.
  const twin = await h.maker.image('twins', 'v1')
  await h.maker.tag('twins', twin.digest, 'v2')
  pushed.twins = twin.digest
  pushed.leaky = (await h.maker.image('leaky', 'latest', {files: [['app/.env', `GITHUB_TOKEN=${token}\n`]]})).digest
  const multi = await h.maker.multiArch('multi', 'latest')
  pushed['multi/amd64'] = multi.images[0]?.digest ?? ''
  pushed['multi/arm64'] = multi.images[1]?.digest ?? ''
})

test.after.always(async () => {
  await h?.stop()
})

const byRepo = (images: ImageResult[], repo: string) => images.filter((i) => i.repository === repo)

test.serial('catalog pages, tags, every platform of an index (no attestations), shared layers scanned once', async (t) => {
  const r = await h.scan({pageSize: 2, state: join(h.dir, 'first.jsonl'), cacheDir: join(h.dir, 'cache-first')})
  t.deepEqual([...new Set(r.images.map((i) => i.repository))].sort(), ['app/one', 'app/three', 'app/two', 'leaky', 'multi', 'twins'])
  t.deepEqual(r.errors, [])
  // twins:v1 and v2 are one digest, one image with both tags.
  t.deepEqual(byRepo(r.images, 'twins').map((i) => i.tags), [['v1', 'v2']])
  // multi: amd64 and arm64, the unknown/unknown attestation skipped.
  t.deepEqual(byRepo(r.images, 'multi').map((i) => i.platform).sort(), ['linux/amd64', 'linux/arm64'])
  t.is(r.images.length, 7)
  // 2 base layers shared by all 7 images + 7 own layers, but multi's two platforms have the same own layer content
  // (same files): 2 + 6 distinct diffIDs; each scanned exactly once even at concurrency 2.
  t.is(r.stats.uniqueLayers, 8)
  t.is(r.stats.layersScanned, 8)
  t.is(r.stats.layersFromCache, 7 * 3 - 8)
  const leaky = byRepo(r.images, 'leaky')[0]
  t.is(leaky?.verdict, 'fail')
  const secret = leaky?.findings.find((f) => f.path === '/app/.env')
  t.truthy(secret, JSON.stringify(leaky?.findings.map((f) => f.id)))
  t.false(JSON.stringify(r).includes(token), 'a secret appears whole in the report')
  t.is(byRepo(r.images, 'app/one')[0]?.verdict, 'pass')
  t.is(exitCodeFor(r), 1)
  t.is(r.changes.since, null)
})

test.serial('an unchanged second run reuses every verdict: no layer scanned, no blob downloaded', async (t) => {
  const state = join(h.dir, 'reuse.jsonl')
  const cacheDir = join(h.dir, 'cache-reuse')
  const first = await h.scan({state, cacheDir})
  t.true(first.stats.bytesDownloaded > 0)
  const second = await h.scan({state, cacheDir})
  t.is(second.stats.layersScanned, 0)
  t.is(second.stats.layersFromCache, 0)
  t.is(second.stats.bytesDownloaded, 0)
  t.is(second.stats.imagesReused, first.images.length)
  const strip = (images: ImageResult[]) => images.map(({reused: _r, ...rest}) => rest)
  t.deepEqual(strip(second.images), strip(first.images))
  t.deepEqual({...second.changes, since: null}, {since: null, newFindings: [], fixedFindings: [], newImages: [], removedImages: []})
  t.is(second.changes.since, first.run.started)
  const loaded = (await import('../../src/policy/load.js')).parsePolicy(readFileSync(h.policyFile, 'utf8'), h.policyFile)
  // A policy's name is not what it means: renamed, the recorded verdicts stand.
  t.is((await h.scan({state, cacheDir, policy: {...loaded, name: 'renamed'}})).stats.imagesReused, first.images.length)
  // A changed requirement invalidates the recorded verdicts: the images are judged again (layers from the cache).
  const policy = {...loaded, scopes: loaded.scopes.map((s) => ({...s, failOn: 'critical' as const}))}
  const third = await h.scan({state, cacheDir, policy})
  t.is(third.stats.imagesReused, 0)
  t.is(third.stats.layersScanned, 0)
  t.true(third.stats.layersFromCache > 0)
  // The journal was compacted to one run.
  t.is(readFileSync(state, 'utf8').split('\n').filter((l) => l.includes('"t":"run"')).length, 1)
})

test.serial('the same digest in two repositories is walked once and judged per repository', async (t) => {
  const state = join(h.dir, 'copies.jsonl')
  const copy = await fetch(`${h.registry.url}/v2/app/one/manifests/latest`, {headers: {accept: 'application/vnd.oci.image.manifest.v1+json'}})
  const body = Buffer.from(await copy.arrayBuffer())
  // Cross-repository mounts make the blobs visible in the copy, as skopeo copy would.
  const manifest = JSON.parse(body.toString()) as {config: {digest: string}; layers: {digest: string}[]}
  for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    const res = await fetch(`${h.registry.url}/v2/copies/one/blobs/uploads/?mount=${d}&from=app/one`, {method: 'POST'})
    t.is(res.status, 201)
  }
  await h.maker.pusher.manifest('copies/one', 'latest', body, 'application/vnd.oci.image.manifest.v1+json')
  let walked = 0
  const r = await h.scan({state, cacheDir: join(h.dir, 'cache-copies'), repositories: ['app/one', 'copies/*'], onImage: () => walked++})
  t.deepEqual(r.images.map((i) => i.repository), ['app/one', 'copies/one'])
  t.is(r.images[0]?.digest, r.images[1]?.digest)
  t.is(walked, 2)
  t.is(r.stats.layersScanned, 3)
  t.is(r.stats.layersFromCache, 0)
})

test.serial('a broken image among good ones: the others complete, the error is listed, exit code 3', async (t) => {
  const broken = await h.maker.image('broken', 'latest', {files: [['etc/broken.conf', 'this layer will be corrupted on disk\n']]})
  const res = await fetch(`${h.registry.url}/v2/broken/manifests/${broken.digest}`, {headers: {accept: 'application/vnd.oci.image.manifest.v1+json'}})
  const m = (await res.json()) as {layers: {digest: string}[]}
  const own = m.layers.at(-1)?.digest.slice(7) ?? ''
  const dataFile = join(h.registry.storageDir, 'docker/registry/v2/blobs/sha256', own.slice(0, 2), own, 'data')
  const bytes = readFileSync(dataFile)
  bytes[600] = (bytes[600] ?? 0) ^ 0xff
  writeFileSync(dataFile, bytes)
  const r = await h.scan({state: join(h.dir, 'broken.jsonl'), cacheDir: join(h.dir, 'cache-broken')})
  t.is(r.images.length, 8, 'every good image still has a result')
  t.deepEqual(r.errors.map((e) => [e.repository, e.tag, e.code]), [['broken', 'latest', 'integrity']])
  t.regex(r.errors[0]?.reason ?? '', /^integrity: .*broken@sha256:/)
  t.is(exitCodeFor(r), 3)
  // Repair so later tests see a healthy registry.
  bytes[600] = (bytes[600] ?? 0) ^ 0xff
  writeFileSync(dataFile, bytes)
})

test.serial('an interrupted run resumes and scans only what is left', async (t) => {
  const state = join(h.dir, 'resume.jsonl')
  const cacheDir = join(h.dir, 'cache-resume')
  const ac = new AbortController()
  const firstDone: string[] = []
  const first = await h.scan({state, cacheDir, concurrency: 1, signal: ac.signal, onImage: (i) => {
    firstDone.push(`${i.repository}@${i.digest}`)
    if (firstDone.length === 3) ac.abort()
  }})
  t.true(first.run.interrupted)
  t.is(exitCodeFor(first), 3)
  t.is(firstDone.length, 3)
  const secondDone: string[] = []
  const second = await h.scan({state, cacheDir, resume: true, onImage: (i) => secondDone.push(`${i.repository}@${i.digest}`)})
  t.true(second.run.resumed)
  t.false(second.run.interrupted)
  t.is(second.run.started, first.run.started)
  t.deepEqual(secondDone.filter((k) => firstDone.includes(k)), [], 'a finished image was scanned again')
  t.is(second.images.length, firstDone.length + secondDone.length)
  t.is(second.images.length, 9)
  // The journal kept only the finished run.
  t.true(readdirSync(h.dir).includes('resume.jsonl'))
})

test.serial('the next run reports new and fixed findings and new and removed images', async (t) => {
  const state = join(h.dir, 'diff.jsonl')
  const cacheDir = join(h.dir, 'cache-diff')
  const base = await h.scan({state, cacheDir})
  t.is(base.changes.since, null)
  const oldLeaky = byRepo(base.images, 'leaky')[0]
  const oldSecret = oldLeaky?.findings.find((f) => f.path === '/app/.env')
  t.truthy(oldSecret)
  // leaky:latest is rebuilt without the secret; a new repository gets a key; app/three is deleted.
  await h.maker.image('leaky', 'latest', {files: [['app/.env', 'GITHUB_TOKEN=\n']]})
  const fresh = githubToken()
  await h.maker.image('newcomer', 'latest', {files: [['srv/token.txt', `token: ${fresh}\n`]]})
  const del = await fetch(`${h.registry.url}/v2/app/three/manifests/${pushed['app/three']}`, {method: 'DELETE'})
  t.is(del.status, 202)
  const next = await h.scan({state, cacheDir})
  t.is(next.changes.since, base.run.started)
  t.deepEqual(next.changes.fixedFindings.map((c) => [c.repository, c.fingerprint]), [['leaky', oldSecret?.fingerprint]])
  t.true(next.changes.newFindings.some((c) => c.repository === 'newcomer' && c.path === '/srv/token.txt'))
  t.false(next.changes.newFindings.some((c) => c.repository !== 'newcomer'))
  t.deepEqual(next.changes.newImages.map((i) => i.repository).sort(), ['leaky', 'newcomer'])
  t.deepEqual(next.changes.removedImages.map((i) => i.repository).sort(), ['app/three', 'leaky'])
  t.false(JSON.stringify(next).includes(fresh))
})

test.serial('two runs cannot share one state file: a live holder is busy (exit 3), a crashed one is taken over', async (t) => {
  const state = join(h.dir, 'locked.jsonl')
  const lock = `${state}.lock`
  writeFileSync(lock, JSON.stringify({pid: process.pid, host: hostname(), started: '2026-12-01T02:00:00Z'}))
  const err = await t.throwsAsync(h.scan({state, repositories: ['app/one']}), {instanceOf: ImgvetError})
  t.is(err?.code, 'busy')
  t.is(err?.exitCode, 3)
  t.regex(err?.oneLine() ?? '', new RegExp(`busy: another registry scan is using this state file \\(pid ${process.pid} on `))
  t.false(existsSync(state), 'the refused run wrote nothing')
  t.true(existsSync(lock), 'the holder keeps its lock')

  // A pid that has exited: its run crashed without releasing the lock.
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'})
  writeFileSync(lock, JSON.stringify({pid: Number(gone.stdout), host: hostname(), started: '2026-12-01T02:00:00Z'}))
  const r = await h.scan({state, repositories: ['app/one']})
  t.is(r.images.length, 1)
  t.false(existsSync(lock), 'released when the run ends')
})
