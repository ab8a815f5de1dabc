// No module imports itself back at run time: a cycle of runtime values works only as long as neither side calls the
// other while modules are being evaluated; the first refactor that does gets `undefined`. The graph and its check
// are scripts/import-graph.ts, which `npm run lint` runs too.
import test from 'ava'
import {importGraphProblems, stronglyConnected} from '../../scripts/import-graph.js'

test('no runtime import cycle between files of src/, commands/, test/ and bench/; no export nothing imports', (t) => {
  const p = importGraphProblems()
  t.true(p.modules > 100, 'the source tree was not found')
  t.deepEqual(p.cycles, [])
  t.deepEqual(p.unusedExports, [])
})

test('the cycle finder finds a cycle of two', (t) => {
  t.deepEqual(stronglyConnected(new Map([['a', ['b']], ['b', ['a']], ['c', ['a']]])), [['a', 'b']])
})
