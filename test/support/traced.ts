import type {ExecutionContext} from 'ava'
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ROOT, tempDir} from './cli.js'

export interface Traced {
  code: number
  stdout: string
  stderr: string
  /** socket()/connect() calls of the CLI and its children on IPv4/IPv6, as strace saw them. */
  inet: string[]
}

/**
 * The built CLI under strace (every socket and connect of every thread and child), optionally in a fresh network
 * namespace: no interface but a downed loopback, so nothing could reach anything even if it tried.
 */
export function traced(t: ExecutionContext, args: readonly string[], o: {noRoute: boolean}): Promise<Traced> {
  const log = join(tempDir(t, 'imgvet-offline'), 'strace.log')
  const cli = ['strace', '-f', '-qq', '-e', 'trace=socket,connect', '-o', log, process.execPath, join(ROOT, 'bin', 'run.js'), ...args]
  const argv = o.noRoute ? ['unshare', '--net', ...cli] : cli
  const env: NodeJS.ProcessEnv = {...process.env, HOME: join(tmpdir(), 'imgvet-no-home')}
  delete env['NODE_ENV']
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code) => {
      const inet = readFileSync(log, 'utf8').split('\n').filter((l) => /AF_INET6?\b/.test(l))
      resolve({code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), inet})
    })
  })
}
