import test from 'ava'
import {join} from 'node:path'
import {dockerRef} from '../support/env.js'
import {assertBuilt, fx, tempDir} from './helpers.js'
import {runOnTty} from '../support/cli.js'

/** The progress bars on a real pseudo-terminal (util-linux `script`): they count bytes and clear their line. */
test.before(assertBuilt)

const SIZE = String.raw`[\d.]+ (B|KiB|MiB)`

const onTty = (args: readonly string[]) => runOnTty(args, {COLUMNS: '100'})

test('scan of a one-layer image: the bar counts bytes up to the layer\'s size, then clears before the verdict', async (t) => {
  const base = fx.images.base
  const dir = tempDir(t, 'imgvet-progress')
  const r = await onTty(['scan', dockerRef(base), '-o', join(dir, 'r.json'), '--format', 'json', '--cache-dir', join(dir, 'cache')])
  t.is(r.code, 0, r.output)
  const draws = [...r.output.matchAll(new RegExp(String.raw`\rscanning \[([#.]{30})\] (${SIZE})/(${SIZE})\x1b\[K`, 'g'))]
  t.true(draws.length >= 1, JSON.stringify(r.output))
  const last = draws.at(-1)
  t.is(last?.[1], '#'.repeat(30), 'full at the end')
  t.is(last?.[2], last?.[4], 'done equals total')
  t.not(last?.[2], '0 B')
  // The bar's line is cleared (CR, erase to end of line) and the verdict starts on a clean line.
  t.regex(r.output, /\r\x1b\[Kimgvet: \d+ findings?/)
})

test('pull: the bar counts the bytes of every blob and clears its line before the summary', async (t) => {
  const dir = tempDir(t, 'imgvet-progress')
  const r = await onTty(['pull', dockerRef(fx.images.base), '-o', join(dir, 'layout')])
  t.is(r.code, 0, r.output)
  t.regex(r.output, new RegExp(String.raw`\rpulling \[#{30}\] (${SIZE})/\1\x1b\[K`))
  t.regex(r.output, /\r\x1b\[K(\r\n)?pulled /)
  const afterClear = r.output.slice(r.output.lastIndexOf('\r\x1b[K') + 4)
  t.notRegex(afterClear, /pulling \[/, 'nothing drawn after the clear')
})
