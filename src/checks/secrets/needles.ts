/**
 * Which of a fixed set of ASCII needles occur in a text, in one pass (Aho-Corasick with a full transition table).
 * A regex alternation of a few hundred needles costs the walk more than every rule behind it; this costs a table
 * look-up per character whatever the number of needles.
 */
export class NeedleSet {
  private readonly delta: Int32Array
  private readonly out: Int32Array[]
  /** 1 where a state completes a needle: the hot loop reads one byte, not an array. */
  private readonly terminal: Uint8Array

  constructor(readonly needles: readonly string[]) {
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
    this.delta = delta
    this.out = hits.map((h) => Int32Array.from(new Set(h)))
    this.terminal = Uint8Array.from(this.out, (o) => (o.length > 0 ? 1 : 0))
  }

  /** The needles that occur in `text`. Non-ASCII characters never belong to a needle: they reset the match. */
  find(text: string): Set<string> {
    const found = new Uint8Array(this.needles.length)
    const present = new Set<string>()
    const {delta, out, terminal} = this
    const n = text.length
    let s = 0
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i)
      // The table is built above with a row for every state, so the index is always in range.
      s = c < 128 ? (delta[(s << 7) | c] as number) : 0
      if (terminal[s] === 1) {
        for (const idx of out[s] ?? []) {
          if (found[idx] === 0) {
            found[idx] = 1
            present.add(this.needles[idx] ?? '')
          }
        }
        if (present.size === this.needles.length) break
      }
    }
    return present
  }
}
