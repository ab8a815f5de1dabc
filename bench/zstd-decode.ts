// Decompress one zstd file with one decoder and count the output: the measurement behind the choice of decoder in
// src/layers/decompress.ts. Prints {bytes, seconds} as JSON. Each decoder runs in its own process so peak RSS and
// JIT warm-up are its own.
// Usage: node --import=tsx bench/zstd-decode.ts fzstd|cli|zstd-napi FILE
import {spawn} from 'node:child_process'
import {createReadStream} from 'node:fs'
import {createRequire} from 'node:module'
import {Writable, type Readable, type Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {decompress} from '../src/layers/decompress.js'

const [decoder, file] = process.argv.slice(2)
if (!decoder || !file) throw new Error('usage: zstd-decode.ts fzstd|cli|zstd-napi FILE')

let bytes = 0
const sink = () => new Writable({
  write(chunk: Buffer, _e, cb) {
    bytes += chunk.length
    cb()
  },
})

const started = process.hrtime.bigint()
if (decoder === 'fzstd') {
  // The product path: magic-byte sniffing, fzstd, the decompression-bomb bound.
  const {stream} = await decompress(createReadStream(file, {highWaterMark: 256 * 1024}), Number.MAX_SAFE_INTEGER, file)
  await pipeline(stream, sink())
} else if (decoder === 'cli') {
  // What shelling out would give us: the zstd binary decoding into a pipe that Node reads.
  const child = spawn('zstd', ['-dc', file], {stdio: ['ignore', 'pipe', 'inherit']})
  const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)))
  await pipeline(child.stdout as Readable, sink())
  if ((await exited) !== 0) throw new Error('zstd -dc failed')
} else if (decoder === 'zstd-napi') {
  // Loaded at run time: an optional native dev dependency, absent unless it built on this machine.
  const {DecompressStream} = createRequire(import.meta.url)('zstd-napi') as {DecompressStream: new () => Transform}
  await pipeline(createReadStream(file, {highWaterMark: 256 * 1024}), new DecompressStream(), sink())
} else {
  throw new Error(`unknown decoder ${decoder}`)
}
process.stdout.write(JSON.stringify({bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9}) + '\n')
