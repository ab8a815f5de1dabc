import {parentPort} from 'node:worker_threads'
import type {FileCheck} from '../checks/check.js'
import {FILE_CHECKS} from '../checks/index.js'
import {CheckFailure, matchContent, type Matched} from './match.js'
import type {WalkEntry} from './entry.js'

/**
 * One content-check thread: batches of files (their bytes in one transferred buffer) in, matchContent's result per
 * file out, in the batch's order. It holds no state between batches, so any thread can take any batch.
 */
export interface BatchItem {
  entry: WalkEntry
  offset: number
  length: number
  truncated: boolean
  /** Ids of the checks that want the file, in the walk's order. */
  wanting: string[]
  cap: number
  hashAnyway: boolean
}

/** `items` is BatchItem[] as JSON: one string crosses the boundary faster than a thousand small objects. */
export type ToWorker = {type: 'batch'; id: number; items: string; data: ArrayBuffer}

/** Only the files with something to say come back, by their index in the batch; the others had nothing. */
export type FromWorker =
  | {type: 'done'; id: number; results: Array<[number, Matched]>}
  | {type: 'error'; id: number; error: {name: string; message: string}}

const port = parentPort
if (!port) throw new Error('content-worker must run in a worker thread')

const BY_ID = new Map<string, FileCheck>(FILE_CHECKS.map((c) => [c.id, c]))

function resolve(ids: readonly string[]): FileCheck[] {
  return ids.map((id) => {
    const c = BY_ID.get(id)
    // The pool only sends checks it found registered under these ids; anything else is a bug, not a file to skip.
    if (!c) throw new Error(`unknown check ${id}`)
    return c
  })
}

port.on('message', (msg: ToWorker) => {
  try {
    const data = Buffer.from(msg.data)
    const items = JSON.parse(msg.items) as BatchItem[]
    const results: Array<[number, Matched]> = []
    items.forEach((it, i) => {
      const buf = data.subarray(it.offset, it.offset + it.length)
      if (it.entry.mtime !== undefined) it.entry.mtime = new Date(it.entry.mtime)
      const m = matchContent(it.entry, buf, it.truncated, resolve(it.wanting), it.cap, it.hashAnyway)
      if (m.findings.length > 0 || m.sightings.length > 0 || m.cut || m.hashes !== undefined) results.push([i, m])
    })
    port.postMessage({type: 'done', id: msg.id, results} satisfies FromWorker)
  } catch (e) {
    const err = e as Error
    port.postMessage({type: 'error', id: msg.id, error: {name: e instanceof CheckFailure ? 'CheckFailure' : err.name, message: err.message}} satisfies FromWorker)
  }
})
