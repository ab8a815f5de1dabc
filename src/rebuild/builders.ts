import {mkdirSync, readFileSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {ImgvetError} from '../errors.js'
import type {Transport} from '../reference/transport.js'
import {mustRun, runTool} from './exec.js'

export type BuilderName = 'docker-buildx' | 'buildctl' | 'buildah'

export interface BuilderProbe {
  name: BuilderName
  /** The binary is on PATH. */
  found: boolean
  /** It can build here (a daemon answers, for the daemon-based ones). */
  usable: boolean
  detail: string
}

interface BuildRequest {
  context: string
  dockerfile: string
  tag: string
  /** Plain HTTP / unverified TLS for registries the build pulls from (loopback test registries, --no-tls-verify). */
  insecure: boolean
  /** Scratch space: builder storage and the OCI layout the result is exported to. */
  workDir: string
  buildArgs?: Record<string, string>
  platform?: string
  log?: (line: string) => void
}

export interface BuildOutput {
  builder: BuilderName
  /** Where the built image can be read: a local OCI layout or archive (imgvet's own client pushes it, with --push). */
  transport: Transport
  digest?: string
  seconds: number
}

const PROBE_TIMEOUT_MS = 15_000

/**
 * Which builders this machine has, in preference order. The daemon-based ones count only when their daemon
 * answers: a docker CLI without an engine (common in CI containers) must not be picked and then fail mid-build.
 */
export async function probeBuilders(): Promise<BuilderProbe[]> {
  const out: BuilderProbe[] = []
  const bx = await runTool('docker', ['buildx', 'version'], {timeoutMs: PROBE_TIMEOUT_MS})
  if (bx.code === 127) out.push({name: 'docker-buildx', found: false, usable: false, detail: 'docker is not on PATH'})
  else if (bx.code !== 0) out.push({name: 'docker-buildx', found: false, usable: false, detail: `docker is installed but "docker buildx version" failed: ${firstLine(bx.stderr || bx.stdout)}`})
  else {
    const info = await runTool('docker', ['info', '--format', '{{.ServerVersion}}'], {timeoutMs: PROBE_TIMEOUT_MS})
    out.push(info.code === 0
      ? {name: 'docker-buildx', found: true, usable: true, detail: `${firstLine(bx.stdout)}; engine ${info.stdout.trim()}`}
      : {name: 'docker-buildx', found: true, usable: false, detail: `no Docker engine answers: ${firstLine(info.stderr || info.stdout)}`})
  }
  const bk = await runTool('buildctl', ['debug', 'workers'], {timeoutMs: PROBE_TIMEOUT_MS})
  if (bk.code === 127) out.push({name: 'buildctl', found: false, usable: false, detail: 'buildctl is not on PATH'})
  else out.push(bk.code === 0 ? {name: 'buildctl', found: true, usable: true, detail: 'buildkitd answers'} : {name: 'buildctl', found: true, usable: false, detail: `no buildkitd answers: ${firstLine(bk.stderr)}`})
  const ba = await runTool('buildah', ['--version'], {timeoutMs: PROBE_TIMEOUT_MS})
  out.push(ba.code === 0 ? {name: 'buildah', found: true, usable: true, detail: firstLine(ba.stdout)} : {name: 'buildah', found: ba.code !== 127, usable: false, detail: ba.code === 127 ? 'buildah is not on PATH' : firstLine(ba.stderr)})
  return out
}

function firstLine(s: string): string {
  return (s.trim().split('\n')[0] ?? '').slice(0, 300)
}

export function pickBuilder(probes: readonly BuilderProbe[], want?: BuilderName): BuilderProbe {
  const usable = probes.filter((p) => p.usable && (!want || p.name === want))
  const chosen = usable[0]
  if (!chosen) {
    const tried = probes.map((p) => `${p.name}: ${p.detail}`).join('; ')
    throw new ImgvetError('tool-missing', `no usable image builder${want ? ` (asked for ${want})` : ''}: ${tried}. Install buildah (daemonless) or start a Docker engine / buildkitd`)
  }
  return chosen
}

function buildArgFlags(r: BuildRequest): string[] {
  return Object.entries(r.buildArgs ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`])
}

function readDigest(file: string): string {
  const d = readFileSync(file, 'utf8').trim()
  if (!/^sha256:[0-9a-f]{64}$/.test(d)) throw new ImgvetError('bad-manifest', `builder reported no valid digest (${d.slice(0, 80)})`, file)
  return d
}

/** buildah, daemonless: private vfs storage and chroot isolation, so it runs as root in a container without overlayfs. */
async function buildWithBuildah(r: BuildRequest): Promise<BuildOutput> {
  const started = Date.now()
  const root = join(r.workDir, 'buildah', 'root')
  const runroot = join(r.workDir, 'buildah', 'runroot')
  mkdirSync(root, {recursive: true})
  mkdirSync(runroot, {recursive: true})
  const env = {...process.env, BUILDAH_ISOLATION: 'chroot', STORAGE_DRIVER: 'vfs'}
  const global = ['--root', root, '--runroot', runroot, '--storage-driver', 'vfs']
  const tls = `--tls-verify=${!r.insecure}`
  await mustRun('buildah', [...global, 'bud', '--isolation', 'chroot', tls, '--format', 'oci', ...(r.platform ? ['--platform', r.platform] : []),
    ...buildArgFlags(r), '-f', r.dockerfile, '-t', r.tag, r.context], 'buildah bud', {env, log: r.log, failCode: 'build-failed'})
  const layout = join(r.workDir, 'layout')
  const digestFile = join(r.workDir, 'layout.digest')
  await mustRun('buildah', [...global, 'push', '--digestfile', digestFile, r.tag, `oci:${layout}:rebuilt`], 'buildah push to an OCI layout', {env, log: r.log})
  return {builder: 'buildah', transport: {kind: 'oci', path: layout, tag: 'rebuilt'}, digest: readDigest(digestFile), seconds: (Date.now() - started) / 1000}
}

function metadataDigest(file: string): string | undefined {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    const d = m['containerimage.digest']
    return typeof d === 'string' ? d : undefined
  } catch {
    return undefined
  }
}

async function buildWithBuildx(r: BuildRequest): Promise<BuildOutput> {
  const started = Date.now()
  const meta = join(r.workDir, 'buildx-metadata.json')
  const archive = join(r.workDir, 'image.oci.tar')
  const output = ['--output', `type=oci,dest=${archive}`]
  await mustRun('docker', ['buildx', 'build', '--metadata-file', meta, ...(r.platform ? ['--platform', r.platform] : []), ...buildArgFlags(r),
    '-f', r.dockerfile, '-t', r.tag, ...output, r.context], 'docker buildx build', {log: r.log, failCode: 'build-failed'})
  const digest = metadataDigest(meta)
  return {builder: 'docker-buildx', transport: {kind: 'oci-archive', path: archive}, digest, seconds: (Date.now() - started) / 1000}
}

async function buildWithBuildctl(r: BuildRequest): Promise<BuildOutput> {
  const started = Date.now()
  const meta = join(r.workDir, 'buildctl-metadata.json')
  const archive = join(r.workDir, 'image.oci.tar')
  const dockerfile = resolve(r.dockerfile)
  const output = `type=oci,dest=${archive}`
  await mustRun('buildctl', ['build', '--frontend', 'dockerfile.v0', '--local', `context=${r.context}`, '--local', `dockerfile=${dirname(dockerfile)}`,
    '--opt', `filename=${basename(dockerfile)}`, ...(r.platform ? ['--opt', `platform=${r.platform}`] : []),
    ...Object.entries(r.buildArgs ?? {}).flatMap(([k, v]) => ['--opt', `build-arg:${k}=${v}`]),
    '--metadata-file', meta, '--output', output], 'buildctl build', {log: r.log, failCode: 'build-failed'})
  const digest = metadataDigest(meta)
  return {builder: 'buildctl', transport: {kind: 'oci-archive', path: archive}, digest, seconds: (Date.now() - started) / 1000}
}

export function build(builder: BuilderName, r: BuildRequest): Promise<BuildOutput> {
  switch (builder) {
    case 'buildah':
      return buildWithBuildah(r)
    case 'docker-buildx':
      return buildWithBuildx(r)
    case 'buildctl':
      return buildWithBuildctl(r)
  }
}
