import {posix} from 'node:path'
import {b64hex, MAX_DB_FILE, withVersion, type LayerRecords, type PackageSource, type RecordSink} from './source.js'

const RECORD = /\/[^/]+\.dist-info\/RECORD$/

/** Minimal CSV: RECORD quotes a path only when it holds a comma or a quote. */
function csvFields(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (c === '"') quoted = false
      else cur += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      out.push(cur)
      cur = ''
    }
    else cur += c
  }
  out.push(cur)
  return out
}

/** RECORD paths are relative to the directory holding the dist-info; the hash is `sha256=` urlsafe base64. */
function parse(file: string, text: string, paths: ReadonlySet<string>, sink: RecordSink): void {
  const distInfo = posix.basename(posix.dirname(file)).replace(/\.dist-info$/, '')
  const dash = distInfo.indexOf('-')
  const name = dash > 0 ? distInfo.slice(0, dash) : distInfo
  const version = dash > 0 ? distInfo.slice(dash + 1) : undefined
  const base = posix.dirname(posix.dirname(file))
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue
    const [p, h] = csvFields(line)
    if (!p) continue
    const path = posix.normalize(p.startsWith('/') ? p : posix.join(base, p))
    if (!paths.has(path)) continue
    const hex = h?.startsWith('sha256=') ? b64hex(h.slice(7)) : undefined
    sink.record(path, {manager: 'python', name, ...withVersion(version), ...(hex ? {hash: {algo: 'sha256', hex}} : {})})
  }
}

class PythonLayer implements LayerRecords {
  private readonly raw = new Map<string, string>()

  add(path: string, buf: Buffer, keep: (n: number) => boolean): void {
    if (keep(buf.length)) this.raw.set(path, buf.toString('utf8'))
  }

  resolve(paths: ReadonlySet<string>, sink: RecordSink): void {
    for (const [file, text] of this.raw) parse(file, text, paths, sink)
  }
}

/** Python wheels as installed: `*.dist-info/RECORD`, a sha256 per file. */
export const python: PackageSource = {
  names: {suffixes: ['/RECORD']},
  bound: (path) => (path.endsWith('/RECORD') && RECORD.test(path) ? MAX_DB_FILE : 0),
  layer: () => new PythonLayer(),
}
