import {Worker} from 'node:worker_threads'
import {ImgvetError, type ErrorCode} from '../errors.js'
import type {Layer} from '../image/image.js'
import type {FromWorker, ToWorker} from './layer-worker.js'
import type {LayerScan} from './scan-layer.js'

const MAX_IN_FLIGHT = 4 * 1024 * 1024

// Under tsx (tests, bench) this module is a .ts file and so is its worker, which then needs tsx's loader
// registered inside the thread; compiled, both are .js and load directly.
const UNDER_TSX = import.meta.url.endsWith('.ts')
const WORKER_URL = new URL(UNDER_TSX ? './layer-worker.ts' : './layer-worker.js', import.meta.url)

function startWorker(): Worker {
  if (!UNDER_TSX) return new Worker(WORKER_URL)
  const api = import.meta.resolve('tsx/esm/api')
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}) })`
  return new Worker(boot, {eval: true})
}

/** Errors cross the thread boundary as plain data; coded ones come back coded, anything else stays an internal error. */
function rebuildError(e: {name: string; code?: string; message: string; where?: string}): Error {
  if (e.name === 'ImgvetError' && e.code) return new ImgvetError(e.code as ErrorCode, e.message, e.where)
  const err = new Error(e.message)
  err.name = e.name
  return err
}

/**
 * Worker threads that each scan one layer at a time with the built-in checks. The main thread keeps the network
 * and the digest check; the CPU-heavy part (inflate, diffID hash, tar, detectors) runs in parallel.
 */
export class LayerWorkerPool {
  private readonly idle: Worker[] = []
  private readonly all: Worker[] = []
  private readonly waiting: Array<(w: Worker) => void> = []
  private readonly dead = new WeakSet<Worker>()
  private nextJob = 1

  constructor(readonly size: number) {}

  private async acquire(): Promise<Worker> {
    const w = this.idle.pop()
    if (w) return w
    if (this.all.length < this.size) {
      const worker = startWorker()
      worker.unref()
      this.all.push(worker)
      return worker
    }
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  private release(w: Worker): void {
    if (this.dead.has(w)) {
      // A crashed thread is replaced on the next acquire rather than handed out again.
      this.all.splice(this.all.indexOf(w), 1)
      const waiter = this.waiting.shift()
      if (waiter) void this.acquire().then(waiter)
      return
    }
    const next = this.waiting.shift()
    if (next) next(w)
    else this.idle.push(w)
  }

  async scan(layer: Layer, imageName: string, maxLayerBytes: number, maxTextBytes?: number): Promise<LayerScan> {
    const worker = await this.acquire()
    const job = this.nextJob++
    try {
      return await this.run(worker, job, layer, imageName, {maxLayerBytes, maxTextBytes})
    } finally {
      this.release(worker)
    }
  }

  private async run(worker: Worker, job: number, layer: Layer, imageName: string, limits: {maxLayerBytes: number; maxTextBytes?: number}): Promise<LayerScan> {
    const post = (m: ToWorker) => worker.postMessage(m)
    const stream = await layer.open()
    return new Promise<LayerScan>((resolve, reject) => {
      let inFlight = 0
      let settled = false
      const finish = (err: Error | null, scan?: LayerScan) => {
        if (settled) return
        settled = true
        worker.off('message', onMessage)
        worker.off('error', onWorkerError)
        if (err) {
          stream.destroy()
          post({type: 'abort', job})
          reject(err)
        } else resolve(scan as LayerScan)
      }
      const onMessage = (m: FromWorker) => {
        if (m.job !== job) return
        if (m.type === 'ack') {
          inFlight -= m.bytes
          if (inFlight < MAX_IN_FLIGHT && stream.isPaused()) stream.resume()
        } else if (m.type === 'done') finish(null, m.scan as LayerScan)
        else if (m.type === 'error') finish(rebuildError(m.error))
      }
      const onWorkerError = (e: Error) => {
        this.dead.add(worker)
        finish(e)
      }
      worker.on('message', onMessage)
      worker.on('error', onWorkerError)
      post({type: 'start', job, index: layer.index, descriptor: layer.descriptor, diffId: layer.diffId, imageName, ...limits})
      stream.on('data', (chunk: Buffer) => {
        inFlight += chunk.length
        // Copy out of Node's shared pool so the bytes can cross the thread boundary.
        const data = new Uint8Array(chunk.length)
        data.set(chunk)
        worker.postMessage({type: 'chunk', job, data} satisfies ToWorker, [data.buffer])
        if (inFlight >= MAX_IN_FLIGHT) stream.pause()
      })
      stream.on('end', () => post({type: 'end', job}))
      stream.on('error', (e) => finish(e))
    })
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()))
    this.all.length = 0
    this.idle.length = 0
  }
}
