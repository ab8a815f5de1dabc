import test from 'ava'
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {FILE_CHECKS} from '../../src/checks/index.js'
import {decodeCapped, zstdMaxWindow} from '../../src/layers/archive-codecs.js'
import {walkImage} from '../../src/layers/walk.js'
import {githubToken} from '../support/fake-secrets.js'
import {imageOf, makeTar} from './helpers.js'

const MiB = 1024 * 1024

function workdir(t: {teardown: (fn: () => void) => void}): string {
  const dir = mkdtempSync(join(process.env['IMGVET_TEST_TMP'] ?? tmpdir(), 'imgvet-codecs-'))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

/** `tar <flags> -cf out -C dir .` with the real tar and its compressor. */
function tarball(dir: string, name: string, flags: string[], files: Record<string, string | Buffer>): Buffer {
  const src = join(dir, `${name}.d`)
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(src, p, '..'), {recursive: true})
    writeFileSync(join(src, p), c)
  }
  execFileSync('tar', [...flags, '-cf', join(dir, name), '-C', src, '.'])
  return readFileSync(join(dir, name))
}

const XZ = ['-J']
const BZ2 = ['-j']
const ZST = ['--use-compress-program', 'zstd -q']

async function walk(files: Record<string, Buffer>) {
  const {image} = await imageOf([{tar: await makeTar(Object.entries(files).map(([name, content]) => ({name, content})))}])
  return walkImage(image, {checks: FILE_CHECKS, cache: null})
}

const paths = (fs: ReadonlyArray<{id: string; path: string | null}>) => fs.map((f) => `${f.id} ${f.path}`).sort()

test('tarballs compressed by xz, bzip2 and zstd are opened and their members named through the archive', async (t) => {
  const dir = workdir(t)
  const token = githubToken()
  const env = {'etc/app.env': `GITHUB_TOKEN=${token}\n`, 'etc/README': 'nothing\n'}
  const got = paths((await walk({
    'app/x.tar.xz': tarball(dir, 'x.tar.xz', XZ, env),
    'app/x.txz': tarball(dir, 'x.txz', XZ, env),
    'app/y.tar.bz2': tarball(dir, 'y.tar.bz2', BZ2, env),
    'app/y.tbz2': tarball(dir, 'y.tbz2', BZ2, env),
    'app/z.tar.zst': tarball(dir, 'z.tar.zst', ZST, env),
    'app/z.tzst': tarball(dir, 'z.tzst', ZST, env),
  })).findings.filter((f) => f.id === 'secret.github-token'))
  t.deepEqual(got, ['x.tar.xz', 'x.txz', 'y.tar.bz2', 'y.tbz2', 'z.tar.zst', 'z.tzst'].map((n) => `secret.github-token /app/${n}!/etc/app.env`))
})

test('they nest like the others: an xz tarball in a bzip2 one in a zstd one is three levels, a fourth is named', async (t) => {
  const dir = workdir(t)
  const token = githubToken()
  const inner = tarball(dir, 'c.tar.xz', XZ, {'app.env': `GITHUB_TOKEN=${token}\n`, 'd.tar.gz': tarball(dir, 'd.tar.gz', ['-z'], {'x.env': `GITHUB_TOKEN=${token}\n`})})
  const middle = tarball(dir, 'b.tar.bz2', BZ2, {'lib/c.tar.xz': inner})
  const outer = tarball(dir, 'a.tar.zst', ZST, {'opt/b.tar.bz2': middle})
  const res = await walk({'srv/a.tar.zst': outer})
  const got = paths(res.findings)
  t.true(got.includes('secret.github-token /srv/a.tar.zst!/opt/b.tar.bz2!/lib/c.tar.xz!/app.env'), got.join('\n'))
  t.true(got.includes('archive.partial /srv/a.tar.zst!/opt/b.tar.bz2!/lib/c.tar.xz!/d.tar.gz'), got.join('\n'))
})

test('a bomb costs the cap: 64 MiB of zeros in each codec decode to the cap and say so', async (t) => {
  const zeros = (cmd: string, args: string[]) => execFileSync('sh', ['-c', `head -c ${64 * MiB} /dev/zero | ${cmd} ${args.join(' ')}`], {maxBuffer: 64 * MiB})
  for (const [codec, data] of [['xz', zeros('xz', ['-c'])], ['bzip2', zeros('bzip2', ['-c'])], ['zstd', zeros('zstd', ['-q', '-c'])]] as const) {
    const started = Date.now()
    const r = await decodeCapped(data, 4 * MiB, codec)
    t.is(r.buf.length, 4 * MiB, codec)
    t.true(r.truncated, codec)
    t.true(r.buf.every((b) => b === 0))
    t.true(Date.now() - started < 10_000, `${codec} took ${Date.now() - started} ms`)
  }
})

test('corrupt or cut data yields what decoded before the damage, never an exception', async (t) => {
  const dir = workdir(t)
  const text = Buffer.from('line of text that repeats\n'.repeat(50_000))
  for (const [codec, flags] of [['xz', XZ], ['bzip2', BZ2], ['zstd', ZST]] as const) {
    const whole = tarball(dir, `t-${codec}`, flags, {'a.txt': text})
    const cut = await decodeCapped(whole.subarray(0, Math.floor(whole.length / 2)), 64 * MiB, codec)
    t.true(cut.truncated, codec)
    const bad = Buffer.from(whole)
    for (let i = 40; i < bad.length; i += 97) bad[i] = (bad[i] ?? 0) ^ 0x55
    await t.notThrowsAsync(decodeCapped(bad, 64 * MiB, codec))
    const full = await decodeCapped(whole, 64 * MiB, codec)
    t.false(full.truncated, codec)
    t.true(full.buf.includes(text.subarray(0, 1000)), codec)
  }
})

test('a zstd frame that asks for a window past 128 MiB is refused before any allocation, and the finding says why', async (t) => {
  const dir = workdir(t)
  const real = tarball(dir, 'ok.tar.zst', ZST, {'a.env': 'A=1\n'})
  t.true(zstdMaxWindow(real) <= 128 * MiB)
  // A frame header (magic, descriptor: no single segment, window descriptor 2^30), then one raw last block.
  const hostile = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa0, 0x09, 0x00, 0x00, 0x41])
  t.is(zstdMaxWindow(hostile), 2 ** 30)
  const r = await decodeCapped(hostile, MiB, 'zstd')
  t.is(r.buf.length, 0)
  t.regex(r.refused ?? '', /window is larger than 128 MiB/)
  const res = await walk({'srv/big-window.tar.zst': hostile})
  t.true(res.findings.some((f) => f.id === 'archive.partial' && /window is larger than 128 MiB/.test(f.evidence)), paths(res.findings).join('\n'))
})
