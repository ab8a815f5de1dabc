import {availableParallelism} from 'node:os'
import {Worker} from 'node:worker_threads'
import type {FileCheck} from '../checks/check.js'
import {FILE_CHECKS} from '../checks/index.js'
import {ImgvetError} from '../errors.js'
import type {Layer} from '../image/image.js'
import type {BatchItem, BatchTables, FromWorker, ToWorker} from './content-worker.js'
import {CheckFailure, type ContentJob, type ContentMatcher, type Matched, type MatchedCallback} from './match.js'
import {scanLayer, type LayerScan} from './scan-layer.js'
import type {PathSkip} from './skip.js'
import type {WalkEntry} from './entry.js'

/**
 * Bytes handed to the threads and not yet answered, over all layers: the walk waits past this (peak RSS). 16 MiB gave
 * a scan of 100k files 20-40 MiB more at its peak than 8, and no more speed, side by side.
 */
const MAX_IN_FLIGHT = 8 * 1024 * 1024
/** A batch is sent once it holds this much or this many files: one message per file would cost more than a match. */
const BATCH_BYTES = 1024 * 1024
const BATCH_FILES = 1024
const MIN_SEND_FILES = 256
const MIN_SEND_BYTES = 256 * 1024
/** Bytes queued per thread past which the threads count as busy (a batch running and one waiting). */
const BUSY_PER_THREAD = 2 * BATCH_BYTES
/** What a file costs in flight besides its bytes (its entry, its result), so that many empty files are bounded too. */
const ITEM_COST = 256

// Under tsx (tests, bench) this module is a .ts file and so is its worker, which then needs tsx's loader
// registered inside the thread; compiled, both are .js and load directly.
const UNDER_TSX = import.meta.url.endsWith('.ts')
const WORKER_URL = new URL(UNDER_TSX ? './content-worker.ts' : './content-worker.js', import.meta.url)

