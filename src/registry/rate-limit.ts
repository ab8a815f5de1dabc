import {Readable} from 'node:stream'
import {ImgvetError} from '../errors.js'
import {readBounded} from '../image/bounded.js'
import type {HeaderReader, HttpResponse} from './http.js'

/** What `ratelimit-limit: 100;w=21600` and `ratelimit-remaining: 76;w=21600` say (Docker Hub; absent when unlimited). */
interface RateLimit {
  limit: number
  remaining: number
  /** The window in seconds (`w=`), when given. */
  windowSeconds?: number
}

const MAX_429_BODY = 16 * 1024

/** `<count>[;w=<seconds>]...`: the first field, and the window if there is one. */
function field(value: string | null): {count: number; window?: number} | null {
  if (!value) return null
  const [count, ...params] = value.split(';').map((p) => p.trim())
  if (!count || !/^\d{1,12}$/.test(count)) return null
  const w = params.map((p) => /^w=(\d{1,12})$/.exec(p)?.[1]).find((x) => x !== undefined)
  return {count: Number(count), ...(w !== undefined ? {window: Number(w)} : {})}
}

export function parseRateLimit(headers: HeaderReader): RateLimit | null {
  const remaining = field(headers.get('ratelimit-remaining'))
  if (!remaining) return null
  const limit = field(headers.get('ratelimit-limit'))
  const windowSeconds = remaining.window ?? limit?.window
  return {limit: limit?.count ?? remaining.count, remaining: remaining.count, ...(windowSeconds !== undefined ? {windowSeconds} : {})}
}

function describe(rl: RateLimit): string {
  const w = rl.windowSeconds
  const hours = w === undefined ? '' : w < 3600 ? ` per ${w} s` : ` per ${+(w / 3600).toFixed(1)} h`
  return `${rl.remaining} of ${rl.limit} manifest pulls left${hours}`
}

/** Docker Hub's window is 6 h; a registry announcing a longer one would park a run for longer than anyone waits. */
const MAX_RATE_WAIT_SECONDS = 6 * 3600

interface BudgetOptions {
  /** Pulls left untouched: a run stops (or waits) before it would leave fewer (--min-rate-remaining). */
  reserve?: number
  /** Wait for the window to pass instead of stopping (--wait-rate-limit); `notify` gets one line saying how long. */
  wait?: {notify: (line: string) => void; sleep?: (ms: number) => Promise<void>}
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * The manifest-GET budget a registry announces (HEAD requests are free on Docker Hub and still carry the headers), as
 * the last answer gave it. A run checks what it will spend before it spends it, rather than failing half way.
 */
export class PullBudget {
  private last: RateLimit | null = null
  private opts: BudgetOptions = {}
  private waiting: Promise<void> | null = null

  configure(opts: BudgetOptions): void {
    this.opts = opts
  }

  observe(headers: HeaderReader): void {
    const rl = parseRateLimit(headers)
    if (rl) this.last = rl
  }

  /** Throws unless `n` more manifest GETs fit in what the registry last said remains (unknown: they fit). */
  require(n: number, where: string): void {
    const rl = this.last
    const reserve = this.opts.reserve ?? 0
    if (!rl || rl.remaining - n >= reserve) return
    const kept = reserve ? `, keeping ${reserve} in reserve` : ''
    throw new ImgvetError('rate-limited', `this run needs ${n} manifest pull${n === 1 ? '' : 's'}${kept}, the registry `
      + `allows ${describe(rl)}; stopped before spending them (log in for a larger limit, or wait)`, where)
  }

  /**
   * As require, but with `wait` configured a budget too small sleeps one whole window (the registry does not say
   * when it started, so a shorter wait might come too early) and then trusts the next answer's headers again.
   */
  async ready(n: number, where: string): Promise<void> {
    if (this.waiting) await this.waiting
    const wait = this.opts.wait
    try {
      this.require(n, where)
    } catch (e) {
      const seconds = this.last?.windowSeconds
      if (!wait) throw e
      if (seconds === undefined) throw new ImgvetError('rate-limited', `${(e as Error).message}; --wait-rate-limit `
        + 'cannot wait: the registry names no window (w=)', where)
      if (seconds > MAX_RATE_WAIT_SECONDS) throw new ImgvetError('rate-limited', `${(e as Error).message}; `
        + `--wait-rate-limit refuses to wait the ${seconds} s window, over the ${MAX_RATE_WAIT_SECONDS / 3600} h cap`, where)
      wait.notify(`rate limit: ${describe(this.last as RateLimit)}; waiting ${seconds} s for the window to pass (${where})`)
      this.waiting = (wait.sleep ?? sleep)(seconds * 1000).then(() => {
        this.last = null
        this.waiting = null
      })
      await this.waiting
    }
  }
}

/**
 * Docker Hub's pull-limit answer: a 429 whose `ratelimit-remaining` is 0, or whose body says "pull rate limit". It
 * lasts the whole window, so it is final, not retried; any other 429 keeps its Retry-After retries. The body read
 * here is put back, so whoever reports the response still reads it.
 */
export async function pullLimitReached(res: HttpResponse, where: string): Promise<ImgvetError | null> {
  if (res.status !== 429) return null
  const rl = parseRateLimit(res.headers)
  let text = ''
  if (res.body) {
    const body = await readBounded(res.body, MAX_429_BODY, where).catch(() => Buffer.alloc(0))
    res.body = Readable.from([body])
    text = body.toString('utf8')
  }
  if (rl?.remaining !== 0 && !/pull rate limit/i.test(text)) return null
  const left = rl ? ` (${describe(rl)})` : ''
  return new ImgvetError('rate-limited', `pull rate limit reached${left}; not retried, the limit lasts its whole window `
    + '(log in for a larger limit, or wait)', where)
}
