import test from 'ava'
import {formatBytes, progressBar} from '../../src/report/progress.js'

/** A terminal as the bar sees one: isTTY, a width, and everything written to it. */
function terminal(columns = 80, isTTY = true): {isTTY: boolean; columns: number; out: string[]; write(s: string): boolean} {
  const out: string[] = []
  return {isTTY, columns, out, write: (s: string) => out.push(s) > 0}
}

test('on a terminal every redraw returns to column 0 and clears the rest of the line', (t) => {
  const tty = terminal()
  const bar = progressBar('pulling', tty)
  bar.update(0, 2048)
  bar.update(2048, 2048)
  t.deepEqual(tty.out, [
    `\rpulling [${'.'.repeat(30)}] 0 B/2.0 KiB\x1b[K`,
    `\rpulling [${'#'.repeat(30)}] 2.0 KiB/2.0 KiB\x1b[K`,
  ])
  bar.end()
  t.is(tty.out.at(-1), '\r\x1b[K', 'end() clears the line it drew')
  bar.end()
  t.is(tty.out.length, 3, 'and only once')
})

test('a bar that never drew clears nothing; not a terminal: nothing at all', (t) => {
  const tty = terminal()
  progressBar('scanning', tty).end()
  t.deepEqual(tty.out, [])
  const pipe = terminal(80, false)
  const bar = progressBar('scanning', pipe)
  bar.update(1, 2)
  bar.end()
  t.deepEqual(pipe.out, [])
})

test('a narrow terminal gets a line that fits, so it never wraps', (t) => {
  const tty = terminal(24)
  progressBar('scanning', tty).update(5 * 1024 * 1024, 10 * 1024 * 1024)
  const line = (tty.out[0] ?? '').replace('\r', '').replace('\x1b[K', '')
  t.is(line, 'scanning [#############')
  t.is(line.length, 23)
})

test('a pseudo-terminal that reports 0 columns is taken as 80 wide, not as no room', (t) => {
  const tty = terminal(0)
  progressBar('pulling', tty).update(1, 2)
  t.regex(tty.out[0] ?? '', /^\rpulling \[#{15}\.{15}\] 1 B\/2 B\x1b\[K$/)
})

test('redraws are throttled, but the last one always draws', (t) => {
  const tty = terminal()
  const bar = progressBar('scanning', tty)
  for (let i = 0; i < 1000; i++) bar.update(i, 1000)
  bar.update(1000, 1000)
  t.true(tty.out.length <= 3, `${tty.out.length} redraws`)
  t.regex(tty.out.at(-1) ?? '', /\[#{30}\] 1000 B\/1000 B/)
})

test('sizes are human-readable', (t) => {
  t.is(formatBytes(0), '0 B')
  t.is(formatBytes(1536), '1.5 KiB')
  t.is(formatBytes(3 * 1024 ** 3), '3.0 GiB')
})
