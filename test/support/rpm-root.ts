import {execFileSync} from 'node:child_process'
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

export interface RpmPackage {
  name: string
  version: string
  release: string
  /** Absolute path in the root -> content. */
  files: Record<string, string>
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, {stdio: ['ignore', 'pipe', 'pipe']}).toString()

/**
 * A root file system as rpm installs it: one spec (the first package, the others subpackages) built by rpmbuild,
 * the .rpm files installed by `rpm --root --dbpath /var/lib/rpm -i`, which writes rpmdb.sqlite as RHEL 9 or Fedora
 * do. Returns the root directory.
 */
export function rpmRoot(dir: string, packages: readonly RpmPackage[]): string {
  const top = join(dir, 'top')
  const payload = join(dir, 'payload')
  const root = join(dir, 'root')
  for (const d of ['SPECS', 'RPMS', 'BUILD', 'BUILDROOT']) mkdirSync(join(top, d), {recursive: true})
  mkdirSync(root, {recursive: true})
  const [main, ...subs] = packages
  if (!main) throw new Error('rpmRoot needs a package')
  const section = (p: RpmPackage, sub: boolean) => [
    sub ? `%package -n ${p.name}\nVersion: ${p.version}\nRelease: ${p.release}\nSummary: ${p.name}` : '',
    `%description${sub ? ` -n ${p.name}` : ''}\n${p.name}`,
  ].join('\n')
  const files = (p: RpmPackage, sub: boolean) => `%files${sub ? ` -n ${p.name}` : ''}\n${Object.keys(p.files).join('\n')}`
  for (const p of packages) {
    for (const [path, content] of Object.entries(p.files)) {
      mkdirSync(dirname(join(payload, path)), {recursive: true})
      writeFileSync(join(payload, path), content)
    }
  }
  const spec = [
    `Name: ${main.name}\nVersion: ${main.version}\nRelease: ${main.release}\nSummary: test\nLicense: MIT\nBuildArch: noarch`,
    section(main, false),
    ...subs.map((p) => section(p, true)),
    `%install\nmkdir -p %{buildroot}\ncp -a ${payload}/. %{buildroot}/`,
    files(main, false),
    ...subs.map((p) => files(p, true)),
  ].join('\n\n')
  writeFileSync(join(top, 'SPECS', 'test.spec'), `${spec}\n`)
  run('rpmbuild', ['--define', `_topdir ${top}`, '--define', '_build_id_links none', '-bb', join(top, 'SPECS', 'test.spec')])
  const rpms = readdirSync(join(top, 'RPMS', 'noarch')).map((f) => join(top, 'RPMS', 'noarch', f))
  run('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '--initdb'])
  run('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-i', '--nodeps', ...rpms])
  return root
}

/** The packages rpm itself lists in that root's database: what a reader of it must find too. */
export function rpmQueryAll(root: string): string[] {
  return run('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-qa', '--qf', '%{NAME} %{VERSION}-%{RELEASE}\n'])
    .split('\n').filter(Boolean).sort()
}
