import test from 'ava'
import {placeEntryName} from '../../src/layers/entry-path.js'

/** The rule spelled out segment by segment, as the fast path must agree with it. */
function bySegments(name: string) {
  if (name.includes('\0')) return {unsafe: 'contains NUL'}
  if (name.startsWith('/')) return {unsafe: 'is an absolute path'}
  const parts: string[] = []
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue
    if (p === '..') {
      if (parts.length === 0) return {unsafe: 'climbs above the root'}
      parts.pop()
    } else parts.push(p)
  }
  return {path: `/${parts.join('/')}`}
}

test('tar names are placed as a segment-by-segment reading places them, for names built from every odd piece', (t) => {
  const pieces = ['a', 'b', '.', '..', '/', 'x.', '.y', '...', '\0']
  let x = 7
  const rnd = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    return (x >>> 8) % n
  }
  let differing = 0
  for (let i = 0; i < 50_000; i++) {
    let name = ''
    for (let k = 1 + rnd(8); k > 0; k--) name += pieces[rnd(pieces.length)]
    if (JSON.stringify(placeEntryName(name)) !== JSON.stringify(bySegments(name))) differing++
  }
  t.is(differing, 0)
  t.deepEqual(placeEntryName('./etc/passwd'), {path: '/etc/passwd'})
  t.deepEqual(placeEntryName('usr/lib/'), {path: '/usr/lib'})
  t.deepEqual(placeEntryName('a/../../etc'), {unsafe: 'climbs above the root'})
  t.deepEqual(placeEntryName('./'), {path: '/'})
})
