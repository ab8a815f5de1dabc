import {closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync} from 'node:fs'
import {processAlive} from '../process-alive.js'
import {hostname} from 'node:os'
import {dirname} from 'node:path'
import {ImgvetError} from '../errors.js'

interface Holder {
  pid: number
  host: string
  started: string
}

function readRaw(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return null
  }
}

function readHolder(raw: string | null): Holder | null {
  if (raw === null) return null
  try {
    const h = JSON.parse(raw) as Partial<Holder>
    return typeof h.pid === 'number' && typeof h.host === 'string' ? {pid: h.pid, host: h.host, started: String(h.started ?? '?')} : null
  } catch {
    return null
  }
}

/**
 * Two nightly runs writing one journal would interleave their runs and each report the other's images as new or
 * removed. The state file gets a lock beside it; a lock left by a crashed run on this machine is taken over, one
 * held from another machine (a shared volume) is only reported, since its process cannot be checked from here.
 */
export class StateLock {
  private constructor(readonly file: string) {}

  static acquire(statePath: string, now: () => Date = () => new Date()): StateLock {
    const file = `${statePath}.lock`
    // The default state directory may not exist before the first run.
    try {
      mkdirSync(dirname(file), {recursive: true})
    } catch (e) {
      throw new ImgvetError('bad-input', `cannot create the state directory: ${(e as Error).message}`, dirname(file))
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number
      try {
        fd = openSync(file, 'wx')
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new ImgvetError('bad-input', `cannot create the state lock: ${(e as Error).message}`, file)
        const raw = readRaw(file)
        const holder = readHolder(raw)
        const stale = holder !== null && holder.host === hostname() && !processAlive(holder.pid)
        if (stale || (holder === null && attempt === 0 && unreadableLockIsOld(file))) {
          // Two runs may find the same stale lock: only remove it if it is still that one, not a lock the other
          // run has just written in its place.
          if (readRaw(file) === raw) unlinkSync(file)
          continue
        }
        const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.started}` : 'an unreadable lock'
        throw new ImgvetError('busy', `another registry scan is using this state file (${who}); wait for it, or delete the lock if that run is gone`, file)
      }
      writeSync(fd, JSON.stringify({pid: process.pid, host: hostname(), started: now().toISOString()}))
      closeSync(fd)
      return new StateLock(file)
    }
    throw new ImgvetError('busy', 'could not take the state lock', file)
  }

  release(): void {
    const holder = readHolder(readRaw(this.file))
    if (holder && holder.pid === process.pid && holder.host === hostname()) unlinkSync(this.file)
  }
}

/** A lock whose writer died between create and write is empty; after a minute nobody is still writing it. */
function unreadableLockIsOld(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > 60_000
  } catch {
    return false
  }
}
