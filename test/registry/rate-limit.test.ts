import test, {type ExecutionContext} from 'ava'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {ImgvetError} from '../../src/errors.js'
import {parseRateLimit, PullBudget} from '../../src/registry/rate-limit.js'
import {runCli, tempDir, type CliResult} from '../support/cli.js'
import {OCI_INDEX} from '../support/hostile-image.js'
import {buildValidImage, HUB_PULL_LIMIT_BODY, sha256, startHostileRegistry, type HostileOptions, type HostileRegistry,
  type TestArtifact, type TestImage} from '../support/hostile-registry.js'

const headers = (h: Record<string, string>) => ({get: (n: string) => h[n] ?? null})

test('ratelimit headers as Docker Hub sends them are read; absent or malformed ones mean no known limit', (t) => {
  t.deepEqual(parseRateLimit(headers({'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600'})),
    {limit: 100, remaining: 76, windowSeconds: 21600})
  t.deepEqual(parseRateLimit(headers({'ratelimit-remaining': '3'})), {limit: 3, remaining: 3})
  t.is(parseRateLimit(headers({})), null, 'unlimited callers get no headers')
  t.is(parseRateLimit(headers({'ratelimit-remaining': 'many;w=1'})), null)
  t.is(parseRateLimit(headers({'ratelimit-remaining': '-1'})), null)
})

/** A budget as a registry last announced it, with a sleep that records instead of waiting. */
function budget(remaining: string, reserve = 0): {b: PullBudget; slept: number[]; lines: string[]} {
  const b = new PullBudget()
  const slept: number[] = []
  const lines: string[] = []
  b.configure({reserve, wait: {notify: (l) => lines.push(l), sleep: async (ms) => void slept.push(ms)}})
  b.observe(headers({'ratelimit-limit': `100;${remaining.split(';')[1] ?? ''}`, 'ratelimit-remaining': remaining}))
  return {b, slept, lines}
}

test('--min-rate-remaining: a GET that would leave fewer than the reserve stops, with the reserve named', (t) => {
  const b = new PullBudget()
  b.configure({reserve: 3})
  b.observe(headers({'ratelimit-remaining': '5;w=21600'}))
  t.notThrows(() => b.require(2, 'reg/app'))
  const e = t.throws(() => b.require(3, 'reg/app'), {instanceOf: ImgvetError})
  t.is(e?.code, 'rate-limited')
  t.regex(e?.message ?? '', /needs 3 manifest pulls, keeping 3 in reserve, the registry allows 5 of 5/)
})

test('--wait-rate-limit: too small a budget sleeps one window, says so in one line, then trusts the registry again',
  async (t) => {
  const {b, slept, lines} = budget('0;w=21600')
  await b.ready(1, 'reg/app')
  t.deepEqual(slept, [21_600_000])
  t.deepEqual(lines, ['rate limit: 0 of 100 manifest pulls left per 6 h; waiting 21600 s for the window to pass (reg/app)'])
  await b.ready(1, 'reg/app')
  t.is(slept.length, 1, 'nothing known after the wait: the next answer tells')
})

test('--wait-rate-limit refuses a window over 6 h, and one it cannot know, without sleeping', async (t) => {
  const long = budget('0;w=21601')
  const e = await t.throwsAsync(long.b.ready(1, 'reg/app'), {instanceOf: ImgvetError})
  t.is(e?.code, 'rate-limited')
  t.regex(e?.message ?? '', /refuses to wait the 21601 s window, over the 6 h cap$/)
  const unknown = budget('0')
  await t.throwsAsync(unknown.b.ready(1, 'reg/app'), {message: /cannot wait: the registry names no window/})
  t.deepEqual([...long.slept, ...unknown.slept, ...long.lines, ...unknown.lines], [])
})

