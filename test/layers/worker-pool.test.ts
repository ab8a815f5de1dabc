import test from 'ava'
import {spawn} from 'node:child_process'
import {generateKeyPairSync, randomBytes} from 'node:crypto'
import {writeFileSync, mkdtempSync, rmSync} from 'node:fs'
import {availableParallelism, tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {gzipSync} from 'node:zlib'
import {FILE_CHECKS} from '../../src/checks/index.js'
import {ImgvetError} from '../../src/errors.js'
import type {Layer} from '../../src/image/image.js'
import {scanLayer} from '../../src/layers/scan-layer.js'
import {defaultJobs, LayerWorkerPool} from '../../src/layers/worker-pool.js'
import {awsKeyPair, githubToken, highEntropy} from '../support/fake-secrets.js'
import {makeTar, sha256, type TarItem} from './helpers.js'

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46])

// The walk of one layer stays in this thread; the content checks of its files go to worker threads in batches and
// their results come back to their entry's place. These tests hold the pooled walk to the sequential one.

function layerOf(tar: Buffer, diffId = sha256(tar)): Layer {
  const gz = gzipSync(tar)
  return {
    index: 0, diffId,
    descriptor: {mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(gz), size: gz.length},
    open: async () => Readable.from([gz]),
  }
}

/**
 * A generated layer: thousands of small text files, secrets in some of them (several per file, at various lines),
 * binaries with and without key armour, a key pair for the sightings, a duplicate path, a whiteout and a name that
 * escapes the root, so every list of the LayerScan has content whose order matters.
 */
async function generatedLayer(files = 3000): Promise<Buffer> {
  const key = generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  const items: TarItem[] = []
  for (let i = 0; i < files; i++) {
    const dir = `app/node_modules/pkg-${Math.floor(i / 25)}`
    let body = `// module ${i}\nconst options = {retry: ${i % 7}}\nmodule.exports = function run(key) { return key + ${i} }\n`
    if (i % 97 === 0) body += `const GITHUB_TOKEN = "${githubToken()}"\n`
    if (i % 211 === 0) {
      const aws = awsKeyPair()
      body += `aws_access_key_id = ${aws.accessKeyId}\naws_secret_access_key = ${aws.secretAccessKey}\n`
    }
    if (i % 333 === 0) body += `db_password = "${highEntropy(20)}"\nurl = "postgres://app:${highEntropy(16)}@db:5432/x"\n`
    items.push({name: `${dir}/lib/m${i}.js`, content: body})
    if (i % 500 === 0) items.push({name: `${dir}/bin/tool`, content: Buffer.concat([ELF, randomBytes(40_000)])})
  }
  items.push({name: 'srv/junk-before-key.bin', content: Buffer.concat([randomBytes(300), Buffer.from(`\n${key}`)])})
  items.push({name: 'etc/ssl/private/server.key', content: key})
  items.push({name: 'app/node_modules/pkg-0/lib/m0.js', content: `const token = "${githubToken()}"\n`})
  items.push({name: 'app/node_modules/pkg-3/.wh.old.js', content: ''})
  items.push({name: '../../escape.txt', content: 'x\n'})
  items.push({name: 'app/.env', content: `SECRET_KEY=${highEntropy(40)}\n`})
  return makeTar(items)
}

test('the pooled walk gives the same LayerScan as the sequential one: findings, order, sightings, origins, counts', async (t) => {
  const tar = await generatedLayer()
  const pool = new LayerWorkerPool(2)
  try {
    const pooled = await pool.scan(layerOf(tar), 'test', 1024 ** 3)
    const sequential = await scanLayer(layerOf(tar), {checks: FILE_CHECKS, maxLayerBytes: 1024 ** 3}, 'test')
    t.true(pooled.findings.length >= 40, `findings: ${pooled.findings.length}`)
    t.true(pooled.keySightings.length >= 2)
    t.is(pooled.binarySkipped, 6, 'the random binaries are left by their bytes, the one with a key is not')
    t.deepEqual(pooled, sequential)
    // Findings come in the walk's order: by the entry's position in the tar (the duplicate path, recorded at its first
    // place, aside), then by line.
    const order = new Map(sequential.entries.map((e, i) => [e[0], i]))
    const dup = '/app/node_modules/pkg-0/lib/m0.js'
    const positions = pooled.findings.filter((f) => order.has(f.path) && f.path !== dup).map((f) => order.get(f.path) ?? -1)
    t.deepEqual(positions, [...positions].sort((a, b) => a - b))
  } finally {
    await pool.close()
  }
})

test('one thread or two, the result is the same; the batches really went to the threads', async (t) => {
  const tar = await generatedLayer(1500)
  const one = new LayerWorkerPool(1)
  const two = new LayerWorkerPool(2)
  try {
    const a = await one.scan(layerOf(tar), 'test', 1024 ** 3)
    const b = await two.scan(layerOf(tar), 'test', 1024 ** 3)
    t.deepEqual(a, b)
    t.is((two as unknown as {slots: unknown[]}).slots.length, 2, 'both threads were started')
  } finally {
    await Promise.all([one.close(), two.close()])
  }
})

test('a skip list works on the pooled walk as on the sequential one: the skipped files are counted, not checked', async (t) => {
  const tar = await generatedLayer()
  const skip = {dirs: ['/app/node_modules/pkg-0'], files: ['*.env']}
  const pool = new LayerWorkerPool(2)
  try {
    const pooled = await pool.scan(layerOf(tar), 'test', 1024 ** 3, undefined, skip)
    const sequential = await scanLayer(layerOf(tar), {checks: FILE_CHECKS, maxLayerBytes: 1024 ** 3, skip}, 'test')
    t.deepEqual(pooled, sequential)
    t.true((pooled.skipped ?? 0) > 0)
    t.false(pooled.findings.some((f) => f.path.startsWith('/app/node_modules/pkg-0/') || f.path === '/app/.env'))
  } finally {
    await pool.close()
  }
})

