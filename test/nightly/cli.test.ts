import test from 'ava'
import {spawn} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, request, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {run} from '../support/exec.js'
import {githubToken} from '../support/fake-secrets.js'
import {harness, type Harness} from './helpers.js'
import type {ImageResult, RunReport} from '../../src/nightly/types.js'
import {ensureBuilt} from '../support/build.js'

/** Command tests go through the compiled CLI, the way users and CI jobs run it. */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
const BIN = join(ROOT, 'bin/run.js')
let built = false
let h: Harness
let proxy: Server
let slowHost = ''
const REPOS = ['alpha', 'beta', 'gamma', 'delta/one', 'delta/two', 'epsilon', 'zeta', 'eta']

test.before(async () => {
  await ensureBuilt()
  built = existsSync(join(ROOT, 'dist/commands/registry/scan.js')) && existsSync(join(ROOT, 'dist/commands/registry/merge.js'))
  h = await harness('nightly-cli')
  for (const r of REPOS) await h.maker.image(r, 'latest')
  await h.maker.image('leaky', 'v1', {files: [['root/.git-credentials', `https://bot:${githubToken()}@github.com\n`]]})
  await h.maker.multiArch('multi', '1.0')
  // A slow loopback proxy in front of the registry, so a run can be killed half way through.
  const upstream = new URL(h.registry.url)
  proxy = createServer((req, res) => {
    const up = request({host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers}, (ur) => {
      setTimeout(() => {
        res.writeHead(ur.statusCode ?? 502, ur.headers)
        ur.pipe(res)
      }, /\/blobs\//.test(req.url ?? '') ? 120 : 0)
    })
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
  slowHost = `127.0.0.1:${(proxy.address() as AddressInfo).port}`
})

test.after.always(async () => {
  proxy?.close()
  await h?.stop()
})

const imgvet = (...args: string[]) => run('node', [BIN, ...args], {cwd: ROOT, allowFail: true, env: {...process.env, XDG_STATE_HOME: join(h.dir, 'xdg-state'), XDG_CACHE_HOME: join(h.dir, 'xdg-cache')}})
const comparable = (images: ImageResult[]) => images.map(({evaluatedAt: _e, reused: _r, ...rest}) => rest)

test.serial('scan: JSON report shape, exit 1 when an image fails the policy, default state location', async (t) => {
  t.true(built, 'tsc did not produce dist/commands/registry')
  const out = join(h.dir, 'full.json')
  const r = await imgvet('registry', 'scan', h.registry.host, '--policy', h.policyFile, '--format', 'json', '-o', out)
  t.is(r.code, 1, r.stderr)
  const report = JSON.parse(readFileSync(out, 'utf8')) as RunReport
  t.deepEqual(Object.keys(report).sort(), ['changes', 'errors', 'images', 'run', 'schemaVersion', 'stats'])
  t.deepEqual(Object.keys(report.changes).sort(), ['fixedFindings', 'newFindings', 'newImages', 'removedImages', 'since'])
  t.is(report.images.length, REPOS.length + 1 + 2)
  t.is(report.images.find((i) => i.repository === 'leaky')?.verdict, 'fail')
  t.true(existsSync(join(h.dir, 'xdg-state', 'imgvet', `${h.registry.host.replace(':', '_')}.jsonl`)))
  t.regex(r.stderr, /11 images \(0 unchanged\), 1 failing, 0 could not be scanned/)
})

test.serial('shard i/N jobs merged equal one unsharded run; bad shard is exit 2', async (t) => {
  t.true(built)
  const full = join(h.dir, 'unsharded.json')
  t.is((await imgvet('registry', 'scan', h.registry.host, '--policy', h.policyFile, '--state', join(h.dir, 'u.jsonl'), '-o', full)).code, 1)
  const parts: string[] = []
  const seen = new Set<string>()
  for (let i = 0; i < 3; i++) {
    const f = join(h.dir, `shard-${i}.json`)
    const r = await imgvet('registry', 'scan', h.registry.host, '--policy', h.policyFile, '--shard', `${i}/3`, '--state', join(h.dir, `s${i}.jsonl`), '-o', f)
    t.true(r.code === 0 || r.code === 1, r.stderr)
    const part = JSON.parse(readFileSync(f, 'utf8')) as RunReport
    t.is(part.run.shard, `${i}/3`)
    for (const img of part.images) {
      t.false(seen.has(img.repository), `${img.repository} in two shards`)
    }
    for (const img of part.images) seen.add(img.repository)
    parts.push(f)
  }
  const merged = join(h.dir, 'merged.json')
  const m = await imgvet('registry', 'merge', ...parts, '-o', merged)
  t.is(m.code, 1, m.stderr)
  const a = JSON.parse(readFileSync(full, 'utf8')) as RunReport
  const b = JSON.parse(readFileSync(merged, 'utf8')) as RunReport
  t.deepEqual(comparable(b.images), comparable(a.images))
  t.deepEqual(b.errors, a.errors)
  t.is(b.stats.uniqueLayers, a.stats.uniqueLayers)
  t.is(b.stats.images, a.stats.images)
  t.is(b.run.shard, null)
  const html = await imgvet('registry', 'merge', ...parts, '--format', 'html', '-o', join(h.dir, 'merged.html'))
  t.is(html.code, 1)
  t.regex(readFileSync(join(h.dir, 'merged.html'), 'utf8'), /<table id="images"/)
  const bad = await imgvet('registry', 'scan', h.registry.host, '--shard', '3/3')
  t.is(bad.code, 2)
  t.regex(bad.stderr, /usage: invalid --shard/)
  const notJson = await imgvet('registry', 'merge', h.policyFile)
  t.is(notJson.code, 2)
  t.regex(notJson.stderr, /bad-input/)
})

/** Exit 3 and exactly one line on stderr that matches `re`. */
type Asserts = {is: (a: unknown, b: unknown, m?: string) => void; regex: (s: string, r: RegExp) => void}
function refused(t: Asserts, r: {code: number; stderr: string}, re: RegExp): void {
  t.is(r.code, 3, r.stderr)
  t.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
  t.regex(r.stderr, re)
}

test.serial('merge refuses an incomplete or mixed set of shards (exit 3); --allow-partial merges and says partial', async (t) => {
  t.true(built)
  // Written by the real `registry scan --shard i/3` runs of the test above.
  const [s0, s1, s2] = [0, 1, 2].map((i) => join(h.dir, `shard-${i}.json`)) as [string, string, string]
  const out = join(h.dir, 'refused.json')
  refused(t, await imgvet('registry', 'merge', s0, s2, '-o', out), /^imgvet: incomplete: missing shard 1\/3 \(have 0\/3, 2\/3\)/)
  t.false(existsSync(out), 'no report is written for a refused merge')
  refused(t, await imgvet('registry', 'merge', s0, s1, s2, s1), /^imgvet: incomplete: shard 1\/3 given twice/)
  const scanShard = async (name: string, shard: string, policy = h.policyFile) => {
    const f = join(h.dir, name)
    const state = join(h.dir, `${name}.jsonl`)
    const r = await imgvet('registry', 'scan', h.registry.host, '--policy', policy, '--shard', shard, '--state', state, '-o', f)
    t.true(r.code === 0 || r.code === 1, r.stderr)
    return f
  }
  const otherN = await scanShard('other-n.json', '1/2')
  refused(t, await imgvet('registry', 'merge', s0, s1, otherN), /^imgvet: inconsistent: shards of different N: N=3 .*N=2 /)
  // The same policy name with another meaning judged that shard differently.
  const stricter = join(h.dir, 'stricter.yaml')
  writeFileSync(stricter, readFileSync(h.policyFile, 'utf8').replace(/failOn: high\n/, 'failOn: low\n'))
  const otherPolicy = await scanShard('other-policy.json', '2/3', stricter)
  refused(t, await imgvet('registry', 'merge', s0, s1, otherPolicy), /^imgvet: inconsistent: shards of different policies/)
  // The same registry reached under another name is another registry to the reports (and to their references).
  const viaProxy = join(h.dir, 'other-registry.json')
  const proxyState = join(h.dir, 'proxy.jsonl')
  const pr = await imgvet('registry', 'scan', slowHost, '--policy', h.policyFile, '--shard', '2/3', '--state', proxyState, '-o', viaProxy)
  t.true(pr.code === 0 || pr.code === 1, pr.stderr)
  refused(t, await imgvet('registry', 'merge', s0, s1, viaProxy), /^imgvet: inconsistent: shards of different registries/)

  const partial = join(h.dir, 'partial.json')
  const m = await imgvet('registry', 'merge', s0, s2, '--allow-partial', '-o', partial)
  const report = JSON.parse(readFileSync(partial, 'utf8')) as RunReport
  const parts = [s0, s2].map((f) => JSON.parse(readFileSync(f, 'utf8')) as RunReport)
  t.is(m.code, parts.some((p) => p.images.some((i) => i.verdict === 'fail')) ? 1 : 0, m.stderr)
  t.regex(m.stderr, /partial merge: shard 1\/3 missing/)
  t.true(report.run.partial)
  t.deepEqual(report.run.missingShards, ['1/3'])
  t.is(report.run.shard, '0/3,2/3')
  t.is(report.images.length, parts[0]!.images.length + parts[1]!.images.length)
  const html = join(h.dir, 'partial.html')
  await imgvet('registry', 'merge', s0, s2, '--allow-partial', '--format', 'html', '-o', html)
  t.regex(readFileSync(html, 'utf8'), /id="partial">\(partial: shards 1\/3 missing/)
  // The partial merge and the shard it lacked make the whole again.
  const whole = await imgvet('registry', 'merge', partial, s1, '-o', join(h.dir, 'whole.json'))
  t.is(whole.code, 1, whole.stderr)
  const w = JSON.parse(readFileSync(join(h.dir, 'whole.json'), 'utf8')) as RunReport
  t.is(w.run.partial, undefined)
  t.is(w.run.shard, null)
})

test.serial('kill -9 half way, then --resume finishes only what is left', async (t) => {
  t.true(built)
  const state = join(h.dir, 'killed.jsonl')
  const cache = join(h.dir, 'killed-cache')
  const child = spawn('node', [BIN, 'registry', 'scan', slowHost, '--policy', h.policyFile, '--state', state, '--cache-dir', cache, '--concurrency', '1', '-o', join(h.dir, 'killed.json')], {cwd: ROOT, stdio: 'ignore'})
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  const imageLines = () => (existsSync(state) ? readFileSync(state, 'utf8').split('\n').filter((l) => l.includes('"t":"image"')).length : 0)
  const deadline = Date.now() + 60_000
  while (imageLines() < 2 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 5))
  child.kill('SIGKILL')
  await exited
  const recorded = imageLines()
  t.true(recorded >= 2 && recorded < 11, `recorded ${recorded} images before the kill`)
  t.false(readFileSync(state, 'utf8').includes('"t":"end"'))
  const out = join(h.dir, 'resumed.json')
  const r = await imgvet('registry', 'scan', slowHost, '--policy', h.policyFile, '--state', state, '--cache-dir', cache, '--resume', '-o', out)
  t.is(r.code, 1, r.stderr)
  const report = JSON.parse(readFileSync(out, 'utf8')) as RunReport
  t.true(report.run.resumed)
  t.is(report.images.length, 11)
  // Only the images the killed run had not recorded were walked: each has 3 layers, the shared two from cache.
  t.true(report.stats.layersScanned + report.stats.layersFromCache <= (11 - recorded) * 3, JSON.stringify(report.stats))
  const journal = readFileSync(state, 'utf8').trim().split('\n')
  t.is(journal.filter((l) => l.includes('"t":"run"')).length, 1)
  t.true(journal.at(-1)?.includes('"t":"end"'))
})
