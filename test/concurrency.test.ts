import test from 'ava'
import {mapLimit} from '../src/concurrency.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('mapLimit never runs more than the limit at once and visits every item', async (t) => {
  let running = 0
  let peak = 0
  const seen: number[] = []
  await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    running++
    peak = Math.max(peak, running)
    await sleep(5)
    seen.push(n)
    running--
  })
  t.is(peak, 3)
  t.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7])
})

test('after a failure mapLimit starts nothing new and settles only when the items in flight have finished', async (t) => {
  const finished: number[] = []
  const started: number[] = []
  const err = await t.throwsAsync(mapLimit([1, 2, 3, 4, 5], 2, async (n) => {
    started.push(n)
    if (n === 1) throw new Error('first fails')
    await sleep(30)
    finished.push(n)
  }))
  t.is(err?.message, 'first fails')
  t.deepEqual(started, [1, 2], 'no item starts after the failure')
  t.deepEqual(finished, [2], 'the item in flight finished before the error was reported')
})

test('an aborted signal stops new items', async (t) => {
  const ctl = new AbortController()
  const seen: number[] = []
  await mapLimit([1, 2, 3], 1, async (n) => {
    seen.push(n)
    ctl.abort()
  }, ctl.signal)
  t.deepEqual(seen, [1])
})
