/**
 * Which of a fixed set of ASCII needles occur in a text, in one pass (Aho-Corasick with a full transition table).
 * A regex alternation of a few hundred needles costs the walk more than every rule behind it; this costs a table
 * look-up per character whatever the number of needles. The table is indexed by character class, not by character:
 * only the few dozen characters that occur in a pattern get a column of their own, which keeps a table of a few
 * thousand states small enough to stay in the core's cache (at 128 columns of 32 bits it did not, and a cache miss
 * per character was most of the walk's content time).
 */
interface Automaton {
  /**
   * Row + class -> row, where a state's row is its number times the columns per state: the hot loop adds, it does
   * not shift (one operation fewer on the chain of dependent loads that bounds its speed).
   */
  delta: Int32Array
  /** UTF-16 code unit -> class; 0 is every character no pattern holds, which leads back to the root. */
  classes: Uint8Array
  /** The same for a byte: a table that stays in the first-level cache. */
  byteClasses: Uint8Array
  out: Int32Array[]
  /** Rows from this one on complete a pattern: the hot loop compares, it loads nothing. */
  firstTerminal: number
  /** log2 of the columns per state. */
  shift: number
}

function automaton(patterns: readonly string[]): Automaton {
  const classes = new Uint8Array(0x10000)
  let nClasses = 1
  for (const p of patterns) {
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i) & 0x7f
      if (classes[c] === 0) classes[c] = nClasses++
    }
  }
  // Columns per state: a power of two, so a row's number is a shift away from its offset.
  let shift = 1
  while (1 << shift < nClasses) shift++
  const STRIDE = 1 << shift
  const next: Array<Map<number, number>> = [new Map()]
  const hits: number[][] = [[]]
  patterns.forEach((p, idx) => {
    let s = 0
    for (let i = 0; i < p.length; i++) {
      const k = classes[p.charCodeAt(i) & 0x7f] as number
      let t = next[s]?.get(k)
      if (t === undefined) {
        t = next.length
        next.push(new Map())
        hits.push([])
        next[s]?.set(k, t)
      }
      s = t
    }
    hits[s]?.push(idx)
  })
  const states = next.length
  if (states > 0xffff) throw new Error(`prefilter needs ${states} states, more than 16 bits hold`)
  const delta = new Uint32Array(states * STRIDE)
  const fail = new Int32Array(states)
  // Breadth-first: a state's failure link is known before its children's, so every row can be completed.
  const queue: number[] = []
  for (let k = 0; k < STRIDE; k++) {
    const t = next[0]?.get(k) ?? 0
    delta[k] = t
    if (t !== 0) queue.push(t)
  }
  for (let q = 0; q < queue.length; q++) {
    const s = queue[q] ?? 0
    hits[s]?.push(...(hits[fail[s] ?? 0] ?? []))
    for (let k = 0; k < STRIDE; k++) {
      const t = next[s]?.get(k)
      if (t === undefined) delta[s * STRIDE + k] = delta[(fail[s] ?? 0) * STRIDE + k] ?? 0
      else {
        delta[s * STRIDE + k] = t
        fail[t] = delta[(fail[s] ?? 0) * STRIDE + k] ?? 0
        queue.push(t)
      }
    }
  }
  // Renumber: non-terminal states first (the root stays 0), terminal ones last.
  const outs = hits.map((h) => Int32Array.from(new Set(h)))
  const order = [...outs.keys()].sort((a, b) => Number(outs[a]!.length > 0) - Number(outs[b]!.length > 0) || a - b)
  const renum = new Int32Array(states)
  order.forEach((old, neu) => (renum[old] = neu))
  const packed = new Int32Array(states * STRIDE)
  for (let old = 0; old < states; old++) {
    const row = (renum[old] as number) * STRIDE
    for (let k = 0; k < STRIDE; k++) packed[row + k] = (renum[delta[old * STRIDE + k] as number] as number) * STRIDE
  }
  const first = order.findIndex((old) => (outs[old] as Int32Array).length > 0)
  // `out` is indexed by row >> shift, off the hot path.
  return {
    delta: packed, classes, byteClasses: classes.subarray(0, 0x100), out: order.map((old) => outs[old] as Int32Array),
    firstTerminal: (first === -1 ? states : first) * STRIDE, shift,
  }
}

interface Prefiltered {
  /** The needles that occur in the text. */
  present: Set<string>
  /** Start offsets, ascending, of each word that occurs in the text in any case. */
  words: Map<string, number[]>
  /** 1 at the index (in `needles`) of each needle that occurs. */
  found: Uint8Array
}

/**
 * The needles (case-sensitive) and words (any case) of every registered detector in one text, in one pass. One
 * automaton reads the text as if folded to lower case: a word's match is final, a needle's is checked against the
 * text's own characters (a few compares, and only until the needle is known to occur). Two automata stepped side
 * by side cost twice the table look-ups, and reading the text is most of the cost.
 */
