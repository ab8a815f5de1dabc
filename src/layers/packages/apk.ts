import {b64hex, MAX_DB_FILE, withVersion, type LayerRecords, type PackageSource, type RecordSink} from './source.js'

const DB = '/lib/apk/db/installed'

/** `P:` name, `V:` version, `F:` directory, `R:` file, `Z:` its checksum (Q1 + base64 sha1; Q2: sha256). */
function parse(text: string, paths: ReadonlySet<string>, sink: RecordSink): void {
  let name = ''
  let version: string | undefined
  let dir = ''
  let file: string | null = null
  const flush = (z?: string) => {
    if (file === null) return
    const path = `/${dir ? `${dir}/` : ''}${file}`
    file = null
    if (!paths.has(path)) return
    const algo = z?.startsWith('Q1') ? 'sha1' : z?.startsWith('Q2') ? 'sha256' : null
    const hex = algo && z ? b64hex(z.slice(2)) : undefined
    sink.record(path, {manager: 'apk', name, ...withVersion(version), ...(algo && hex ? {hash: {algo, hex}} : {})})
  }
  for (const line of text.split('\n')) {
    const k = line.slice(0, 2)
    const v = line.slice(2)
    if (k === 'Z:') flush(v)
    else if (k === 'R:') {
      flush()
      file = v
    } else if (k === 'F:') {
      flush()
      dir = v
    } else if (k === 'P:') {
      flush()
      name = v
      version = undefined
      dir = ''
    } else if (k === 'V:') version = v
    else if (line === '') {
      flush()
      dir = ''
    }
  }
  flush()
}

class ApkLayer implements LayerRecords {
  private text: string | undefined

  add(_path: string, buf: Buffer, keep: (n: number) => boolean): void {
    if (keep(buf.length)) this.text = buf.toString('utf8')
  }

  resolve(paths: ReadonlySet<string>, sink: RecordSink): void {
    if (this.text !== undefined) parse(this.text, paths, sink)
  }
}

export const apk: PackageSource = {
  names: {suffixes: [DB]},
  bound: (path) => (path === DB ? MAX_DB_FILE : 0),
  layer: () => new ApkLayer(),
}
