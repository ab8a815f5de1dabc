/**
 * A read-only reader of one table of an SQLite 3 database file held in a Buffer (https://sqlite.org/fileformat.html):
 * the header, the schema table on page 1, a table b-tree walk and its overflow chains. That is all rpmdb.sqlite
 * needs, and it stays synchronous and bounded: every page number and offset comes from untrusted bytes and is
 * checked, each page is visited once (a cycle ends the walk), so a hostile file yields fewer rows, never a hang.
 * sql.js (SQLite in wasm) would read it too, but as an async 1.5 MB engine for one table scan; see the issue note.
 */

const MAGIC = 'SQLite format 3\0'

interface Db {
  buf: Buffer
  pageSize: number
  usable: number
  pages: number
}

type Value = null | number | bigint | Buffer | string

function open(buf: Buffer): Db | undefined {
  if (buf.length < 512 || buf.toString('latin1', 0, 16) !== MAGIC) return undefined
  const raw = buf.readUInt16BE(16)
  const pageSize = raw === 1 ? 65536 : raw
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return undefined
  // Only UTF-8 text is read; rpm never creates another encoding.
  if (buf.readUInt32BE(56) > 1) return undefined
  const usable = pageSize - (buf[20] ?? 0)
  if (usable < 480) return undefined
  return {buf, pageSize, usable, pages: Math.floor(buf.length / pageSize)}
}

/** A varint at `p`: its value (as a number; rowids above 2^53 lose precision, which nothing here needs) and length. */
function varint(buf: Buffer, p: number): [number, number] {
  let v = 0
  for (let i = 0; i < 8; i++) {
    const b = buf[p + i]
    if (b === undefined) return [v, i + 1]
    v = v * 128 + (b & 0x7f)
    if (b < 0x80) return [v, i + 1]
  }
  return [v * 256 + (buf[p + 8] ?? 0), 9]
}

/** The payload of a table leaf cell, following its overflow chain; undefined when the chain is broken. */
function payload(db: Db, cell: number, seen: Set<number>, limit: {bytes: number}): Buffer | undefined {
  const {buf, usable} = db
  const [size, a] = varint(buf, cell)
  const [, b] = varint(buf, cell + a)
  const start = cell + a + b
  if (size > limit.bytes) return undefined
  const x = usable - 35
  const m = Math.floor(((usable - 12) * 32) / 255) - 23
  let local = size
  if (size > x) {
    const k = m + ((size - m) % (usable - 4))
    local = k <= x ? k : m
  }
  if (start + local > buf.length) return undefined
  if (local === size) return buf.subarray(start, start + size)
  const parts = [buf.subarray(start, start + local)]
  let have = local
  let next = start + local + 4 <= buf.length ? buf.readUInt32BE(start + local) : 0
  while (have < size) {
    if (next < 1 || next > db.pages || seen.has(next)) return undefined
    seen.add(next)
    const at = (next - 1) * db.pageSize
    const take = Math.min(usable - 4, size - have)
    parts.push(buf.subarray(at + 4, at + 4 + take))
    have += take
    next = buf.readUInt32BE(at)
  }
  limit.bytes -= size
  return Buffer.concat(parts, size)
}

/** The values of a record; blobs are views of `p`, text is UTF-8. */
function record(p: Buffer): Value[] | undefined {
  const [headerSize, n] = varint(p, 0)
  if (headerSize > p.length) return undefined
  const types: number[] = []
  for (let q = n; q < headerSize; ) {
    const [t, k] = varint(p, q)
    types.push(t)
    q += k
  }
  const out: Value[] = []
  let q = headerSize
  const ints = [0, 1, 2, 3, 4, 6, 8]
  for (const t of types) {
    if (t === 0) out.push(null)
    else if (t >= 1 && t <= 6) {
      const len = ints[t] ?? 0
      if (q + len > p.length) return undefined
      out.push(len <= 6 ? p.readIntBE(q, len) : p.readBigInt64BE(q))
      q += len
    } else if (t === 7) {
      if (q + 8 > p.length) return undefined
      out.push(p.readDoubleBE(q))
      q += 8
    } else if (t === 8 || t === 9) out.push(t - 8)
    else if (t >= 12) {
      const len = Math.floor((t - 12) / 2)
      if (q + len > p.length) return undefined
      const v = p.subarray(q, q + len)
      out.push(t % 2 === 0 ? v : v.toString('utf8'))
      q += len
    } else return undefined
  }
  return out
}

/** Every row of the table b-tree rooted at `root`, in rowid order, as record values. */
function rows(db: Db, root: number, each: (values: Value[]) => void): boolean {
  const seen = new Set<number>()
  const limit = {bytes: db.buf.length}
  const stack = [root]
  let whole = true
  while (stack.length > 0) {
    const page = stack.pop() as number
    if (page < 1 || page > db.pages || seen.has(page)) {
      whole = false
      continue
    }
    seen.add(page)
    const base = (page - 1) * db.pageSize
    const h = page === 1 ? base + 100 : base
    const type = db.buf[h]
    const cells = db.buf.readUInt16BE(h + 3)
    const interior = type === 0x05
    if (!interior && type !== 0x0d) {
      whole = false
      continue
    }
    const ptrs = h + (interior ? 12 : 8)
    if (ptrs + cells * 2 > base + db.pageSize) {
      whole = false
      continue
    }
    const children: number[] = []
    for (let i = 0; i < cells; i++) {
      const cell = base + db.buf.readUInt16BE(ptrs + i * 2)
      if (cell < h || cell + 4 > base + db.pageSize) {
        whole = false
        continue
      }
      if (interior) children.push(db.buf.readUInt32BE(cell))
      else {
        const p = payload(db, cell, seen, limit)
        const values = p && record(p)
        if (values) each(values)
        else whole = false
      }
    }
    if (interior) children.push(db.buf.readUInt32BE(h + 8))
    // A stack: push in reverse so the leftmost child is walked first and rows come in rowid order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as number)
  }
  return whole
}

/**
 * The rows of table `name`, or undefined when the file is no SQLite database or has no such table. `whole` is
 * false when some page or cell could not be read.
 */
export function readTable(buf: Buffer, name: string): {rows: Value[][]; whole: boolean} | undefined {
  const db = open(buf)
  if (!db) return undefined
  let root: number | undefined
  // sqlite_master: type, name, tbl_name, rootpage, sql.
  rows(db, 1, (v) => {
    if (v[0] === 'table' && typeof v[1] === 'string' && v[1] === name && typeof v[3] === 'number') root ??= v[3]
  })
  if (root === undefined) return undefined
  const out: Value[][] = []
  const whole = rows(db, root, (v) => out.push(v))
  return {rows: out, whole}
}
