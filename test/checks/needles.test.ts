import test from 'ava'
import {DETECTORS} from '../../src/checks/secrets/detectors/index.js'
import {Prefilter} from '../../src/checks/secrets/needles.js'

/** What the automaton must find, by the slowest honest means: every offset of every pattern. */
function naive(text: string, needles: readonly string[], words: readonly string[]) {
  const present = new Set(needles.filter((n) => text.includes(n)))
  const lower = text.toLowerCase()
  const found = new Map<string, number[]>()
  for (const w of words) {
    const at: number[] = []
    for (let i = lower.indexOf(w); i !== -1; i = lower.indexOf(w, i + 1)) at.push(i)
    if (at.length > 0) found.set(w, at)
  }
  return {present, words: found}
}

const needles = [...new Set(DETECTORS.flatMap((d) => d.needles))]
const words = [...new Set(DETECTORS.flatMap((d) => d.words ?? []))]
const pf = new Prefilter(needles, words)

/** Text made of pieces of the patterns themselves, in random case, glued with other characters (non-ASCII too). */
function noisyText(seed: number): string {
  let x = seed
  const rnd = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    return (x >>> 8) % n
  }
  const glue = [' ', '=', '"', '\n', 'é', '\u{1F600}', '_', '-', 'x', '0']
  let s = ''
  while (s.length < 4000) {
    const p = rnd(2) === 0 ? needles[rnd(needles.length)] ?? '' : words[rnd(words.length)] ?? ''
    const cut = p.slice(0, 1 + rnd(p.length))
    s += rnd(3) === 0 ? [...cut].map((c) => (rnd(2) ? c.toUpperCase() : c.toLowerCase())).join('') : cut
    s += glue[rnd(glue.length)]
  }
  return s
}

test('the prefilter finds exactly the needles (by case) and the words (any case, every offset) a naive search finds', (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    const text = noisyText(seed)
    const got = pf.scan(text)
    const want = naive(text, needles, words)
    t.deepEqual([...got.present].sort(), [...want.present].sort(), `seed ${seed}: needles`)
    t.deepEqual(new Map([...got.words].sort()), new Map([...want.words].sort()), `seed ${seed}: words`)
  }
})

test('a character outside every pattern, ASCII or not, breaks a match; upper case matches a word, not a lower-case needle', (t) => {
  const p = new Prefilter(['ghp_', 'AKIA'], ['token'])
  t.deepEqual([...p.scan('gh\u00e9p_ ak\u0000ia TOKEN to-ken').present], [])
  t.deepEqual(p.scan('TOKEN tOkEn').words.get('token'), [0, 6])
  t.deepEqual([...p.scan('akia GHP_').present], [])
  t.deepEqual([...p.scan('xxAKIAyy ghp_1').present].sort(), ['AKIA', 'ghp_'])
})

test('ASCII text read from its bytes, two halves side by side, finds what the string scan finds, across the middle too', (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    // Only ASCII glue, so every byte is one character and the bytes are read; lengths around the two-chain cut-over.
    const text = noisyText(seed).replace(/[^\x00-\x7f]/g, '#').slice(0, 900 + seed * 37)
    const bytes = Buffer.from(text, 'utf8')
    const got = pf.scan(text, bytes)
    const want = naive(text, needles, words)
    t.deepEqual([...got.present].sort(), [...want.present].sort(), `seed ${seed}: needles`)
    t.deepEqual(new Map([...got.words].sort()), new Map([...want.words].sort()), `seed ${seed}: words`)
  }
  // A word that straddles the half: the second chain started early enough to read all of it.
  for (let at = 2030; at < 2060; at++) {
    const text = `${'.'.repeat(at)}credential${'.'.repeat(4096 - at)}`
    t.deepEqual(pf.scan(text, Buffer.from(text)).words.get('credential'), [at], `credential at ${at}`)
  }
  // Bytes that are not one character each (UTF-8) are not read as offsets: the string is.
  const accented = `é${'.'.repeat(3000)}token`
  t.deepEqual(pf.scan(accented, Buffer.from(accented)).words.get('token'), [3001])
})

test('a needle of one or two letters is refused: folded to lower case it would end on every few characters', (t) => {
  t.throws(() => new Prefilter(['NT']), {message: /NT is only letters/})
  t.notThrows(() => new Prefilter(['Q~', 'eyJ']))
})
