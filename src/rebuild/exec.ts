import {spawn} from 'node:child_process'
import {ImgvetError, type ErrorCode} from '../errors.js'

interface ToolResult {
  code: number
  stdout: string
  stderr: string
}

const MAX_CAPTURE = 4 * 1024 * 1024

/**
 * Run a builder tool. A missing binary resolves with code 127 (so probing is not an exception); output is capped
 * because a build log can be huge, and kept because a failed build is only debuggable with the tool's own words.
 */
export function runTool(
  cmd: string,
  args: readonly string[],
  opts: {env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; log?: (line: string) => void} = {},
): Promise<ToolResult> {
  return new Promise((resolve) => {
    let child
    try {
      child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd})
    } catch (e) {
      resolve({code: 127, stdout: '', stderr: e instanceof Error ? e.message : String(e)})
      return
    }
    const out: Buffer[] = []
    const err: Buffer[] = []
    let outLen = 0
    let errLen = 0
    child.stdout.on('data', (d: Buffer) => {
      if (outLen < MAX_CAPTURE) out.push(d)
      outLen += d.length
      if (opts.log) for (const l of d.toString('utf8').split('\n')) if (l.trim()) opts.log(l)
    })
    child.stderr.on('data', (d: Buffer) => {
      if (errLen < MAX_CAPTURE) err.push(d)
      errLen += d.length
      if (opts.log) for (const l of d.toString('utf8').split('\n')) if (l.trim()) opts.log(l)
    })
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer)
      resolve({code: e.code === 'ENOENT' ? 127 : -1, stdout: '', stderr: e.message})
    })
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer)
      resolve({code: code ?? (signal ? 128 : -1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8')})
    })
  })
}

/**
 * Run and require success; the error carries the last lines the tool printed. A failing build step says
 * `build-failed` so a CI gate can tell "your Dockerfile does not build" from "the builder broke" (`tool-failed`).
 */
export async function mustRun(cmd: string, args: readonly string[], what: string, opts: Parameters<typeof runTool>[2] & {failCode?: ErrorCode} = {}): Promise<ToolResult> {
  const r = await runTool(cmd, args, opts)
  if (r.code === 127) throw new ImgvetError('tool-missing', `${cmd} is not installed`, what)
  if (r.code !== 0) {
    const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-8).join(' | ')
    throw new ImgvetError(opts.failCode ?? 'tool-failed', `${what} failed (${cmd} exit ${r.code}): ${tail.slice(0, 2000)}`)
  }
  return r
}
