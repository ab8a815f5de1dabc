import {randomBytes} from 'node:crypto'
import {closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'
import {ImgvetError} from '../errors.js'
import type {ImageResult} from './types.js'

/**
 * The run journal: one JSON record per line, appended and fsynced per image, so `kill -9` loses at most the images
 * in flight and a torn last line is simply ignored on the next read. Plain append-only JSONL rather than SQLite:
 * no native module to build or download on install, crash safety by construction (append + fsync, atomic
 * rename for compaction), and the access pattern (read everything once at start, append during the run) needs no
 * queries. When a run completes the file is compacted to that run alone, so it stays the size of one run.
 */
export type JournalRecord =
  | {t: 'run'; id: string; started: string; registry: string} & ReuseKey
  | {t: 'image'; run: string; result: ImageResult} & ReuseKey
  | {t: 'end'; run: string; finished: string}

/**
 * What besides the image decided a recorded verdict: the policy's meaning, imgvet's checks and options, and the
 * signer configuration (absent in journals written before it was recorded, so those verdicts are never reused).
 */
export interface ReuseKey {
  policyHash: string
  checksVersion: string
  signers?: string
}

export function sameReuseKey(a: ReuseKey, b: ReuseKey): boolean {
  return a.policyHash === b.policyHash && a.checksVersion === b.checksVersion
    && a.signers !== undefined && a.signers === b.signers
}

export interface RecordedRun extends ReuseKey {
  id: string
  started: string
  registry: string
  finished: string | null
  /** Keyed by imageKey(repository, digest). */
  images: Map<string, ReuseKey & {result: ImageResult}>
}

interface JournalState {
  /** The last run that finished: the baseline for "what changed". */
  lastComplete: RecordedRun | null
  /** A run that started after lastComplete and never finished: what --resume continues. */
  incomplete: RecordedRun | null
}

export function imageKey(repository: string, digest: string): string {
  return `${repository}@${digest}`
}

export function defaultStatePath(host: string, shard: string | null): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state')
  const safe = host.replace(/[^A-Za-z0-9._-]/g, '_')
  return join(base, 'imgvet', `${safe}${shard ? `.shard-${shard.replace('/', '-of-')}` : ''}.jsonl`)
}

/** Only the three fields, and only strings: a journal is read back from disk and may hold anything. */
export function reuseKeyOf(r: Partial<ReuseKey>): ReuseKey {
  const str = (v: unknown) => (typeof v === 'string' ? v : '')
  const signers = typeof r.signers === 'string' ? {signers: r.signers} : {}
  return {policyHash: str(r.policyHash), checksVersion: str(r.checksVersion), ...signers}
}

function parseRecord(line: string): JournalRecord | null {
  try {
    const r = JSON.parse(line) as Partial<JournalRecord> | null
    if (!r || typeof r !== 'object') return null
    if (r.t === 'run' && typeof r.id === 'string' && typeof r.started === 'string') return r as JournalRecord
    if (r.t === 'image' && typeof r.run === 'string' && r.result && typeof r.result === 'object') return r as JournalRecord
    if (r.t === 'end' && typeof r.run === 'string') return r as JournalRecord
    return null
  } catch {
    return null
  }
}

export function readJournal(file: string): JournalState {
  if (!existsSync(file)) return {lastComplete: null, incomplete: null}
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new ImgvetError('bad-input', `cannot read the state file: ${(e as Error).message}`, file)
  }
  const runs = new Map<string, RecordedRun>()
  const order: RecordedRun[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    // A torn line (killed mid-write) or foreign garbage is skipped, never fatal: the worst case is a rescan.
    const r = parseRecord(line)
    if (!r) continue
    if (r.t === 'run') {
      const run: RecordedRun = {id: r.id, started: r.started, registry: r.registry, ...reuseKeyOf(r), finished: null,
        images: new Map()}
      runs.set(r.id, run)
      order.push(run)
    } else if (r.t === 'image') {
      runs.get(r.run)?.images.set(imageKey(r.result.repository, r.result.digest), {...reuseKeyOf(r), result: r.result})
    } else {
      const run = runs.get(r.run)
      if (run) run.finished = r.finished
    }
  }
  let lastComplete: RecordedRun | null = null
  let incomplete: RecordedRun | null = null
  for (const run of order) {
    if (run.finished) {
      lastComplete = run
      incomplete = null
    } else {
      incomplete = run
    }
  }
  return {lastComplete, incomplete}
}

/** Appends records durably: each append is written and fsynced before the caller goes on. */
export class Journal {
  private fd: number | null = null
  constructor(readonly file: string) {}

  private open(): number {
    if (this.fd === null) {
      try {
        mkdirSync(dirname(this.file), {recursive: true})
        this.fd = openSync(this.file, 'a')
      } catch (e) {
        throw new ImgvetError('bad-input', `cannot open the state file: ${(e as Error).message}`, this.file)
      }
    }
    return this.fd
  }

  append(record: JournalRecord): void {
    this.appendMany([record])
  }

  /** One write and one fsync for many records: lines stay whole even if two runs share the file by mistake. */
  appendMany(records: readonly JournalRecord[]): void {
    if (!records.length) return
    const fd = this.open()
    writeSync(fd, records.map((r) => `${JSON.stringify(r)}\n`).join(''))
    fsyncSync(fd)
  }

  /** Replace the file with one finished run (tmp file, fsync, rename): old runs stop growing the file. */
  compact(records: JournalRecord[]): void {
    this.close()
    const tmp = `${this.file}.tmp-${randomBytes(4).toString('hex')}`
    const fd = openSync(tmp, 'w')
    try {
      writeSync(fd, records.map((r) => JSON.stringify(r)).join('\n') + '\n')
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.file)
    try {
      const dfd = openSync(dirname(this.file), 'r')
      fsyncSync(dfd)
      closeSync(dfd)
    } catch {
      // Directory fsync is not supported everywhere; the rename is still atomic.
    }
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd)
      this.fd = null
    }
  }
}
