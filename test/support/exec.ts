import {spawn} from 'node:child_process'

export interface ExecResult {
  stdout: string
  stderr: string
  code: number
}

/**
 * Runs a tool and resolves with its output; rejects with the tool's stderr in the message, because a failed
 * fixture build is only debuggable if the log says what skopeo or buildah complained about.
 */
export function run(cmd: string, args: readonly string[], opts: {input?: string; allowFail?: boolean; env?: NodeJS.ProcessEnv; cwd?: string} = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd})
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout?.on('data', (d: Buffer) => out.push(d))
    child.stderr?.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code) => {
      const result = {stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? -1}
      if (result.code !== 0 && !opts.allowFail) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`))
        return
      }
      resolve(result)
    })
    // A tool may exit before reading its input; EPIPE then is its exit status's business, not a crash.
    child.stdin?.on('error', () => undefined)
    child.stdin?.end(opts.input)
  })
}
