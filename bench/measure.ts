import {spawn, type ChildProcess} from 'node:child_process'
import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'

export interface Timed {
  /** Wall time of the whole process, start to exit, in seconds. */
  wall: number
  /** Peak resident set size of the process (GNU time %M), in KiB; the largest of its descendants when it forks. */
  rssKiB: number
  /** User + system CPU seconds (GNU time %U + %S): steadier than wall time when the machine is busy. */
  cpu: number
  code: number
  stdout: string
  stderr: string
  timedOut: boolean
}

const running = new Set<ChildProcess>()

/** Kill the process groups this bench started (each child leads its own group, so its children go too). */
export function killChildren(): void {
  for (const c of running) {
    if (c.pid !== undefined) {
      try {
        process.kill(-c.pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
  }
  running.clear()
}

let seq = 0

/**
 * Runs one command under GNU time. Wall time is measured here (hrtime around the spawn) because %e has 10 ms
 * resolution; peak RSS can only come from the kernel's rusage, which time reports.
 */
export function timed(cmd: string, args: readonly string[], o: {cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; tmp: string; keepStdout?: boolean}): Promise<Timed> {
  const rssFile = join(o.tmp, `rss-${process.pid}-${seq++}`)
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn('/usr/bin/time', ['-f', '%M %U %S', '-o', rssFile, cmd, ...args], {cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true})
    running.add(child)
    const out: Buffer[] = []
    const err: Buffer[] = []
    let errBytes = 0
    child.stdout.on('data', (d: Buffer) => {
      if (o.keepStdout !== false) out.push(d)
    })
    // Progress bars and tool logs can be long; the tail is what explains a failure.
    child.stderr.on('data', (d: Buffer) => {
      err.push(d)
      errBytes += d.length
      while (errBytes > 256 * 1024 && err.length > 1) errBytes -= (err.shift() as Buffer).length
    })
    let timedOut = false
    const timer = o.timeoutMs
      ? setTimeout(() => {
          timedOut = true
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
        }, o.timeoutMs)
      : undefined
    child.on('error', reject)
    child.on('close', (code) => {
      if (timer) clearTimeout(timer)
      running.delete(child)
      const wall = Number(process.hrtime.bigint() - started) / 1e9
      let rssKiB = NaN
      let cpu = NaN
      try {
        // time prints "Command exited with non-zero status N" before the figure when the command fails.
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n')
        const [rss, user, sys] = (lines[lines.length - 1] ?? '').split(' ').map(Number)
        rssKiB = rss ?? NaN
        cpu = (user ?? NaN) + (sys ?? NaN)
      } catch {
        // Killed before time wrote it.
      }
      rmSync(rssFile, {force: true})
      resolve({wall, rssKiB, cpu, code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut})
    })
  })
}

/** Fails with the tool's own words: a benchmark of a command that failed is no benchmark. */
export function ok(t: Timed, what: string, codes: readonly number[] = [0]): Timed {
  if (t.timedOut) throw new Error(`${what}: timed out after ${t.wall.toFixed(0)} s`)
  if (!codes.includes(t.code)) throw new Error(`${what}: exited ${t.code}: ${t.stderr.trim().slice(-2000) || t.stdout.trim().slice(-2000)}`)
  return t
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

export const MiB = 1024 * 1024

export function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1)
}

export function secs(s: number): string {
  return s < 10 ? s.toFixed(2) : s.toFixed(1)
}

export function rssMiB(kib: number): string {
  return Number.isFinite(kib) ? (kib / 1024).toFixed(0) : 'n/a'
}

/** A Markdown table; cells are already strings so each section decides its own precision. */
export function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}
