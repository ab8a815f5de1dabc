import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Readable} from 'node:stream'
import {fileURLToPath} from 'node:url'
import {Registries} from '../../src/registry/client.js'
import type {RegistryOptions} from '../../src/registry/options.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

interface Teardown {
  teardown: (fn: () => void | Promise<void>) => void
}

export function tempDir(t: Teardown, prefix = 'imgvet-test'): string {
  const dir = mkdtempSync(join(process.env['IMGVET_TEST_TMP'] ?? tmpdir(), `${prefix}-`))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

/**
 * A client that cannot pick up the machine's ~/.docker/config.json: every test states where its credentials come
 * from (an empty config dir unless the test says otherwise).
 */
export function registries(t: Teardown, opts: RegistryOptions = {}): Registries {
  const regs = new Registries({dockerConfigDir: tempDir(t, 'imgvet-empty-docker-config'), ...opts})
  t.teardown(() => regs.close())
  return regs
}

/** Consume a stream fully; the hash is over what came out, so tests can compare with the registry's digest. */
export async function drain(stream: Readable): Promise<{bytes: number; digest: string}> {
  const h = createHash('sha256')
  let bytes = 0
  for await (const c of stream) {
    bytes += (c as Buffer).length
    h.update(c as Buffer)
  }
  return {bytes, digest: `sha256:${h.digest('hex')}`}
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Run the built CLI (`node bin/run.js`), asynchronously so in-process servers keep answering meanwhile. */
export function runCli(args: readonly string[], opts: {env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string} = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // A fixed HOME keeps the developer's docker config and caches out of the test. ava sets NODE_ENV=test, which
    // makes oclif print development warnings a user never sees: run the CLI as users do.
    const env: NodeJS.ProcessEnv = {...process.env, HOME: join(tmpdir(), 'imgvet-no-home'), ...opts.env}
    delete env['NODE_ENV']
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], {
      cwd: opts.cwd ?? ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.stdin.on('error', () => undefined)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code: code ?? (signal ? 128 : -1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8')})
    })
    child.stdin.end(opts.input ?? '')
  })
}

/** The CLI on a real pseudo-terminal (util-linux `script`), where progress bars draw; stdout and stderr merge. */
export function runOnTty(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{code: number; output: string}> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const cmd = [process.execPath, join(ROOT, 'bin', 'run.js'), ...args].map(quote).join(' ')
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {...process.env, HOME: join(tmpdir(), 'imgvet-no-home'), ...extraEnv}
    delete env['NODE_ENV']
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => out.push(d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? -1, output: Buffer.concat(out).toString('utf8')}))
  })
}
