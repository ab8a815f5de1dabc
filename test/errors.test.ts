import test from 'ava'
import {EXIT, ImgvetError, exitFor} from '../src/errors.js'

test('exitFor: pass 0, fail 1, and "could not complete" outranks either verdict', (t) => {
  t.is(exitFor({pass: true}), 0)
  t.is(exitFor({pass: false}), 1)
  t.is(exitFor({pass: true, incomplete: true}), 3, 'a pass over part of the input is not a pass')
  t.is(exitFor({pass: false, incomplete: true}), 3)
})

test('exitFor: a failure exits with the code asked for, a pass never does', (t) => {
  t.is(exitFor({pass: false}, 7), 7, 'scan --exit-code 7')
  t.is(exitFor({pass: true}, 7), 0)
  t.is(exitFor({pass: false}, EXIT.badInput), 2, 'policy validate: an invalid file is bad input')
  t.is(exitFor({pass: false, incomplete: true}, 7), 3)
})

test('verdict codes and error codes stay apart: 1 is only ever a verdict', (t) => {
  const codes = ['usage', 'bad-policy', 'no-such-image', 'network', 'integrity', 'busy'] as const
  const exits = codes.map((c) => new ImgvetError(c, 'x').exitCode)
  t.deepEqual(exits, [2, 2, 2, 3, 3, 3])
  t.false(exits.includes(exitFor({pass: false})))
})
