/**
 * Reading one tar entry's content, bounded: either a prefix (most checks), or successive overlapping windows of a
 * file larger than one window (checks marked `windowed`), so memory stays one window whatever the cap.
 */

/**
 * Bytes two consecutive windows share, so a token, a credential line or a PEM block that crosses a window boundary
 * is seen whole in the next window. A PEM block longer than this (an 8192-bit RSA key is about 6.5 KiB, a long
 * certificate chain more) that crosses a boundary is split and neither window sees it whole.
 */
export const WINDOW_OVERLAP = 16 * 1024

/** What an entry's bytes come from: the tar parser's body (tar-parse.ts), or any stream. */
export interface EntryBytes {
  on(event: 'data', fn: (b: Buffer) => void): unknown
  on(event: 'end', fn: () => void): unknown
  on(event: 'error', fn: (e: Error) => void): unknown
}

/** Read at most `max` bytes of an entry's stream, draining the rest so the tar parser can move on. */
export function readEntry(stream: EntryBytes, max: number): Promise<{buf: Buffer; truncated: boolean}> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let have = 0
    let truncated = false
    stream.on('data', (c: Buffer) => {
      if (have >= max) {
        truncated = true
        return
      }
      const take = have + c.length > max ? c.subarray(0, max - have) : c
      if (take.length < c.length) truncated = true
      chunks.push(take)
      have += take.length
    })
    // One chunk (most files) is handed on as it is: a view into the decompressor's output, which is never reused.
    stream.on('end', () => resolve({buf: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), truncated}))
    stream.on('error', reject)
  })
}

interface ContentWindowView {
  /** Valid only during the callback: the buffer is reused for the next window. */
  buf: Buffer
  index: number
  /** File offset of buf[0]. */
  offset: number
  /** Newlines before `offset`: a 1-based line in the window plus this is the line in the file. */
  lineBase: number
  /** Bytes of the file follow this window (read in a later window or left past the cap). */
  truncated: boolean
  /** No window follows (the file ends here, or the cap does). */
  last: boolean
}

function countNewlines(buf: Buffer): number {
  let n = 0
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++
  return n
}

/**
 * The window-relative line that the next window sees from its start (an unfinished last line that starts inside
 * the overlap), or 0. Findings there are left to the next window: this one may hold only a cut-off part of a value.
 */
export function lineLeftToNext(w: ContentWindowView, overlap: number): number {
  if (w.last) return 0
  const lastStart = w.buf.lastIndexOf(10) + 1
  return lastStart >= w.buf.length - overlap ? countNewlines(w.buf) + 1 : 0
}

/**
 * Hand an entry's content to `onWindow` in windows of `size` bytes overlapping by `overlap`, up to `cap` bytes in
 * all, and drain the rest. `onWindow` runs synchronously and returns false when later windows are not wanted (the
 * first one showed binary content); from then on the stream is only drained. `cut`: bytes past the cap were not read.
 */
export function readWindows(
  stream: EntryBytes,
  o: {size: number; overlap: number; cap: number},
  onWindow: (w: ContentWindowView) => boolean,
): Promise<{cut: boolean; stopped: boolean}> {
  const size = Math.min(o.size, o.cap)
  if (o.overlap >= size) throw new Error(`window overlap ${o.overlap} must be smaller than the window ${size}`)
  return new Promise((resolve, reject) => {
    const win = Buffer.allocUnsafe(size)
    let n = 0
    let fresh = 0
    let offset = 0
    let lineBase = 0
    let read = 0
    let index = 0
    let stopped = false
    let cut = false
    let failed = false
    const emit = (truncated: boolean, last: boolean) => {
      if (fresh === 0 || stopped) return
      fresh = 0
      if (!onWindow({buf: win.subarray(0, n), index: index++, offset, lineBase, truncated, last})) stopped = true
    }
    stream.on('data', (c: Buffer) => {
      if (failed) return
      try {
        let rest = c
        while (rest.length > 0 && !stopped) {
          if (read >= o.cap) {
            cut = true
            return
          }
          if (n === size) {
            // More bytes exist beyond this window and the cap allows them: another window follows.
            emit(true, false)
            if (stopped) return
            lineBase += countNewlines(win.subarray(0, n - o.overlap))
            win.copyWithin(0, n - o.overlap, n)
            offset += n - o.overlap
            n = o.overlap
          }
          const take = Math.min(rest.length, size - n, o.cap - read)
          rest.copy(win, n, 0, take)
          n += take
          fresh += take
          read += take
          rest = rest.subarray(take)
        }
      } catch (e) {
        // A check that throws: stop reading, the caller fails the layer.
        failed = true
        reject(e)
      }
    })
    stream.on('end', () => {
      if (failed) return
      try {
        emit(cut, true)
        resolve({cut, stopped})
      } catch (e) {
        reject(e)
      }
    })
    stream.on('error', reject)
  })
}