test('without --wait-rate-limit, ready stops as require does; a budget that fits never waits', async (t) => {
  const b = new PullBudget()
  b.observe(headers({'ratelimit-remaining': '0;w=2'}))
  await t.throwsAsync(b.ready(1, 'reg/app'), {message: /the registry allows 0 of 0 manifest pulls left per 2 s/})
  const fits = budget('4;w=2', 1)
  await fits.b.ready(3, 'reg/app')
  t.deepEqual(fits.slept, [])
})

/** An OCI index over `children`, held as the repository's image; the children are served by digest. */
function indexOf(children: TestImage[]): {image: TestImage; artifacts: TestArtifact[]} {
  const manifests = children.map((c, i) => ({mediaType: c.manifestMediaType, digest: c.manifestDigest, size: c.manifest.length,
    platform: {os: 'linux', architecture: i === 0 ? 'amd64' : 'arm64'}}))
  const manifest = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: OCI_INDEX, manifests}))
  const [first] = children
  if (!first) throw new Error('an index needs a child')
  const blobs = new Map(children.flatMap((c) => [...c.blobs]))
  return {
    image: {...first, manifest, manifestDigest: sha256(manifest), manifestMediaType: OCI_INDEX, blobs},
    artifacts: children.map((c) => ({manifest: c.manifest, manifestDigest: c.manifestDigest, manifestMediaType: c.manifestMediaType,
      artifactType: '', subject: '', blobs: c.blobs})),
  }
}

async function hub(t: ExecutionContext, opts: HostileOptions): Promise<HostileRegistry> {
  const h = await startHostileRegistry(opts)
  t.teardown(() => h.stop())
  return h
}

const manifestCalls = (h: HostileRegistry, method: string) => h.requests.filter((r) => r.method === method && r.url.includes('/manifests/'))

async function pull(t: ExecutionContext, h: HostileRegistry, repo: string, extra: string[] = []): Promise<CliResult & {dir: string}> {
  const dir = join(tempDir(t, 'imgvet-hub'), 'layout')
  return {...(await runCli(['pull', `${h.host}/${repo}:latest`, '-o', dir, '--timeout', '20', ...extra])), dir}
}

function assertRateLimited(t: ExecutionContext, r: CliResult, pattern: RegExp): void {
  t.is(r.code, 3, r.stderr)
  const lines = r.stderr.trimEnd().split('\n')
  t.is(lines.length, 1, r.stderr)
  t.regex(lines[0] ?? '', /^imgvet: rate-limited: /)
  t.regex(lines[0] ?? '', pattern)
}

test('a tag is resolved by HEAD (free on Hub), and each manifest is fetched by GET once', async (t) => {
  const rateLimit = {limit: 100, remaining: 5}
  const h = await hub(t, {rateLimit})
  const r = await pull(t, h, 'hostile/valid')
  t.is(r.code, 0, r.stderr)
  t.deepEqual(manifestCalls(h, 'HEAD').map((q) => q.url), ['/v2/hostile/valid/manifests/latest'])
  t.deepEqual(manifestCalls(h, 'GET').map((q) => q.url), [`/v2/hostile/valid/manifests/${h.images['hostile/valid']?.manifestDigest}`])
  t.is(rateLimit.remaining, 4, 'one pull spent')
})

test('with no budget left the run stops after the free HEAD: no manifest GET, no blob, exit 3', async (t) => {
  const h = await hub(t, {rateLimit: {limit: 100, remaining: 0}})
  const r = await pull(t, h, 'hostile/valid')
  assertRateLimited(t, r, /needs 1 manifest pull, the registry allows 0 of 100 manifest pulls left per 6 h/)
  t.is(manifestCalls(h, 'GET').length, 0)
  t.false(h.requests.some((q) => q.url.includes('/blobs/')))
  t.false(existsSync(join(r.dir, 'index.json')))
})

test('an index needs itself and an image: one pull left is too little, and nothing is spent', async (t) => {
  const {image, artifacts} = indexOf([await buildValidImage()])
  const h = await hub(t, {images: {'hub/multi': image}, artifacts: {'hub/multi': artifacts}, rateLimit: {limit: 100, remaining: 1}})
  const r = await pull(t, h, 'hub/multi')
  assertRateLimited(t, r, /needs 2 manifest pulls, the registry allows 1 of 100/)
  t.is(manifestCalls(h, 'GET').length, 0)
})

