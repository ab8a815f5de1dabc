import test, {type ExecutionContext} from 'ava'
import {spawn} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {run} from '../support/exec.js'
import {buildValidImage, startHostileRegistry, type HostileRegistry} from '../support/hostile-registry.js'
import {ROOT, runCli, tempDir} from '../support/cli.js'

const BIG = 4 * 1024 * 1024

/** Every file under blobs/ must be a complete blob: named by the sha256 of its bytes (what umoci gc relies on). */
function assertOnlyCompleteBlobs(t: {true: (v: boolean, m?: string) => void}, dir: string): void {
  const sha = join(dir, 'blobs', 'sha256')
  for (const name of readdirSync(sha)) {
    const digest = createHash('sha256').update(readFileSync(join(sha, name))).digest('hex')
    t.true(digest === name, `blobs/sha256/${name} is not a complete blob`)
  }
}

/** Files in this layout's ingest area (partial downloads), with their sizes. */
function ingestFiles(dir: string): Array<{path: string; size: number}> {
  const root = join(dir, '.imgvet-tmp')
  if (!existsSync(root)) return []
  return readdirSync(root, {recursive: true, encoding: 'utf8'}).map((p) => join(root, p))
    .filter((p) => statSync(p, {throwIfNoEntry: false})?.isFile())
    .map((p) => ({path: p, size: statSync(p).size}))
}

interface Interrupted {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
}

/** Start a real `imgvet pull`, wait until part of the big layer is on disk, then send `sig`. */
async function pullAndInterrupt(h: HostileRegistry, dir: string, sig: NodeJS.Signals): Promise<Interrupted> {
  const env: NodeJS.ProcessEnv = {...process.env, HOME: join(tmpdir(), 'imgvet-no-home')}
  delete env['NODE_ENV']
  const args = [join(ROOT, 'bin', 'run.js'), 'pull', `${h.host}/hostile/big:latest`, '-o', dir, '--timeout', '60']
  const child = spawn(process.execPath, args, {cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe']})
  const err: Buffer[] = []
  child.stderr.on('data', (d: Buffer) => err.push(d))
  const exited = new Promise<Interrupted>((resolve) => child.once('close', (code, signal) => {
    resolve({code, signal, stderr: Buffer.concat(err).toString('utf8')})
  }))
  const deadline = Date.now() + 30_000
  // More than a config or manifest (also renamed in from the ingest area): part of the big layer itself.
  const inFlight = () => ingestFiles(dir).some((f) => f.size > 64 * 1024)
  while (!inFlight() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20))
  child.kill(sig)
  return exited
}

async function setup(t: ExecutionContext, stalls: number): Promise<{h: HostileRegistry; dir: string}> {
  // Random bytes do not compress: the layer blob really is BIG, and the stall leaves half of it in flight.
  const big = await buildValidImage({'data.bin': randomBytes(BIG)})
  const small = await buildValidImage()
  const h = await startHostileRegistry({
    images: {'hostile/big': big, 'hostile/valid': small},
    rules: [{target: 'layer', repo: 'hostile/big', method: 'GET', times: stalls, misbehave: {kind: 'stall', bytes: 1024 * 1024}}],
  })
  t.teardown(() => h.stop())
  const dir = join(tempDir(t, 'imgvet-pull-interrupt'), 'layout')
  // A layout that already holds an image, so gc and inspect have an index to work from after the interruption.
  const first = await runCli(['pull', `${h.host}/hostile/valid:latest`, '-o', dir, '--tag', 'small'])
  t.is(first.code, 0, first.stderr)
  return {h, dir}
}

test('SIGINT and SIGTERM during pull: exit 130/143, one line, no partial blob left, the layout stays usable', async (t) => {
  const {h, dir} = await setup(t, 2)
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    const r = await pullAndInterrupt(h, dir, sig)
    t.is(r.code, code, `${sig}: ${r.stderr}`)
    const lines = r.stderr.trimEnd().split('\n')
    t.is(lines.length, 1, r.stderr)
    t.regex(lines[0] ?? '', new RegExp(`^imgvet: interrupted by ${sig}; partial downloads removed`))
    t.false(existsSync(join(dir, '.imgvet-tmp')), 'ingest dir removed')
    t.deepEqual(readdirSync(join(dir, 'blobs', 'sha256')).filter((n) => n.includes('.tmp')), [])
    assertOnlyCompleteBlobs(t, dir)
  }
  t.is(h.hits[0], 2, 'both pulls were stopped while the layer was in flight')
  await run('skopeo', ['inspect', `oci:${dir}:small`])
  await run('umoci', ['gc', '--layout', dir])

  // The registry now answers honestly: the next pull completes and leaves no temp dir behind.
  const again = await runCli(['pull', `${h.host}/hostile/big:latest`, '-o', dir])
  t.is(again.code, 0, again.stderr)
  t.false(existsSync(join(dir, '.imgvet-tmp')))
  assertOnlyCompleteBlobs(t, dir)
  const inspected = JSON.parse((await run('skopeo', ['inspect', `oci:${dir}:latest`])).stdout) as {Digest: string}
  t.is<string | undefined, string | undefined>(inspected.Digest, h.images['hostile/big']?.manifestDigest)
  await run('umoci', ['gc', '--layout', dir])
})

test('a pull killed with SIGKILL leaves its partial data outside blobs/, and the next pull removes it', async (t) => {
  const {h, dir} = await setup(t, 1)
  const r = await pullAndInterrupt(h, dir, 'SIGKILL')
  t.is(r.signal, 'SIGKILL')
  const left = ingestFiles(dir)
  t.true(left.length > 0 && left.every((f) => f.size < BIG), 'the partial layer is in .imgvet-tmp')
  assertOnlyCompleteBlobs(t, dir)
  // Even an unclean death does not break the layout for other tools.
  await run('umoci', ['gc', '--layout', dir])

  const again = await runCli(['pull', `${h.host}/hostile/big:latest`, '-o', dir])
  t.is(again.code, 0, again.stderr)
  t.false(existsSync(join(dir, '.imgvet-tmp')), 'the dead run\'s leftovers were swept')
  assertOnlyCompleteBlobs(t, dir)
})
