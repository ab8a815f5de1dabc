import {join} from 'node:path'
import {Buildah, skopeoCopy, skopeoInspectRaw, type SkopeoEndpoint} from './builder.js'
import type {FixtureState, ImageState, RegistryState, RootUserVariant} from './state.js'

export interface Built {
  b: Buildah
  dir: string
}

/** skopeo/buildah flags to reach one of our registries. */
export function endpoint(r: RegistryState): SkopeoEndpoint {
  return {tlsVerify: r.certDir !== undefined, certDir: r.certDir, creds: r.username && r.password ? `${r.username}:${r.password}` : undefined}
}

interface RawManifest {
  mediaType?: string
  layers?: {mediaType?: string}[]
  manifests?: {digest?: string; mediaType?: string; platform?: {os?: string; architecture?: string; variant?: string}}[]
}

/** Reads back what the registry actually stored, so the state file describes reality rather than intent. */
export async function describe(r: RegistryState, repository: string, tag: string, digest: string, description: string, user?: string): Promise<ImageState> {
  const ref = `${r.host}/${repository}:${tag}`
  const raw = JSON.parse(await skopeoInspectRaw(`docker://${r.host}/${repository}@${digest}`, endpoint(r))) as RawManifest
  const state: ImageState = {ref, registry: r.mode, repository, tag, digest, mediaType: raw.mediaType ?? '', description}
  if (raw.layers) state.layerMediaTypes = raw.layers.map((l) => l.mediaType ?? '')
  if (raw.manifests) {
    state.platforms = raw.manifests.map((m) => ({
      platform: [m.platform?.os, m.platform?.architecture, m.platform?.variant].filter(Boolean).join('/'),
      digest: m.digest ?? '',
      mediaType: m.mediaType ?? '',
    }))
  }
  if (user !== undefined) state.user = user
  return state
}

export const BASE_USER = {name: 'app', uid: 1000}

