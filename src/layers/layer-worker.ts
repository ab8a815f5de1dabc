import {parentPort} from 'node:worker_threads'
import {PassThrough} from 'node:stream'
import {FILE_CHECKS} from '../checks/index.js'
import {ImgvetError} from '../errors.js'
import type {Layer} from '../image/image.js'
import type {Descriptor} from '../image/types.js'
import {CheckFailure, scanLayer} from './scan-layer.js'

/**
 * One layer scan off the main thread: the main thread streams the verified compressed bytes in, this thread
 * decompresses, hashes, parses and runs the checks, and posts the LayerScan back. Two of these keep both cores busy.
 */
export type ToWorker =
  | {type: 'start'; job: number; index: number; descriptor: Descriptor; diffId: string | null; imageName: string; maxLayerBytes: number; maxTextBytes?: number}
  | {type: 'chunk'; job: number; data: Uint8Array}
  | {type: 'end'; job: number}
  | {type: 'abort'; job: number}

export type FromWorker =
  | {type: 'ack'; job: number; bytes: number}
  | {type: 'done'; job: number; scan: unknown}
  | {type: 'error'; job: number; error: {name: string; code?: string; message: string; where?: string}}

const port = parentPort
if (!port) throw new Error('layer-worker must run in a worker thread')

let current: {job: number; input: PassThrough} | null = null

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'start') {
    const input = new PassThrough({highWaterMark: 1024 * 1024})
    current = {job: msg.job, input}
    const layer: Layer = {index: msg.index, descriptor: msg.descriptor, diffId: msg.diffId, open: async () => input}
    scanLayer(layer, {checks: FILE_CHECKS, maxLayerBytes: msg.maxLayerBytes, maxTextBytes: msg.maxTextBytes}, msg.imageName).then(
      (scan) => port.postMessage({type: 'done', job: msg.job, scan} satisfies FromWorker),
      (e: unknown) => {
        const err = e as Error & {code?: string; where?: string}
        const error = {name: e instanceof ImgvetError ? 'ImgvetError' : e instanceof CheckFailure ? 'CheckFailure' : err.name, code: err.code, message: err.message, where: err.where}
        port.postMessage({type: 'error', job: msg.job, error} satisfies FromWorker)
      },
    )
  } else if (current && msg.job === current.job) {
    const input = current.input
    if (msg.type === 'chunk') {
      const buf = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength)
      // Acknowledge once the bytes are consumed, so the main thread's in-flight window stays bounded.
      input.write(buf, () => port.postMessage({type: 'ack', job: msg.job, bytes: buf.length} satisfies FromWorker))
    } else if (msg.type === 'end') input.end()
    else if (msg.type === 'abort') input.destroy(new ImgvetError('network', 'layer stream aborted'))
  }
})