test('--all-platforms: after the index the run knows it needs one GET per platform, and stops if they do not fit', async (t) => {
  const children = [await buildValidImage(), await buildValidImage({'arm.txt': 'arm64\n'})]
  const {image, artifacts} = indexOf(children)
  const rateLimit = {limit: 100, remaining: 2}
  const h = await hub(t, {images: {'hub/multi': image}, artifacts: {'hub/multi': artifacts}, rateLimit})
  const r = await pull(t, h, 'hub/multi', ['--all-platforms'])
  assertRateLimited(t, r, /needs 2 manifest pulls, the registry allows 1 of 100/)
  t.deepEqual(manifestCalls(h, 'GET').map((q) => q.url), [`/v2/hub/multi/manifests/${image.manifestDigest}`], 'only the index')
  t.is(rateLimit.remaining, 1)

  // The same pull with the budget for it goes through.
  rateLimit.remaining = 3
  const ok = await pull(t, h, 'hub/multi', ['--all-platforms'])
  t.is(ok.code, 0, ok.stderr)
  t.is(rateLimit.remaining, 0)
})

test("Hub's pull-limit 429 is final: one GET, no retry, exit 3 with the limit named", async (t) => {
  // The budget looked fine on HEAD; someone else on the same address spent it before our GET.
  const h = await hub(t, {rules: [{target: 'manifest', method: 'GET', misbehave: {kind: 'status', status: 429, retryAfter: '1', body: HUB_PULL_LIMIT_BODY}}]})
  const started = Date.now()
  const r = await pull(t, h, 'hostile/valid')
  assertRateLimited(t, r, /pull rate limit reached; not retried/)
  t.is(manifestCalls(h, 'GET').length, 1)
  t.true(Date.now() - started < 15_000)
})

test('a 429 of an exhausted budget (ratelimit-remaining 0) is final too, and says what is left', async (t) => {
  const h = await hub(t, {rateLimit: {limit: 200, remaining: 0}})
  // By digest there is no HEAD to learn the budget from: the GET meets the 429.
  const digest = h.images['hostile/valid']?.manifestDigest ?? ''
  const dir = join(tempDir(t, 'imgvet-hub'), 'layout')
  const r = await runCli(['pull', `${h.host}/hostile/valid@${digest}`, '-o', dir, '--timeout', '20'])
  assertRateLimited(t, r, /pull rate limit reached \(0 of 200 manifest pulls left per 6 h\)/)
  t.is(manifestCalls(h, 'GET').length, 1)
})

test('any other 429 (an abuse limit, a proxy) keeps its Retry-After retries and then succeeds', async (t) => {
  const h = await hub(t, {rules: [{target: 'manifest', method: 'GET', times: 2, misbehave: {kind: 'status', status: 429, retryAfter: '0'}}]})
  const r = await pull(t, h, 'hostile/valid')
  t.is(r.code, 0, r.stderr)
  t.is(manifestCalls(h, 'GET').length, 3, 'two 429s, then the answer')
})

test('scan (as vet) takes every platform: the budget is checked for all of them before the first GET of one', async (t) => {
  const {image, artifacts} = indexOf([await buildValidImage(), await buildValidImage({'arm.txt': 'arm64\n'})])
  const h = await hub(t, {images: {'hub/multi': image}, artifacts: {'hub/multi': artifacts}, rateLimit: {limit: 100, remaining: 2}})
  const r = await runCli(['scan', `${h.host}/hub/multi:latest`, '--no-cache', '--timeout', '20'])
  assertRateLimited(t, r, /needs 2 manifest pulls, the registry allows 1 of 100/)
  t.deepEqual(manifestCalls(h, 'GET').map((q) => q.url), [`/v2/hub/multi/manifests/${image.manifestDigest}`], 'only the index')
})
