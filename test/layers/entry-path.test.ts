import test from 'ava'
import {placeBySegments, placeEntryName} from '../../src/layers/entry-path.js'

/** The whole rule: NUL and absolute names first, then segment by segment. */
function bySegments(name: string) {
  if (name.includes('\0')) return {unsafe: 'contains NUL'}
  if (name.startsWith('/')) return {unsafe: 'is an absolute path'}
  return placeBySegments(name)
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