function startWorker(): Worker {
  if (!UNDER_TSX) return new Worker(WORKER_URL)
  const api = import.meta.resolve('tsx/esm/api')
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}) })`
  return new Worker(boot, {eval: true})
}

/**
 * Content threads by default: one per core the process may use besides the walking thread's, which checks files
 * itself while the threads are busy (so two cores are one thread plus the walk, and one thread's start-up and
 * warm-up is all the pool costs). IMGVET_JOBS sets another number; 0 keeps every check in the walking thread.
 */
export function defaultJobs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env['IMGVET_JOBS']
  if (v === undefined || v === '') return Math.max(1, availableParallelism() - 1)
  if (!/^\d{1,3}$/.test(v)) throw new ImgvetError('usage', `IMGVET_JOBS must be a number of threads (0 for none), not "${v.slice(0, 20)}"`)
  return Number(v)
}

interface Batch {
  items: BatchItem[]
  bufs: Buffer[]
  waiters: MatchedCallback[]
  bytes: number
  tables: BatchTables
  /** Where each layer and each list of checks already is in `tables`, by identity. */
  layerAt: Map<WalkEntry['layer'], number>
  wantingAt: Map<string, number>
}

function newBatch(): Batch {
  return {items: [], bufs: [], waiters: [], bytes: 0, tables: {layers: [], wanting: []}, layerAt: new Map(), wantingAt: new Map()}
}

/** The lists differ per file (the walk filters them), their contents hardly ever: keyed by the ids. */
function wantingIndex(batch: Batch, checks: readonly FileCheck[]): number {
  const ids = checks.map((c) => c.id)
  return indexIn(batch.wantingAt, batch.tables.wanting, ids.join('\0'), () => ids)
}

function indexIn<K, V>(at: Map<K, number>, list: V[], key: K, value: () => V): number {
  let i = at.get(key)
  if (i === undefined) {
    i = list.push(value()) - 1
    at.set(key, i)
  }
  return i
}

interface Slot {
  worker: Worker
  /** Batches sent and not answered, by id, with the bytes they hold in flight. */
  sent: Map<number, {waiters: MatchedCallback[]; cost: number}>
  cost: number
}

/**
 * Enough for one message to an idle thread: a message costs some microseconds on both sides, so files the size of a
 * few lines wait for company (a walk that is slower than its thread would otherwise send them one by one).
 */
function worthSending(b: Batch): boolean {
  return b.items.length >= MIN_SEND_FILES || b.bytes >= MIN_SEND_BYTES
}

/** Errors cross the thread boundary as plain data; a check that threw stays a CheckFailure (a bug, not the image). */
function rebuildError(e: {name: string; message: string}): Error {
  if (e.name === 'CheckFailure') return CheckFailure.rebuilt(e.message)
  const err = new Error(e.message)
  err.name = e.name
  return err
}

/** A scan still running when its pool is closed (the run was cut short) could not complete. */
function closedError(): ImgvetError {
  return new ImgvetError('tool-failed', 'the content-check threads were stopped before the layer was scanned')
}

/** What a file without findings, sightings or cut comes back as (read only by the walk). */
const NOTHING: Matched = Object.freeze({findings: [], sightings: [], cut: false}) as Matched

const REGISTERED = new Map<string, FileCheck>(FILE_CHECKS.map((c) => [c.id, c]))

/**
 * Worker threads for the content checks of layer walks. The walk itself (decompression, diffID hash, tar entries,
 * whiteouts, records) stays in the calling thread and in order; the bytes of each plain file go, batched, to the
 * least busy thread, and the results come back to their entry's place, so findings are the same, in the same order,
 * as a walk that checked every file itself. Threads start on first use and are ref'd only while they hold work.
 */
export class LayerWorkerPool implements ContentMatcher {
  private readonly slots: Slot[] = []
  private batch: Batch | null = null
  private inFlight = 0
  private nextId = 1
  private roomWaiters: Array<() => void> = []
  private closed = false

  constructor(readonly size: number = defaultJobs()) {
    if (size < 1) throw new Error('a worker pool needs at least one thread')
  }

  /** The whole walk of one layer, its content checks on this pool's threads. */
  scan(layer: Layer, imageName: string, maxLayerBytes: number, maxTextBytes?: number, skip?: PathSkip): Promise<LayerScan> {
    return scanLayer(layer, {checks: FILE_CHECKS, maxLayerBytes, maxTextBytes, skip, matcher: this}, imageName)
  }

  runs(checks: readonly FileCheck[]): boolean {
    return !this.closed && checks.every((c) => REGISTERED.get(c.id) === c)
  }

  submit(job: ContentJob, done: MatchedCallback): void {
    if (this.closed) return done(closedError())
    const length = job.buf.length
    if (this.batch && (this.batch.bytes + length > BATCH_BYTES || this.batch.items.length >= BATCH_FILES)) this.flush()
    const batch = (this.batch ??= newBatch())
    const e = job.entry
    const item: BatchItem = [
      e.path, e.type, e.mode, e.uid, e.gid, e.size, e.mtime?.getTime() ?? null, e.linkname ?? null,
      indexIn(batch.layerAt, batch.tables.layers, e.layer, () => e.layer), length, job.truncated ? 1 : 0,
      job.hashAnyway ? 1 : 0, wantingIndex(batch, job.wanting), job.cap,
    ]
    batch.items.push(item)
    batch.bufs.push(job.buf)
    batch.bytes += length
    this.inFlight += length + ITEM_COST
    batch.waiters.push(done)
    // A thread with nothing to do takes what there is once it is worth a message; busy threads let the batch grow.
    if (batch.bytes >= BATCH_BYTES || (this.idleSlot() && worthSending(batch))) this.flush()
  }

  busy(): boolean {
    return this.inFlight >= BUSY_PER_THREAD * this.size
  }

  room(): Promise<void> | undefined {
    if (this.inFlight < MAX_IN_FLIGHT || this.closed) return undefined
    this.flush()
    return new Promise((resolve) => this.roomWaiters.push(resolve))
  }

  flush(): void {
    const batch = this.batch
    if (!batch || batch.items.length === 0) return
    this.batch = null
    const data = new Uint8Array(batch.bytes)
    let at = 0
    for (const b of batch.bufs) {
      data.set(b, at)
      at += b.length
    }
    const slot = this.pick()
    const id = this.nextId++
    const cost = batch.bytes + ITEM_COST * batch.items.length
    if (slot.sent.size === 0) slot.worker.ref()
    slot.sent.set(id, {waiters: batch.waiters, cost})
    slot.cost += cost
    const message: ToWorker = {type: 'batch', id, items: JSON.stringify(batch.items), tables: JSON.stringify(batch.tables), data: data.buffer}
    slot.worker.postMessage(message, [data.buffer])
  }

  private idleSlot(): boolean {
    return this.slots.length < this.size || this.slots.some((s) => s.sent.size === 0)
  }

  private pick(): Slot {
    const idle = this.slots.find((s) => s.sent.size === 0)
    if (idle) return idle
    if (this.slots.length < this.size) return this.start()
    return this.slots.reduce((a, b) => (b.cost < a.cost ? b : a))
  }

  private start(): Slot {
    const worker = startWorker()
    worker.unref()
    const slot: Slot = {worker, sent: new Map(), cost: 0}
    this.slots.push(slot)
    worker.on('message', (m: FromWorker) => this.answered(slot, m))
    worker.on('error', (e) => this.lost(slot, e))
    worker.on('exit', (code) => this.lost(slot, new Error(`exited with code ${code}`)))
    return slot
  }

  private settle(slot: Slot, id: number): MatchedCallback[] {
    const sent = slot.sent.get(id)
    if (!sent) return []
    slot.sent.delete(id)
    slot.cost -= sent.cost
    this.inFlight -= sent.cost
    if (slot.sent.size === 0) slot.worker.unref()
    return sent.waiters
  }

  private answered(slot: Slot, m: FromWorker): void {
    const waiters = this.settle(slot, m.id)
    if (m.type === 'done') {
      const said = new Map(m.results)
      waiters.forEach((w, i) => w(null, said.get(i) ?? NOTHING))
    }
    else {
      const err = rebuildError(m.error)
      for (const w of waiters) w(err)
    }
    this.wake()
    // The thread is free and files are waiting: send them rather than let them wait for a full batch.
    if (slot.sent.size === 0 && this.batch && worthSending(this.batch)) this.flush()
  }

  /** A thread that died takes its batches with it: they fail (coded), and the next batch starts a new thread. */
  private lost(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot)
    if (i === -1) return
    this.slots.splice(i, 1)
    const err = this.closed
      ? closedError()
      : new ImgvetError('tool-failed', `a content-check thread stopped: ${e.message}`)
    for (const id of [...slot.sent.keys()]) for (const w of this.settle(slot, id)) w(err)
    void slot.worker.terminate()
    this.wake()
  }

  private wake(): void {
    if (this.inFlight >= MAX_IN_FLIGHT && !this.closed) return
    const waiters = this.roomWaiters
    this.roomWaiters = []
    for (const w of waiters) w()
  }

  /** Stops every thread; what was still in flight fails rather than hangs. */
  async close(): Promise<void> {
    this.closed = true
    const batch = this.batch
    this.batch = null
    for (const w of batch?.waiters ?? []) w(closedError())
    const slots = [...this.slots]
    await Promise.all(slots.map((s) => s.worker.terminate()))
    for (const s of slots) this.lost(s, new Error('closed'))
    this.wake()
  }
}
