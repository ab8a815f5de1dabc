import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {ImgvetError} from '../errors.js'

// Where settings come from, apart from how they are parsed: no YAML here, so pull's fast path can ask cheaply.

export function envName(flag: string): string {
  return `IMGVET_${flag.toUpperCase().replace(/-/g, '_')}`
}

/** `--config FILE`, else IMGVET_CONFIG, else ./imgvet.yaml if there is one; a named file that is missing is an error. */
export function findConfigFile(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string):
  {path: string; text: string} | undefined {
  let named: string | undefined
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    const a = argv[i] ?? ''
    if (a === '--config') named = argv[i + 1]
    else if (a.startsWith('--config=')) named = a.slice('--config='.length)
  }
  named ??= env.IMGVET_CONFIG || undefined
  const path = named ?? join(cwd, 'imgvet.yaml')
  if (!named && !existsSync(path)) return undefined
  try {
    return {path: named ?? 'imgvet.yaml', text: readFileSync(path, 'utf8')}
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message
    throw new ImgvetError('bad-input', `cannot read config file: ${why}`, named ?? path)
  }
}