export class Prefilter {
  private readonly table: Automaton
  /** Per pattern (needles first, then words): its length, and for needles its own characters. */
  private readonly lengths: Int32Array
  private readonly exact: Array<string | null>
  /** The longest needle or word. */
  private readonly longest: number

  constructor(readonly needles: readonly string[], readonly words: readonly string[] = []) {
    // Folded to lower case, two letters (`nt`, `sk`) end on every few characters of ordinary text.
    for (const n of needles) if (/^[A-Za-z]{1,2}$/.test(n)) throw new Error(`needle ${n} is only letters, fewer than 3`)
    for (const w of words) if (!/^[\x00-\x40\x5b-\x7f]+$/.test(w)) throw new Error(`word ${w} must be lowercase ASCII`)
    const fold = (n: string) => n.replace(/[A-Z]/g, (c) => c.toLowerCase())
    this.table = automaton([...needles.map(fold), ...words])
    this.lengths = Int32Array.from([...needles, ...words], (p) => p.length)
    this.longest = Math.max(1, ...this.lengths)
    // A needle without letters matches as folded text matches: nothing to check.
    this.exact = needles.map((n) => (/[A-Za-z]/.test(n) ? n : null))
    // An upper-case letter is in its lower-case letter's class.
    const classes = this.table.classes
    for (let c = 97; c <= 122; c++) classes[c - 32] = classes[c] as number
  }

  /**
   * Non-ASCII characters never belong to a needle or a word: they reset the automaton. `bytes`, when given, are
   * what `text` was decoded from; when each byte became one character (ASCII text) they are read instead, which is
   * a quarter faster than reading the string. Offsets are the text's either way.
   */
  scan(text: string, bytes?: Uint8Array): Prefiltered {
    const r: Scan = {text, found: new Uint8Array(this.needles.length), present: new Set(), starts: null}
    if (bytes !== undefined && bytes.length === text.length) this.stepBytes(r, bytes)
    else this.stepText(r, text)
    const words = new Map<string, number[]>()
    r.starts?.forEach((list, idx) => {
      if (list.length > 0) words.set(this.words[idx] as string, list)
    })
    return {present: r.present, words, found: r.found}
  }

  // The hot loops only step the automaton; what a completed pattern means is worked out out of line.
  private stepText(r: Scan, text: string): void {
    const {delta, classes, firstTerminal, shift} = this.table
    const n = text.length
    let s = 0
    for (let i = 0; i < n; i++) {
      s = delta[s + (classes[text.charCodeAt(i)] as number)] as number
      if (s >= firstTerminal) this.completed(r, s >> shift, i)
    }
  }

  /**
   * Two halves of the bytes stepped side by side: each step waits on the table look-up of the one before it, and
   * two independent chains of look-ups keep the core busy in each other's waits (a third of the time saved). The
   * second chain starts from the root `longest - 1` bytes before the half, so it has read the whole of any pattern
   * that ends in its half; its completions are handled after the first half's, so offsets stay in text order.
   */
  private stepBytes(r: Scan, bytes: Uint8Array): void {
    const {delta, byteClasses: cls, firstTerminal, shift} = this.table
    const n = bytes.length
    const half = n >> 1
    const from = half - this.longest + 1
    let s = 0
    if (from <= 0) {
      for (let i = 0; i < n; i++) {
        s = delta[s + (cls[bytes[i] as number] as number)] as number
        if (s >= firstTerminal) this.completed(r, s >> shift, i)
      }
      return
    }
    let t = 0
    let late: number[] | null = null
    for (let i = 0; i < half; i++) {
      s = delta[s + (cls[bytes[i] as number] as number)] as number
      t = delta[t + (cls[bytes[from + i] as number] as number)] as number
      if (s >= firstTerminal) this.completed(r, s >> shift, i)
      if (t >= firstTerminal && from + i >= half) (late ??= []).push(from + i, t)
    }
    for (let i = from + half; i < n; i++) {
      t = delta[t + (cls[bytes[i] as number] as number)] as number
      if (t >= firstTerminal) (late ??= []).push(i, t)
    }
    if (late === null) return
    for (let j = 0; j < late.length; j += 2) this.completed(r, (late[j + 1] as number) >> shift, late[j] as number)
  }

  private completed(r: Scan, s: number, i: number): void {
    const nNeedles = this.needles.length
    const ids = this.table.out[s] as Int32Array
    for (let k = 0; k < ids.length; k++) {
      const idx = ids[k] as number
      const at = i + 1 - (this.lengths[idx] as number)
      if (idx >= nNeedles) {
        r.starts ??= this.words.map(() => [])
        r.starts[idx - nNeedles]?.push(at)
      } else if (r.found[idx] === 0) {
        const own = this.exact[idx]
        if (own && !r.text.startsWith(own, at)) continue
        r.found[idx] = 1
        r.present.add(this.needles[idx] as string)
      }
    }
  }
}

interface Scan {
  text: string
  found: Uint8Array
  present: Set<string>
  starts: number[][] | null
}