test('a hostile tar fails with its code while files are in flight, and the pool stays usable', async (t) => {
  const good = await generatedLayer(800)
  // Cut inside an entry's data: the parser fails after many files were handed to the threads.
  const cut = good.subarray(0, Math.floor(good.length * 0.6))
  const pool = new LayerWorkerPool(2)
  try {
    const err = await t.throwsAsync(pool.scan(layerOf(cut, sha256(good)), 'test', 1024 ** 3))
    t.true(err instanceof ImgvetError, String(err))
    t.is((err as ImgvetError).code, 'hostile-layer')
    const ok = await pool.scan(layerOf(good), 'test', 1024 ** 3)
    t.true(ok.findings.length > 10)
  } finally {
    await pool.close()
  }
})

test('a diffID mismatch found after the pooled files comes back coded as integrity', async (t) => {
  const tar = await generatedLayer(600)
  const pool = new LayerWorkerPool(2)
  try {
    const err = await t.throwsAsync(pool.scan(layerOf(tar, `sha256:${'0'.repeat(64)}`), 'test', 1024 ** 3))
    t.is((err as ImgvetError).code, 'integrity')
  } finally {
    await pool.close()
  }
})

test('a thread that dies mid-scan fails the scan with a coded error instead of hanging', async (t) => {
  const tar = await generatedLayer(4000)
  const pool = new LayerWorkerPool(1)
  const slots = (pool as unknown as {slots: Array<{worker: {terminate(): Promise<number>}}>}).slots
  try {
    const scan = pool.scan(layerOf(tar), 'test', 1024 ** 3)
    // Kill the thread as soon as it exists (an out-of-memory abort looks the same from here).
    const killer = setInterval(() => {
      if (slots[0]) {
        void slots[0].worker.terminate()
        clearInterval(killer)
      }
    }, 1)
    const err = await t.throwsAsync(scan)
    clearInterval(killer)
    t.true(err instanceof ImgvetError, String(err))
    t.is((err as ImgvetError).code, 'tool-failed')
    // The next scan starts a new thread.
    t.true((await pool.scan(layerOf(await generatedLayer(200)), 'test', 1024 ** 3)).findings.length > 0)
  } finally {
    await pool.close()
  }
})

test('close() stops every thread; work still queued fails rather than hangs', async (t) => {
  const pool = new LayerWorkerPool(2)
  const scan = pool.scan(layerOf(await generatedLayer(3000)), 'test', 1024 ** 3)
  await new Promise((r) => setTimeout(r, 50))
  await pool.close()
  await t.throwsAsync(scan)
  t.is((pool as unknown as {slots: unknown[]}).slots.length, 0)
})

test('IMGVET_JOBS sets the number of threads; by default the walk and its threads use every core; junk is a usage error', (t) => {
  t.is(defaultJobs({}), Math.max(1, availableParallelism() - 1), 'the walking thread is the other core')
  t.is(defaultJobs({IMGVET_JOBS: '3'}), 3)
  t.is(defaultJobs({IMGVET_JOBS: '0'}), 0)
  const err = t.throws(() => defaultJobs({IMGVET_JOBS: 'lots'}))
  t.is((err as ImgvetError).code, 'usage')
})

test('a process that scans with a pool and never closes it still exits, and SIGINT mid-scan ends it at once', async (t) => {
  const dir = mkdtempSync(join(process.env['IMGVET_TEST_TMP'] ?? tmpdir(), 'imgvet-pool-exit-'))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  const tarFile = join(dir, 'layer.tar')
  writeFileSync(tarFile, await generatedLayer(2000))
  const script = join(dir, 'run.mts')
  const src = new URL('../../src/', import.meta.url).href
  writeFileSync(script, [
    `import {readFileSync} from 'node:fs'`,
    `import {Readable} from 'node:stream'`,
    `import {gzipSync} from 'node:zlib'`,
    `import {createHash} from 'node:crypto'`,
    `import {LayerWorkerPool} from '${src}layers/worker-pool.ts'`,
    `const tar = readFileSync(${JSON.stringify(tarFile)}); const gz = gzipSync(tar)`,
    `const h = (b) => 'sha256:' + createHash('sha256').update(b).digest('hex')`,
    `const layer = {index: 0, diffId: h(tar), descriptor: {mediaType: 'x', digest: h(gz), size: gz.length}, open: async () => Readable.from([gz])}`,
    `const pool = new LayerWorkerPool(2)`,
    `const rounds = Number(process.argv[2])`,
    `for (let i = 0; i < rounds; i++) { const s = await pool.scan(layer, 't', 1 << 30); process.stdout.write('scanned ' + s.findings.length + '\\n') }`,
  ].join('\n'))
  type Exit = {code: number | null; signal: string | null; ms: number; out: string}
  const run = (rounds: number, onOut?: (child: ReturnType<typeof spawn>) => void) => new Promise<Exit>((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, ['--import=tsx', script, String(rounds)], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      onOut?.(child)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, ms: Date.now() - started, out})
    })
  })
  const done = await run(1)
  t.is(done.code, 0, 'exits by itself: idle threads do not hold the process')
  t.regex(done.out, /scanned \d+/)
  let sent = false
  const interrupted = await run(1000, (child) => {
    if (!sent) {
      sent = true
      child.kill('SIGINT')
    }
  })
  t.is(interrupted.signal, 'SIGINT', 'ended by the signal, not killed by the test timer')
})
