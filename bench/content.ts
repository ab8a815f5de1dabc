import {randomBytes} from 'node:crypto'

/**
 * Deterministic text that compresses like real image content (about 4-8x with gzip): logs, JSON records and
 * source files with varying identifiers, numbers and hex ids, and the odd URL so secret rules have work to do.
 */
export class Rng {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9
  }
  /** xorshift32: fast and good enough to keep gzip from finding long repeats. */
  next(): number {
    let x = this.s
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.s = x >>> 0
    return this.s
  }
  int(n: number): number {
    return this.next() % n
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T
  }
  hex(n: number): string {
    let s = ''
    while (s.length < n) s += this.next().toString(16).padStart(8, '0')
    return s.slice(0, n)
  }
}

const WORDS = ('account order item user cart invoice payment shipment warehouse product catalog price discount session queue ' +
  'worker handler request response buffer stream config option result status event metric record batch cursor index ' +
  'schema table column field value entry node tree graph edge vertex cache store client server router module bundle').split(' ')
const LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR']
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE']
const AGENTS = ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36', 'curl/8.5.0', 'Go-http-client/1.1', 'python-requests/2.31.0', 'okhttp/4.12.0']

function ident(r: Rng): string {
  const a = r.pick(WORDS)
  const b = r.pick(WORDS)
  return `${a}${b[0]?.toUpperCase() ?? ''}${b.slice(1)}`
}

function timestamp(r: Rng, i: number): string {
  const t = 1_715_000_000_000 + i * 137 + r.int(1000)
  return new Date(t).toISOString()
}

export function logLine(r: Rng, i: number): string {
  const ip = `10.${r.int(256)}.${r.int(256)}.${r.int(256)}`
  const path = `/api/v${1 + r.int(3)}/${r.pick(WORDS)}s/${r.int(100000)}`
  const ref = r.int(8) === 0 ? ` referer="https://shop.example.com/${r.pick(WORDS)}/${r.int(9999)}"` : ''
  return `${timestamp(r, i)} ${r.pick(LEVELS)} [worker-${r.int(16)}] id=${r.hex(16)} method=${r.pick(METHODS)} path=${path} status=${r.pick([200, 200, 200, 201, 204, 304, 404, 500])} bytes=${r.int(65536)} dur_ms=${r.int(2000)} ip=${ip} ua="${r.pick(AGENTS)}"${ref}\n`
}

export function jsonLine(r: Rng, i: number): string {
  const tags = Array.from({length: 1 + r.int(4)}, () => `"${r.pick(WORDS)}"`).join(',')
  return `{"id":${i},"name":"${ident(r)}-${r.int(10000)}","kind":"${r.pick(WORDS)}","tags":[${tags}],"price":${(r.int(1000000) / 100).toFixed(2)},"qty":${r.int(500)},"uuid":"${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}","created":"${timestamp(r, i)}","active":${r.int(2) === 1}}\n`
}

/** `urls: false` keeps out every string the secret rules pre-filter on, so their cost per byte does not vary. */
export function sourceChunk(r: Rng, urls = true): string {
  const name = ident(r)
  const arg = r.pick(WORDS)
  const lines = [
    `/** ${r.pick(WORDS)} ${r.pick(WORDS)} for the ${r.pick(WORDS)} ${r.pick(WORDS)}. */`,
    `export async function ${name}(${arg}, options = {}) {`,
    `  const ${r.pick(WORDS)}Id = ${arg}.${r.pick(WORDS)}Id ?? ${r.int(100000)}`,
    `  if (!${arg}.${r.pick(WORDS)}) throw new Error('${r.pick(WORDS)} ${r.pick(WORDS)} missing: ' + ${arg}.id)`,
    urls && r.int(6) === 0 ? `  const url = new URL('/${r.pick(WORDS)}/' + ${arg}.id, 'https://api.example.com')` : `  const limit = options.limit ?? ${r.int(1000)}`,
    `  for (let i = 0; i < ${arg}.${r.pick(WORDS)}s.length; i++) {`,
    `    await this.${ident(r)}(${arg}.${r.pick(WORDS)}s[i], {retry: ${r.int(5)}, timeout: ${r.int(30000)}})`,
    `  }`,
    `  return {status: '${r.pick(WORDS)}', count: ${r.int(1000)}, hash: '${r.hex(12)}'}`,
    `}`,
    '',
  ]
  return lines.join('\n') + '\n'
}

/** A text buffer of about `bytes` bytes made of whole lines from `gen`. */
export function textOf(bytes: number, gen: (r: Rng, i: number) => string, r: Rng): Buffer {
  const parts: string[] = []
  let have = 0
  for (let i = 0; have < bytes; i++) {
    const l = gen(r, i)
    parts.push(l)
    have += l.length
  }
  return Buffer.from(parts.join(''), 'utf8')
}

/** Incompressible bytes, as in already-compressed assets, stripped binaries and model weights. */
export function randomContent(bytes: number): Buffer {
  return randomBytes(bytes)
}
