import {parentPort} from 'node:worker_threads'
import type {FileCheck} from '../checks/check.js'
import {FILE_CHECKS} from '../checks/index.js'
import {CheckFailure, matchContent, type Matched} from './match.js'
import type {WalkEntry} from './entry.js'

/**
 * One content-check thread: batches of files (their bytes in one transferred buffer) in, matchContent's result per
 * file out, in the batch's order. It holds no state between batches, so any thread can take any batch.
 */
/**
 * One file of a batch, as a tuple: a batch of a thousand small files is one JSON string, and the fewer keys it
 * spells out the less both threads spend writing and reading it. Its bytes follow the previous item's in `data`.
 */
export type BatchItem = [
  path: string, type: WalkEntry['type'], mode: number, uid: number, gid: number, size: number,
  mtime: number | null, linkname: string | null,
  /** Index into the batch's `layers`. */
  layer: number,
  length: number, truncated: 0 | 1, hashAnyway: 0 | 1,
  /** Index into the batch's `wanting`: the ids of the checks that want the file, in the walk's order. */
  wanting: number,
  cap: number,
]

/** What the items of a batch point into, once per batch. */
export interface BatchTables {
  layers: WalkEntry['layer'][]
  wanting: string[][]
}

/** `items` is BatchItem[] and `tables` BatchTables, as JSON: one string crosses faster than many small objects. */
export type ToWorker = {type: 'batch'; id: number; items: string; tables: string; data: ArrayBuffer}

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
    const tables = JSON.parse(msg.tables) as BatchTables
    const wanting = tables.wanting.map(resolve)
    const results: Array<[number, Matched]> = []
    let offset = 0
    items.forEach((it, i) => {
      const [path, type, mode, uid, gid, size, mtime, linkname, layer, length, truncated, hashAnyway, want, cap] = it
      const entry: WalkEntry = {path, type, mode, uid, gid, size, layer: tables.layers[layer] as WalkEntry['layer']}
      if (linkname !== null) entry.linkname = linkname
      if (mtime !== null) entry.mtime = new Date(mtime)
      const buf = data.subarray(offset, offset + length)
      offset += length
      const m = matchContent(entry, buf, truncated === 1, wanting[want] as FileCheck[], cap, hashAnyway === 1)
      if (m.findings.length > 0 || m.sightings.length > 0 || m.cut || m.hashes !== undefined || m.skipped) results.push([i, m])
    })
    port.postMessage({type: 'done', id: msg.id, results} satisfies FromWorker)
  } catch (e) {
    const err = e as Error
    port.postMessage({type: 'error', id: msg.id, error: {name: e instanceof CheckFailure ? 'CheckFailure' : err.name, message: err.message}} satisfies FromWorker)
  }
})
