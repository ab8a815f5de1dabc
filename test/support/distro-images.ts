/**
 * Real distribution images for precision tests: Debian built by debootstrap from this machine's Debian mirror (with
 * chroot apt-get install for extra packages), and busybox from the host's static binary, each packed by umoci as a
 * one-layer OCI layout. Built once per test run: the rootfs and layout are kept under the test temp root, keyed by
 * everything that changes their content, so the three images share one debootstrap.
 */
import {createHash} from 'node:crypto'
import {copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {run} from './exec.js'
import {removeDir, testTmpRoot} from './tmp.js'

const SUITE = 'bookworm'

/**
 * Builds run at low CPU priority: they take minutes, and the e2e tests running beside them in the same ava run have
 * 30-second CLI timeouts.
 */
function low(cmd: string, args: readonly string[], opts?: Parameters<typeof run>[2]): ReturnType<typeof run> {
  return run('nice', ['-n', '15', cmd, ...args], opts)
}

/** The Debian mirror apt on this machine uses (deb822 `URIs:` or a one-line `deb` entry), security archives aside. */
export function debianMirror(): string {
  if (process.env['IMGVET_DEBIAN_MIRROR']) return process.env['IMGVET_DEBIAN_MIRROR']
  const files = ['/etc/apt/sources.list']
  if (existsSync('/etc/apt/sources.list.d')) {
    files.push(...readdirSync('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f)))
  }
  for (const f of files) {
    if (!existsSync(f)) continue
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const m = /^\s*(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(https?:\/\/\S+)/.exec(line)
      if (m?.[1] && !/security/.test(m[1])) return m[1]
    }
  }
  return 'http://deb.debian.org/debian'
}

export interface DistroImage {
  /** `oci:DIR:latest`, for the CLI. */
  ref: string
  rootfs: string
  /** Seconds this run spent building it (0 when it came from the cache). */
  buildSeconds: number
}

function cacheDir(name: string, parts: readonly string[]): string {
  const key = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)
  return join(testTmpRoot(), `imgvet-distro-${name}-${key}`)
}

async function pack(rootfs: string, layout: string): Promise<void> {
  removeDir(layout)
  await low('umoci', ['init', '--layout', layout])
  await low('umoci', ['new', '--image', `${layout}:latest`])
  const tar = `${layout}.tar`
  // Package lists are left out as `rm -rf /var/lib/apt/lists/*` in a Dockerfile does; the rootfs keeps them, so
  // images built on top of it need no second `apt-get update`.
  await low('tar', ['--numeric-owner', '--exclude=./var/lib/apt/lists/*', '-C', rootfs, '-cf', tar, '.'])
  await low('umoci', ['raw', 'add-layer', '--image', `${layout}:latest`, tar])
  removeDir(tar)
}

/** Build (or reuse) one image; `fill` writes the rootfs. A `.done` marker makes a half-built cache invisible. */
async function cached(name: string, parts: readonly string[], fill: (rootfs: string) => Promise<void>): Promise<DistroImage> {
  const dir = cacheDir(name, parts)
  const rootfs = join(dir, 'rootfs')
  const layout = join(dir, 'oci')
  const marker = join(dir, '.done')
  if (existsSync(marker)) return {ref: `oci:${layout}:latest`, rootfs, buildSeconds: 0}
  // Test files run in separate processes: one builds, the others wait for its marker instead of building over it.
  const lock = `${dir}.lock`
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (existsSync(marker)) return {ref: `oci:${layout}:latest`, rootfs, buildSeconds: 0}
      await new Promise((r) => setTimeout(r, 1000))
    }
  }
  try {
    if (existsSync(marker)) return {ref: `oci:${layout}:latest`, rootfs, buildSeconds: 0}
    const started = Date.now()
    removeDir(dir)
    mkdirSync(dir, {recursive: true})
    await fill(rootfs)
    await pack(rootfs, layout)
    writeFileSync(marker, '')
    return {ref: `oci:${layout}:latest`, rootfs, buildSeconds: Math.round((Date.now() - started) / 1000)}
  } finally {
    removeDir(lock)
  }
}

const memo = new Map<string, Promise<DistroImage>>()
function once(key: string, build: () => Promise<DistroImage>): Promise<DistroImage> {
  let p = memo.get(key)
  if (!p) {
    p = build()
    memo.set(key, p)
  }
  return p
}

/** `debootstrap --variant=minbase` of Debian stable, as a Debian base image is made. */
export function debianMinbase(): Promise<DistroImage> {
  const mirror = debianMirror()
  return once('minbase', () => cached('minbase', [SUITE, mirror, 'minbase'], async (rootfs) => {
    await low('debootstrap', ['--variant=minbase', SUITE, rootfs, mirror])
    await low('chroot', [rootfs, 'apt-get', 'clean'])
  }))
}

/** Minbase plus packages installed with apt-get in a chroot, cleaned up as a Dockerfile's RUN line would. */
export function debianWith(packages: readonly string[]): Promise<DistroImage> {
  const mirror = debianMirror()
  const key = `debian+${[...packages].sort().join(',')}`
  return once(key, () => cached('debian', [SUITE, mirror, 'minbase', ...[...packages].sort()], async (rootfs) => {
    const base = await debianMinbase()
    await low('cp', ['-a', base.rootfs, rootfs])
    const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C'}
    // No fsync per file: the rootfs is thrown away with the run, and dpkg's syncs made the install 5x slower here.
    await low('chroot', [rootfs, 'apt-get', 'install', '-y', '--no-install-recommends',
      '-o', 'Dpkg::Options::=--force-unsafe-io', ...packages], {env})
    await low('chroot', [rootfs, 'apt-get', 'clean'])
  }))
}

/** busybox as the official image lays it out: the static binary, its applet links, a minimal /etc. */
export function busybox(): Promise<DistroImage> {
  const bin = '/bin/busybox'
  const version = existsSync(bin) ? createHash('sha256').update(readFileSync(bin)).digest('hex') : 'missing'
  return once('busybox', () => cached('busybox', [version], async (rootfs) => {
    for (const d of ['bin', 'etc', 'root', 'tmp', 'var/spool/mail', 'home']) mkdirSync(join(rootfs, d), {recursive: true})
    copyFileSync(bin, join(rootfs, 'bin/busybox'))
    await low('chroot', [rootfs, '/bin/busybox', '--install', '-s', '/bin'])
    writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\n' +
      'nobody:x:65534:65534:nobody:/home:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\n')
    writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\nwww-data:x:33:\n')
    writeFileSync(join(rootfs, 'etc/shadow'), 'root:*:10933:0:99999:7:::\ndaemon:*:10933:0:99999:7:::\nnobody:*:10933:0:99999:7:::\n')
  }))
}
