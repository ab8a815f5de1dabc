import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Detection} from '../../src/checks/check.js'
import {CONTENT_CHECKS} from '../../src/checks/secrets/index.js'
import type {WalkEntry} from '../../src/layers/entry.js'

const root = join(import.meta.dirname, '..', '..')

/**
 * Where a labelled corpus lives: $IMGVET_CORPORA, else `../shared/corpora` beside the repository (as CI lays it
 * out), else the shared folder of this machine. Corpora are read in place, never copied: they hold realistic fakes.
 */
export function corpusDir(name: string): string {
  const candidates = [process.env.IMGVET_CORPORA, join(root, '..', 'shared', 'corpora'), '/work/shared/corpora']
  for (const c of candidates) if (c && existsSync(join(c, name))) return join(c, name)
  return join(candidates[1] ?? '', name)
}

/** Runs the content checks the way the walk does, on a file placed at `path` in an image. */
export function scanAs(path: string, buf: Buffer): Detection[] {
  const entry: WalkEntry = {path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: buf.length, layer: {index: 1, digest: 'sha256:0'}}
  return CONTENT_CHECKS.flatMap((ch) => {
    if (ch.wants(entry) !== 'content') return []
    const max = ch.maxBytes ?? buf.length
    return ch.inspect(entry, buf.subarray(0, max), buf.length > max)
  })
}

export function read(file: string): Buffer {
  return readFileSync(file)
}

export interface Tally {tp: number; found: number; fp: number; flagged: number}

/** A table of recall and negatives flagged per family, for t.log. */
export function table(rows: Map<string, Tally>): string {
  const pct = (a: number, b: number) => (b === 0 ? '   -  ' : `${((a / b) * 100).toFixed(1).padStart(5)}%`)
  const lines = [`${'family'.padEnd(44)} recall          negatives flagged`]
  for (const [k, v] of [...rows].sort((a, b) => a[0].localeCompare(b[0]))) {
    lines.push(`${k.padEnd(44)} ${`${v.found}/${v.tp}`.padStart(7)} ${pct(v.found, v.tp)}  ${`${v.flagged}/${v.fp}`.padStart(7)} ${pct(v.flagged, v.fp)}`)
  }
  return lines.join('\n')
}
