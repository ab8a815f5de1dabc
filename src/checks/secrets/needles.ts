/**
 * Which of a fixed set of ASCII needles occur in a text, in one pass (Aho-Corasick with a full transition table).
 * A regex alternation of a few hundred needles costs the walk more than every rule behind it; this costs a table
 * look-up per character whatever the number of needles.
 */
interface Automaton {
  delta: Int32Array
  out: Int32Array[]
  /** 1 where a state completes a needle: the hot loop reads one byte, not an array. */
  terminal: Uint8Array
}

function automaton(needles: readonly string[]): Automaton {
  const next: Array<Map<number, number>> = [new Map()]
  const hits: number[][] = [[]]
  needles.forEach((n, idx) => {
    let s = 0
    for (let i = 0; i < n.length; i++) {
      const c = n.charCodeAt(i) & 0x7f
      let t = next[s]?.get(c)
      if (t === undefined) {
        t = next.length
        next.push(new Map())
        hits.push([])
        next[s]?.set(c, t)
      }
      s = t
    }
    hits[s]?.push(idx)
  })
  const states = next.length
  const delta = new Int32Array(states * 128)
  const fail = new Int32Array(states)
  // Breadth-first: a state's failure link is known before its children's, so every row can be completed.
  const queue: number[] = []
  for (let c = 0; c < 128; c++) {
    const t = next[0]?.get(c) ?? 0
    delta[c] = t
    if (t !== 0) queue.push(t)
  }
  for (let q = 0; q < queue.length; q++) {
    const s = queue[q] ?? 0
    hits[s]?.push(...(hits[fail[s] ?? 0] ?? []))
    for (let c = 0; c < 128; c++) {
      const t = next[s]?.get(c)
      if (t === undefined) delta[s * 128 + c] = delta[(fail[s] ?? 0) * 128 + c] ?? 0
      else {
        delta[s * 128 + c] = t
        fail[t] = delta[(fail[s] ?? 0) * 128 + c] ?? 0
        queue.push(t)
      }
    }
  }
  const out = hits.map((h) => Int32Array.from(new Set(h)))
  return {delta, out, terminal: Uint8Array.from(out, (o) => (o.length > 0 ? 1 : 0))}
}

interface Prefiltered {
  /** The needles that occur in the text. */
  present: Set<string>
  /** Start offsets, ascending, of each word that occurs in the text in any case. */
  words: Map<string, number[]>
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

  constructor(readonly needles: readonly string[], readonly words: readonly string[] = []) {
    for (const w of words) if (!/^[\x00-\x40\x5b-\x7f]+$/.test(w)) throw new Error(`word ${w} must be lowercase ASCII`)
    const fold = (n: string) => n.replace(/[A-Z]/g, (c) => c.toLowerCase())
    this.table = automaton([...needles.map(fold), ...words])
    this.lengths = Int32Array.from([...needles, ...words], (p) => p.length)
    // A needle without letters matches as folded text matches: nothing to check.
    this.exact = needles.map((n) => (/[A-Za-z]/.test(n) ? n : null))
    // An upper-case letter goes where its lower-case one goes.
    const delta = this.table.delta
    for (let st = 0; st < delta.length >> 7; st++) {
      for (let c = 97; c <= 122; c++) delta[(st << 7) | (c - 32)] = delta[(st << 7) | c] as number
    }
  }

  /** Non-ASCII characters never belong to a needle or a word: they reset the automaton. */
  scan(text: string): Prefiltered {
    const r: Scan = {text, found: new Uint8Array(this.needles.length), present: new Set(), starts: null}
    const {delta, terminal} = this.table
    const n = text.length
    let s = 0
    // The hot loop only steps the automaton; what a completed pattern means is worked out out of line.
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i)
      // The table is built above with a row for every state, so the index is always in range.
      s = c < 128 ? (delta[(s << 7) | c] as number) : 0
      if (terminal[s] === 1) this.completed(r, s, i)
    }
    const words = new Map<string, number[]>()
    r.starts?.forEach((list, idx) => {
      if (list.length > 0) words.set(this.words[idx] as string, list)
    })
    return {present: r.present, words}
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
