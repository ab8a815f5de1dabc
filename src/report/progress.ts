/** Where a bar draws: a terminal (isTTY, columns) or anything shaped like one, so tests can watch it. */
interface BarStream {
  isTTY?: boolean
  columns?: number
  write(s: string): unknown
}

const REDRAW_MS = 100

/**
 * A one-line progress bar on stderr, only when stderr is a terminal (CI logs stay clean). `unit` says whether the
 * counts are bytes or items (layers). Every redraw clears the rest of the line and fits the terminal's width, so a
 * shorter line leaves nothing behind and a narrow terminal does not wrap; end() clears the line it drew, once.
 */
export function progressBar(label: string, stream: BarStream = process.stderr, unit: 'bytes' | 'items' = 'bytes'): {update(done: number, total: number): void; end(): void} {
  if (!stream.isTTY) return {update() {}, end() {}}
  let last = 0
  let drawn = false
  return {
    update(done, total) {
      const now = Date.now()
      if (drawn && now - last < REDRAW_MS && done < total) return
      last = now
      const width = 30
      const frac = total > 0 ? Math.min(done / total, 1) : 1
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.')
      const count = unit === 'bytes' ? `${formatBytes(done)}/${formatBytes(total)}` : `${done}/${total} layers`
      const line = `${label} [${bar}] ${count}`
      // A pseudo-terminal without a size reports 0 columns.
      const room = (stream.columns || 80) - 1
      stream.write(`\r${line.length > room ? line.slice(0, Math.max(room, 0)) : line}\x1b[K`)
      drawn = true
    },
    end() {
      if (!drawn) return
      drawn = false
      stream.write('\r\x1b[K')
    },
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}
