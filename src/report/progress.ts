/**
 * A one-line progress bar on stderr, only when stderr is a terminal (CI logs stay clean). `unit` says whether the
 * counts are bytes or items (layers).
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr, unit: 'bytes' | 'items' = 'bytes'): {update(done: number, total: number): void; end(): void} {
  if (!stream.isTTY) return {update() {}, end() {}}
  let last = 0
  return {
    update(done, total) {
      const now = Date.now()
      if (now - last < 100 && done < total) return
      last = now
      const width = 30
      const frac = total > 0 ? Math.min(done / total, 1) : 1
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.')
      stream.write(`\r${label} [${bar}] ${unit === 'bytes' ? `${formatBytes(done)}/${formatBytes(total)}` : `${done}/${total} layers`}`)
    },
    end() {
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
