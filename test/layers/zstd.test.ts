import test from 'ava'
import {randomBytes} from 'node:crypto'
import {Readable} from 'node:stream'
import {ImgvetError} from '../../src/errors.js'
import {decompress} from '../../src/layers/decompress.js'
import {zstd} from './helpers.js'

async function drain(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

// Both decoders must give the same bytes and the same coded error on a corrupt stream: the CLI is used when the
// machine has zstd, the pure-JS one otherwise.
for (const decoder of ['cli', 'js'] as const) {
  test.serial(`zstd via ${decoder}: round trip of text and random data`, async (t) => {
    process.env.IMGVET_ZSTD_DECODER = decoder
    const plain = Buffer.concat([Buffer.from('hello zstd\n'.repeat(50_000)), randomBytes(300_000)])
    const {stream, compression} = await decompress(Readable.from([zstd(plain)]), 1024 ** 3, 'test')
    t.is(compression, 'zstd')
    t.true((await drain(stream)).equals(plain))
  })

  test.serial(`zstd via ${decoder}: a truncated stream is a hostile-layer error`, async (t) => {
    process.env.IMGVET_ZSTD_DECODER = decoder
    const z = zstd(randomBytes(200_000))
    const {stream} = await decompress(Readable.from([z.subarray(0, z.length - 5000)]), 1024 ** 3, 'test')
    const err = await t.throwsAsync(drain(stream))
    t.true(err instanceof ImgvetError, String(err))
    t.is((err as ImgvetError).code, 'hostile-layer')
  })

  test.serial(`zstd via ${decoder}: the size bound stops a zstd bomb`, async (t) => {
    process.env.IMGVET_ZSTD_DECODER = decoder
    const {stream} = await decompress(Readable.from([zstd(Buffer.alloc(8 * 1024 * 1024))]), 1024 * 1024, 'test')
    const err = await t.throwsAsync(drain(stream))
    t.is((err as ImgvetError).code, 'hostile-layer')
  })
}

test.after.always(() => {
  delete process.env.IMGVET_ZSTD_DECODER
})
