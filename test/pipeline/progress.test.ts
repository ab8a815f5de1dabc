import test from 'ava'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {LayerCache} from '../../src/cache/layer-cache.js'
import {ImgvetError} from '../../src/errors.js'
import {scanSource} from '../../src/pipeline/scan.js'
import {Readable} from 'node:stream'
import {VerifyingStream} from '../../src/image/digest.js'
import type {Descriptor} from '../../src/image/types.js'
import {makeTar, MemorySource} from '../layers/helpers.js'

/** Byte progress of a real scan over the in-memory source: the same walk, verifying streams and layer cache as the CLI's. */
function randomText(n: number): string {
  return randomBytes(n).toString('base64')
}

/** Blobs in 64 KiB chunks, as a file or a socket hands them over (MemorySource gives one chunk per blob). */
class ChunkedSource extends MemorySource {
  override async openBlob(desc: Descriptor): Promise<Readable> {
    const data = this.blobs.get(desc.digest) ?? Buffer.alloc(0)
    this.opened++
    const chunks = Array.from({length: Math.ceil(data.length / 65536)}, (_, i) => data.subarray(i * 65536, (i + 1) * 65536))
    return Readable.from(chunks).pipe(new VerifyingStream({digest: desc.digest, size: desc.size}, desc.digest))
  }
}

function layerSizes(source: MemorySource): number[] {
  return (JSON.parse(source.manifest.bytes.toString()) as {layers: Array<{size: number}>}).layers.map((l) => l.size)
}

function cacheDir(t: {teardown: (fn: () => void) => void}): LayerCache {
  const dir = mkdtempSync(join(tmpdir(), 'imgvet-progress-'))
  t.teardown(() => rmSync(dir, {recursive: true, force: true}))
  return new LayerCache(dir)
}

test('a one-layer image reports bytes as they are read, rising to the layer size', async (t) => {
  // Incompressible content, so the compressed layer spans several chunks of the stream.
  const source = new ChunkedSource([{tar: await makeTar([{name: 'data.txt', content: randomText(600_000)}])}])
  const size = layerSizes(source)[0] ?? 0
  const seen: Array<[number, number]> = []
  await scanSource(source, {cache: null, onBytes: (d, n) => seen.push([d, n])})
  t.true(seen.length > 2, `several updates for one layer: ${seen.length}`)
  t.true(seen.every(([, n]) => n === size), 'the total is the compressed layer size')
  t.deepEqual(seen.at(-1), [size, size])
  for (let i = 1; i < seen.length; i++) t.true((seen[i]?.[0] ?? 0) >= (seen[i - 1]?.[0] ?? 0), 'never goes back')
  t.true(seen.some(([d]) => d > 0 && d < size), 'a point between start and end')
})

test('a layer served from the cache counts at once; two layers sum', async (t) => {
  const layers = [{tar: await makeTar([{name: 'a', content: 'one'}])}, {tar: await makeTar([{name: 'b', content: 'two'}])}]
  const cache = cacheDir(t)
  const total = layerSizes(new MemorySource(layers)).reduce((n, s) => n + s, 0)
  await scanSource(new MemorySource(layers), {cache})
  const second = new MemorySource(layers)
  const seen: Array<[number, number]> = []
  await scanSource(second, {cache, onBytes: (d, n) => seen.push([d, n])})
  t.is(second.opened, 1, 'only the config was read: both layers came from the cache')
  t.deepEqual(seen.map(([, n]) => n), [total, total])
  t.is(seen.at(-1)?.[0], total)
})

test('counting changes nothing of what the walk sees: a tampered layer still fails its digest check', async (t) => {
  const source = new MemorySource([{tar: await makeTar([{name: 'a.txt', content: randomText(5000)}])}])
  const [digest, blob] = [...source.blobs.entries()][0] ?? ['', Buffer.alloc(0)]
  const tampered = Buffer.from(blob)
  tampered[tampered.length - 10] = (tampered[tampered.length - 10] ?? 0) ^ 0xff
  source.blobs.set(digest, tampered)
  const err = await t.throwsAsync(scanSource(source, {cache: null, onBytes: () => undefined}), {instanceOf: ImgvetError})
  t.is(err?.code, 'integrity', err?.message)
})
