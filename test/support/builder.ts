import {mkdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {run} from './exec.js'

/**
 * buildah with private storage (vfs, chroot isolation): no daemon, no shared state between runs, works as root in a
 * container without overlayfs. Everything here shells out, so what tests see is what real tools produce.
 */
export class Buildah {
  readonly root: string
  readonly runroot: string

  constructor(dir: string) {
    this.root = join(dir, 'root')
    this.runroot = join(dir, 'runroot')
    mkdirSync(this.root, {recursive: true})
    mkdirSync(this.runroot, {recursive: true})
  }

  private async b(args: string[]): Promise<string> {
    const env = {...process.env, BUILDAH_ISOLATION: 'chroot', STORAGE_DRIVER: 'vfs'}
    const {stdout} = await run('buildah', ['--root', this.root, '--runroot', this.runroot, '--storage-driver', 'vfs', ...args], {env})
    return stdout.trim()
  }

  /** containers-storage transport name for skopeo, pointing at this private store. */
  storageRef(image: string): string {
    return `containers-storage:[vfs@${this.root}+${this.runroot}]${image}`
  }

  async from(image: string): Promise<string> {
    return this.b(['from', '--pull-never', image])
  }

  async copy(ctr: string, src: string, dest: string, opts: {chmod?: string; chown?: string} = {}): Promise<void> {
    const extra = [...(opts.chmod ? ['--chmod', opts.chmod] : []), ...(opts.chown ? ['--chown', opts.chown] : [])]
    await this.b(['copy', ...extra, ctr, src, dest])
  }

  async run(ctr: string, script: string, user = '0:0'): Promise<string> {
    return this.exec(ctr, ['/bin/sh', '-c', script], user)
  }

  /** Runs as root by default (not the image's USER): fixtures edit system files. chroot isolation only allows the host network; the fixtures never need it either way. */
  async exec(ctr: string, argv: string[], user = '0:0'): Promise<string> {
    return this.b(['run', '--isolation', 'chroot', '--user', user, ctr, '--', ...argv])
  }

  async config(ctr: string, args: string[]): Promise<void> {
    await this.b(['config', ...args, ctr])
  }

  async commit(ctr: string, image: string, format: 'oci' | 'docker' = 'oci'): Promise<string> {
    const id = await this.b(['commit', '--format', format, '--rm', ctr, image])
    return id.split('\n').pop() ?? id
  }

  async rmi(image: string): Promise<void> {
    await this.b(['rmi', image])
  }

  /** Pushes to a registry and returns the manifest digest the registry stored. */
  async push(image: string, dest: string, opts: PushOptions = {}): Promise<string> {
    const digestFile = join(this.runroot, `digest-${process.hrtime.bigint()}`)
    await this.b(['push', '--digestfile', digestFile, ...pushFlags(opts), ...(opts.format ? ['--format', opts.format] : []), image, dest])
    return readFileSync(digestFile, 'utf8').trim()
  }

  async manifestCreate(list: string, images: string[]): Promise<void> {
    await this.b(['manifest', 'create', list])
    for (const image of images) await this.b(['manifest', 'add', list, image])
  }

  /** Edit one entry of a manifest list, e.g. to mark it the way BuildKit marks attestation manifests. */
  async manifestAnnotate(list: string, digest: string, args: string[]): Promise<void> {
    await this.b(['manifest', 'annotate', ...args, list, digest])
  }

  async manifestInspect(list: string): Promise<string> {
    return this.b(['manifest', 'inspect', list])
  }

  async manifestPush(list: string, dest: string, opts: PushOptions = {}): Promise<string> {
    const digestFile = join(this.runroot, `digest-${process.hrtime.bigint()}`)
    await this.b(['manifest', 'push', '--all', '--digestfile', digestFile, ...pushFlags(opts), ...(opts.format ? ['--format', opts.format] : []), list, dest])
    return readFileSync(digestFile, 'utf8').trim()
  }
}

export interface PushOptions {
  format?: 'oci' | 'v2s2'
  tlsVerify?: boolean
  certDir?: string
  creds?: string
}

function pushFlags(o: PushOptions): string[] {
  return [`--tls-verify=${o.tlsVerify ?? false}`, ...(o.certDir ? ['--cert-dir', o.certDir] : []), ...(o.creds ? ['--creds', o.creds] : [])]
}

export interface SkopeoEndpoint {
  tlsVerify?: boolean
  certDir?: string
  creds?: string
}

export interface SkopeoCopyOptions {
  src?: SkopeoEndpoint
  dest?: SkopeoEndpoint
  format?: 'oci' | 'v2s2'
  all?: boolean
  /** Recompress layers; the destination must not already know the blobs, or skopeo reuses them as they are. */
  compress?: 'gzip' | 'zstd'
}

function endpointFlags(side: 'src' | 'dest', e: SkopeoEndpoint | undefined): string[] {
  return [
    `--${side}-tls-verify=${e?.tlsVerify ?? false}`,
    ...(e?.certDir ? [`--${side}-cert-dir`, e.certDir] : []),
    ...(e?.creds ? [`--${side}-creds`, e.creds] : []),
  ]
}

/** skopeo copy; returns the digest of the manifest written to the destination. */
export async function skopeoCopy(src: string, dest: string, opts: SkopeoCopyOptions = {}, digestDir = '/tmp'): Promise<string> {
  const digestFile = join(digestDir, `skopeo-digest-${process.pid}-${process.hrtime.bigint()}`)
  const src_ = src.startsWith('docker://') ? endpointFlags('src', opts.src) : []
  const dest_ = dest.startsWith('docker://') ? endpointFlags('dest', opts.dest) : []
  await run('skopeo', ['copy', '--quiet', '--digestfile', digestFile, ...src_, ...dest_,
    ...(opts.format ? ['--format', opts.format] : []), ...(opts.all ? ['--all'] : []),
    ...(opts.compress ? ['--dest-compress', '--dest-compress-format', opts.compress] : []), src, dest])
  const digest = readFileSync(digestFile, 'utf8').trim()
  rmSync(digestFile, {force: true})
  return digest
}

/** The raw manifest bytes as the registry serves them (skopeo sends the full Accept list, OCI included). */
export async function skopeoInspectRaw(ref: string, e: SkopeoEndpoint = {}, config = false): Promise<string> {
  const flags = ref.startsWith('docker://') ? [`--tls-verify=${e.tlsVerify ?? false}`, ...(e.certDir ? ['--cert-dir', e.certDir] : []), ...(e.creds ? ['--creds', e.creds] : [])] : []
  const {stdout} = await run('skopeo', ['inspect', '--raw', ...(config ? ['--config'] : []), ...flags, ref])
  return stdout
}
