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
 * The needles (case-sensitive) and words (any case) of every registered detector in one text, in one pass: two
 * automata stepped by the same loop, which costs little more than one (reading the text is the larger part).
 */
export class Prefilter {
  private readonly needleTable: Automaton
  private readonly wordTable: Automaton
  private readonly lengths: Int32Array

  constructor(readonly needles: readonly string[], readonly words: readonly string[] = []) {
    for (const w of words) if (!/^[\x00-\x40\x5b-\x7f]+$/.test(w)) throw new Error(`word ${w} must be lowercase ASCII`)
    this.needleTable = automaton(needles)
    this.wordTable = automaton(words)
    this.lengths = Int32Array.from(words, (w) => w.length)
    // An upper-case letter goes where its lower-case one goes: the word automaton reads text as if folded.
    const delta = this.wordTable.delta
    for (let st = 0; st < delta.length >> 7; st++) {
      for (let c = 97; c <= 122; c++) delta[(st << 7) | (c - 32)] = delta[(st << 7) | c] as number
    }
  }

  /** Non-ASCII characters never belong to a needle or a word: they reset both automata. */
  scan(text: string): Prefiltered {
    const found = new Uint8Array(this.needles.length)
    const present = new Set<string>()
    const starts: number[][] = this.words.map(() => [])
    const {delta: nd, out: nOut, terminal: nEnd} = this.needleTable
    const {delta: wd, out: wOut, terminal: wEnd} = this.wordTable
    const lengths = this.lengths
    const n = text.length
    let s = 0
    let w = 0
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i)
      // The tables are built above with a row for every state, so the indexes are always in range.
      if (c < 128) {
        s = nd[(s << 7) | c] as number
        w = wd[(w << 7) | c] as number
      } else {
        s = 0
        w = 0
      }
      if (nEnd[s] === 1) {
        for (const idx of nOut[s] ?? []) {
          if (found[idx] === 0) {
            found[idx] = 1
            present.add(this.needles[idx] ?? '')
          }
        }
      }
      if (wEnd[w] === 1) for (const idx of wOut[w] ?? []) starts[idx]?.push(i + 1 - (lengths[idx] as number))
    }
    const words = new Map<string, number[]>()
    starts.forEach((list, idx) => {
      if (list.length > 0) words.set(this.words[idx] as string, list)
    })
    return {present, words}
  }
}