const PASSWD = ['root:x:0:0:root:/root:/bin/sh', `app:x:1000:1000:app:/home/app:/bin/sh`, 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false', '']
const GROUP = ['root:x:0:', 'app:x:1000:', 'nogroup:x:65534:', '']

/** busybox-static as the whole userland: the only base image we can make without network access. */
export async function buildBase(b: Buildah, busybox = '/bin/busybox'): Promise<void> {
  const ctr = await b.from('scratch')
  await b.copy(ctr, busybox, '/bin/busybox', {chmod: '0755'})
  // No /bin/sh until busybox has installed its applet links.
  await b.exec(ctr, ['/bin/busybox', '--install', '-s', '/bin'])
  await b.run(ctr, [
    'mkdir -p /etc /root /home/app /tmp',
    'chmod 1777 /tmp',
    `printf '%s\\n' ${PASSWD.filter(Boolean).map((l) => `'${l}'`).join(' ')} > /etc/passwd`,
    `printf '%s\\n' ${GROUP.filter(Boolean).map((l) => `'${l}'`).join(' ')} > /etc/group`,
    'chown 1000:1000 /home/app',
  ].join(' && '))
  await b.config(ctr, ['--os', 'linux', '--arch', 'amd64', '--user', BASE_USER.name, '--workingdir', '/home/app', '--cmd', '/bin/sh',
    '--env', 'PATH=/bin', '--label', 'org.opencontainers.image.title=imgvet-base', '--created-by', '/bin/sh -c busybox --install -s /bin'])
  await b.commit(ctr, 'imgvet-base')
  const arm = await b.from('imgvet-base')
  await b.config(arm, ['--arch', 'arm64', '--variant', 'v8'])
  await b.commit(arm, 'imgvet-base-arm64')
}

export async function pushBaseSet(b: Buildah, plain: RegistryState, dir: string): Promise<Pick<FixtureState['images'], 'base' | 'baseDocker' | 'multiOci' | 'multiDocker' | 'zstd'> & {zstdLayout: {dir: string; tag: string}}> {
  const dest = (repo: string) => `docker://${plain.host}/${repo}`
  const baseDigest = await b.push('imgvet-base', dest('imgvet/base:oci'), {format: 'oci'})
  const dockerDigest = await b.push('imgvet-base', dest('imgvet/base:docker'), {format: 'v2s2'})
  await b.manifestCreate('imgvet-multi', ['imgvet-base', 'imgvet-base-arm64'])
  const multiOci = await b.manifestPush('imgvet-multi', dest('imgvet/multi:oci'), {format: 'oci'})
  const multiDocker = await b.manifestPush('imgvet-multi', dest('imgvet/multi:docker'), {format: 'v2s2'})
  // Recompressing into a fresh layout first: pushing straight to the registry would reuse the known gzip blob.
  const zstdLayout = {dir: join(dir, 'zstd-layout'), tag: 'zstd'}
  await skopeoCopy(`docker://${plain.host}/imgvet/base:oci`, `oci:${zstdLayout.dir}:${zstdLayout.tag}`, {compress: 'zstd'}, dir)
  const zstdDigest = await skopeoCopy(`oci:${zstdLayout.dir}:${zstdLayout.tag}`, dest('imgvet/zstd:latest'), {}, dir)
  return {
    base: await describe(plain, 'imgvet/base', 'oci', baseDigest, 'busybox-static rootfs, OCI media types, USER app (uid 1000)', BASE_USER.name),
    baseDocker: await describe(plain, 'imgvet/base', 'docker', dockerDigest, 'the base in Docker schema2 media types', BASE_USER.name),
    multiOci: await describe(plain, 'imgvet/multi', 'oci', multiOci, 'OCI index: linux/amd64 + linux/arm64/v8 (same busybox bytes)'),
    multiDocker: await describe(plain, 'imgvet/multi', 'docker', multiDocker, 'Docker manifest list: linux/amd64 + linux/arm64/v8'),
    zstd: await describe(plain, 'imgvet/zstd', 'latest', zstdDigest, 'the base with its layer recompressed as zstd (OCI)', BASE_USER.name),
    zstdLayout,
  }
}

interface Variant {
  tag: string
  user: string
  uid: number | null
  runsAsRoot: boolean | 'unknown'
  passwdExtra?: string
}

const VARIANTS: Variant[] = [
  {tag: 'uid-0', user: '0', uid: 0, runsAsRoot: true},
  {tag: 'uid-0-gid-0', user: '0:0', uid: 0, runsAsRoot: true},
  {tag: 'name-root', user: 'root', uid: 0, runsAsRoot: true},
  {tag: 'alias-toor', user: 'toor', uid: 0, runsAsRoot: true, passwdExtra: 'toor:x:0:0:alias of root:/root:/bin/sh'},
  {tag: 'unknown-name', user: 'ghost', uid: null, runsAsRoot: 'unknown'},
  {tag: 'uid-1000', user: '1000', uid: 1000, runsAsRoot: false},
  {tag: 'name-app', user: 'app', uid: 1000, runsAsRoot: false},
]

/** The USER spellings a non-root check must get right; the base's passwd decides what a name means. */
export async function buildRootUserVariants(b: Buildah, plain: RegistryState): Promise<RootUserVariant[]> {
  const out: RootUserVariant[] = []
  for (const v of VARIANTS) {
    const ctr = await b.from('imgvet-base')
    if (v.passwdExtra) await b.run(ctr, `echo '${v.passwdExtra}' >> /etc/passwd`)
    await b.config(ctr, ['--user', v.user, '--created-by', `/bin/sh -c #(nop) USER ${v.user}`])
    const name = `imgvet-user-${v.tag}`
    await b.commit(ctr, name)
    const digest = await b.push(name, `docker://${plain.host}/imgvet/user:${v.tag}`, {format: 'oci'})
    const image = await describe(plain, 'imgvet/user', v.tag, digest, `USER ${v.user}${v.passwdExtra ? ` with passwd line "${v.passwdExtra}"` : ''}`, v.user)
    out.push({user: v.user, uid: v.uid, runsAsRoot: v.runsAsRoot, image})
  }
  return out
}

/** Enough repositories that `_catalog?n=5` takes several Link-paginated pages. */
export async function pushCatalog(plain: RegistryState, count: number, dir: string): Promise<string[]> {
  const repos: string[] = []
  for (let i = 1; i <= count; i++) {
    const repo = `catalog/repo-${String(i).padStart(2, '0')}`
    await skopeoCopy(`docker://${plain.host}/imgvet/base:oci`, `docker://${plain.host}/${repo}:latest`, {}, dir)
    repos.push(repo)
  }
  return repos
}

export async function writeArchives(plain: RegistryState, dir: string): Promise<Omit<FixtureState['archives'], 'zstdLayout'>> {
  const src = `docker://${plain.host}/imgvet/base:oci`
  const dockerArchive = {path: join(dir, 'base-docker-archive.tar'), ref: 'imgvet/base:latest'}
  const ociArchive = {path: join(dir, 'base-oci-archive.tar'), tag: 'latest'}
  const ociLayout = {dir: join(dir, 'base-oci-layout'), tag: 'latest'}
  await skopeoCopy(src, `docker-archive:${dockerArchive.path}:${dockerArchive.ref}`, {}, dir)
  await skopeoCopy(src, `oci-archive:${ociArchive.path}:${ociArchive.tag}`, {}, dir)
  const ociDigest = await skopeoCopy(src, `oci:${ociLayout.dir}:${ociLayout.tag}`, {}, dir)
  return {dockerArchive, ociArchive, ociLayout, ociDigest}
}
