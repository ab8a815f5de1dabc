import test, {type ExecutionContext} from 'ava'
import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {startHostileRegistry, type HostileRegistry} from '../support/hostile-registry.js'
import {ROOT, tempDir, type CliResult} from '../support/cli.js'

/**
 * The built CLI with a preload that reports, at exit, whether @oclif/core was loaded (it is CommonJS, so it shows in
 * require.cache): the fast path's whole point is not loading it.
 */
function cli(t: ExecutionContext, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult & {oclif: boolean}> {
  const dir = tempDir(t, 'imgvet-fast')
  const probe = join(dir, 'probe.cjs')
  const report = join(dir, 'loaded')
  writeFileSync(probe, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, `
    + `String(Object.keys(require.cache).some((k) => k.includes('/@oclif/core/'))))) `)
  const env: NodeJS.ProcessEnv = {...process.env, HOME: join(tmpdir(), 'imgvet-no-home'), ...extraEnv}
  delete env['NODE_ENV']
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', probe, join(ROOT, 'bin', 'run.js'), ...args], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'), oclif: readFileSync(report, 'utf8') === 'true'}))
  })
}

async function registry(t: ExecutionContext): Promise<HostileRegistry> {
  const h = await startHostileRegistry()
  t.teardown(() => h.stop())
  return h
}

const withoutTime = (json: string) => ({...(JSON.parse(json) as Record<string, unknown>), seconds: 0})

test('a plain pull runs without oclif and gives what the oclif command gives (--debug takes that path)', async (t) => {
  const h = await registry(t)
  const ref = `${h.host}/hostile/valid:latest`
  const [a, b] = [join(tempDir(t, 'imgvet-fast-a'), 'l'), join(tempDir(t, 'imgvet-fast-b'), 'l')]
  const fast = await cli(t, ['pull', ref, '-o', a, '--format=json', '--timeout', '20s', '--no-tls-verify'])
  const slow = await cli(t, ['pull', ref, '--output', b, '--format', 'json', '--timeout', '20s', '--tls-verify=false', '--debug'])
  t.is(fast.code, 0, fast.stderr)
  t.is(slow.code, 0, slow.stderr)
  t.false(fast.oclif, 'the fast path loaded no oclif')
  t.true(slow.oclif)
  t.deepEqual(withoutTime(fast.stdout), withoutTime(slow.stdout))
  t.is(readFileSync(join(a, 'index.json'), 'utf8'), readFileSync(join(b, 'index.json'), 'utf8'))
  const warning = 'imgvet: warning: --tls-verify=false: registry TLS certificates are not verified'
  t.is(fast.stderr.trim(), warning)
  t.true(slow.stderr.includes(warning))
})

test('a coded error on the fast path is the one line and exit code oclif gives', async (t) => {
  const dir = join(tempDir(t, 'imgvet-fast'), 'l')
  const fast = await cli(t, ['pull', '127.0.0.1:1/none:1', '-o', dir, '--timeout', 'soon'])
  t.false(fast.oclif)
  t.is(fast.code, 2)
  t.regex(fast.stderr, /^imgvet: usage: [^\n]*soon[^\n]*\n$/)
  const slow = await cli(t, ['pull', '127.0.0.1:1/none:1', '-o', dir, '--timeout', 'soon', '--debug'])
  t.is(slow.code, 2)
  t.is(slow.stderr.split('\n')[0], fast.stderr.trim())
})

test('help, unknown flags, a missing -o or a bad --format go to oclif, which reports them as before', async (t) => {
  for (const args of [['pull', '--help'], ['pull', 'x:1', '-o', 'd', '--bogus'], ['pull', 'x:1'], ['pull', 'x:1', '-o', 'd', '--format', 'yaml']]) {
    const r = await cli(t, args)
    t.true(r.oclif, args.join(' '))
    if (args[1] === '--help') t.is(r.code, 0)
    else {
      t.is(r.code, 2, r.stderr)
      t.regex(r.stderr, /^imgvet: usage: .*\(see imgvet pull --help\)\n$/)
    }
  }
})

test('a setting from IMGVET_<FLAG> or --authfile takes the oclif path, so both paths see the same options', async (t) => {
  const h = await registry(t)
  const ref = `${h.host}/hostile/valid:latest`
  const out = () => join(tempDir(t, 'imgvet-fast-env'), 'l')
  // Without the setting the fast path would verify TLS and fail; IMGVET_TLS_VERIFY=false is honoured because oclif runs.
  const fromEnv = await cli(t, ['pull', ref, '-o', out(), '--format', 'json', '--timeout', '20s'], {IMGVET_TLS_VERIFY: 'false'})
  t.is(fromEnv.code, 0, fromEnv.stderr)
  t.true(fromEnv.oclif)
  const auth = join(tempDir(t, 'imgvet-fast-auth'), 'auth.json')
  writeFileSync(auth, '{"auths": {}}')
  const withAuthfile = await cli(t, ['pull', ref, '-o', out(), '--no-tls-verify', '--authfile', auth])
  t.is(withAuthfile.code, 0, withAuthfile.stderr)
  t.true(withAuthfile.oclif)
  const unrelated = await cli(t, ['pull', ref, '-o', out(), '--no-tls-verify'], {IMGVET_SOMETHING_ELSE: '1'})
  t.is(unrelated.code, 0, unrelated.stderr)
  t.false(unrelated.oclif)
})

test('a plain pull loads one file of ours besides bin/run.js, and no package: the fast path is bundled', async (t) => {
  const h = await registry(t)
  const dir = tempDir(t, 'imgvet-fast-load')
  // A module hook (it runs on the loader's own thread, hence the file) names every module the run loads.
  const loaded = join(dir, 'loaded')
  const hooks = join(dir, 'hooks.mjs')
  writeFileSync(hooks, `import {appendFileSync} from 'node:fs'\nexport async function load(url, ctx, next) {\n`
    + `  appendFileSync(${JSON.stringify(loaded)}, url + '\\n')\n  return next(url, ctx)\n}\n`)
  const register = join(dir, 'register.mjs')
  writeFileSync(register, `import {register} from 'node:module'\nregister(${JSON.stringify(`file://${hooks}`)})\n`)
  const r = await cli(t, ['pull', `${h.host}/hostile/valid:latest`, '-o', join(dir, 'l'), '--no-tls-verify',
    '--timeout', '20s'], {NODE_OPTIONS: `--import=${register}`})
  t.is(r.code, 0, r.stderr)
  const ours = readFileSync(loaded, 'utf8').trim().split('\n')
    .filter((u) => !u.startsWith('node:') && u !== `file://${register}`)
  t.deepEqual(ours.map((u) => u.slice(`file://${ROOT}`.length)).sort(), ['bin/run.js', 'dist/fast-pull.js'])
})
