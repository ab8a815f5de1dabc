import test, {type ExecutionContext} from 'ava'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {startRegistry, type RunningRegistry} from '../support/registry.js'
import {startPushProxy, type PushProxy} from '../support/hostile-push.js'
import {startHostileRegistry, type HostileRegistry} from '../support/hostile-registry.js'
import {ensureBuilt} from '../support/build.js'
import {makeTempDir} from '../support/tmp.js'
import {runCli} from '../support/cli.js'

// adopt against a source announcing Docker Hub's pull budget (the hostile registry's ratelimit headers: every
// manifest GET spends one). Adopting its one-image repository asks 4 manifest GETs: discovery 1, vet 2 (the image
// and its referrers tag), and the proof 1, which the plan makes sure of before the first write. The destination is
// a real CNCF registry behind a recording proxy, so every write it got is counted.
let dst: RunningRegistry
let proxy: PushProxy
const dir = makeTempDir('adopt-rate-limit')
const policy = join(dir, 'policy.yaml')

test.before(async () => {
  dst = await startRegistry({mode: 'plain'})
  proxy = await startPushProxy(dst.url)
  writeFileSync(policy, ['version: 1', 'name: unsigned', 'scopes:', "  - match: '**'", '    failOn: critical',
    '    user: {nonRoot: false}', ''].join('\n'))
  await ensureBuilt()
})
test.after.always(async () => {
  await proxy?.stop()
  await dst?.stop()
})

async function hub(t: ExecutionContext, rateLimit: {limit: number; remaining: number; window?: number}):
  Promise<HostileRegistry> {
  const h = await startHostileRegistry({rateLimit})
  t.teardown(() => h.stop())
  return h
}

const adopt = (h: HostileRegistry, repo: string, ...args: string[]) => runCli(['adopt', `${h.host}/hostile/valid:latest`,
  `${proxy.host}/${repo}:v1`, '--policy', policy, '--no-cache', ...args], {timeoutMs: 90_000})
const writesTo = (repo: string) => proxy.writes().filter((w) => w.url.startsWith(`/v2/${repo}/`))
const gets = (h: HostileRegistry) => h.requests.filter((r) => r.method === 'GET' && r.url.includes('/manifests/'))

test('too little budget for the proof: exit 3 at plan time, nothing written; enough budget: exit 0', async (t) => {
  const short = await hub(t, {limit: 100, remaining: 3})
  const r = await adopt(short, 'short/app')
  t.is(r.code, 3, r.stderr + r.stdout)
  t.regex(r.stderr, /^imgvet: rate-limited: this run needs 2 manifest pulls, the registry allows 0 of 100 manifest pulls left per 6 h; stopped before spending them .*\n$/)
  t.deepEqual(writesTo('short/app'), [])
  t.is(gets(short).length, 3)

  const rateLimit = {limit: 100, remaining: 5}
  const enough = await hub(t, rateLimit)
  const ok = await adopt(enough, 'enough/app')
  t.is(ok.code, 0, ok.stderr + ok.stdout)
  t.is(rateLimit.remaining, 1)
})

test('--min-rate-remaining 1: the same budget is one short of the reserve: exit 3, nothing written or spent beyond',
  async (t) => {
  const rateLimit = {limit: 100, remaining: 5}
  const h = await hub(t, rateLimit)
  const r = await adopt(h, 'reserve/app', '--min-rate-remaining', '1')
  t.is(r.code, 3, r.stderr + r.stdout)
  t.regex(r.stderr, /^imgvet: rate-limited: this run needs 2 manifest pulls, keeping 1 in reserve, the registry allows 2 of 100/)
  t.is(r.stderr.split('\n').length, 2, 'one line')
  t.deepEqual(writesTo('reserve/app'), [])
  t.is(rateLimit.remaining, 2)
})

test('--wait-rate-limit with a real 2 s window: one stderr line, the window passes, the run completes', async (t) => {
  const rateLimit = {limit: 4, remaining: 4, window: 2}
  const h = await hub(t, rateLimit)
  const started = Date.now()
  const r = await adopt(h, 'wait/app', '--wait-rate-limit')
  t.is(r.code, 0, r.stderr + r.stdout)
  t.true(Date.now() - started >= 2000, 'it waited')
  t.regex(r.stderr, /^imgvet: rate limit: 1 of 4 manifest pulls left per 2 s; waiting 2 s for the window to pass \(.*hostile\/valid:latest\)\n$/)
  t.is(gets(h).length, 4)
  t.is(rateLimit.remaining, 3, 'the proof spent one of the new window')
  t.true(r.stdout.includes('adopted '))
})

test('--wait-rate-limit refuses a window over 6 h: exit 3 at once, saying so, nothing written', async (t) => {
  const h = await hub(t, {limit: 100, remaining: 3, window: 30_000})
  const started = Date.now()
  const r = await adopt(h, 'long/app', '--wait-rate-limit')
  t.is(r.code, 3, r.stderr + r.stdout)
  t.regex(r.stderr, /^imgvet: rate-limited: .*--wait-rate-limit refuses to wait the 30000 s window, over the 6 h cap/)
  t.true(Date.now() - started < 30_000)
  t.deepEqual(writesTo('long/app'), [])
})
