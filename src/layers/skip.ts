import picomatch from 'picomatch'

/** --skip-dirs and --skip-files: globs over image paths (`/usr/share/doc`, `**\/node_modules`, `*.pem`), as trivy's. */
export interface PathSkip {
  dirs: readonly string[]
  files: readonly string[]
}

/**
 * A path is skipped when it matches a file glob, or it or any directory above it matches a dir glob. Patterns may
 * be written with or without the leading slash; a file glob without a slash matches the base name anywhere.
 */
export function skipMatcher(skip: PathSkip | undefined): ((path: string) => boolean) | null {
  if (!skip || (skip.dirs.length === 0 && skip.files.length === 0)) return null
  const strip = (p: string) => p.replace(/^\/+/, '').replace(/\/+$/, '')
  const opts = {dot: true}
  const dir = skip.dirs.length ? picomatch(skip.dirs.map(strip), opts) : () => false
  const file = skip.files.length ? picomatch(skip.files.map(strip), {...opts, basename: true}) : () => false
  return (path: string) => {
    const rel = strip(path)
    if (file(rel)) return true
    const parts = rel.split('/')
    for (let i = 1; i <= parts.length; i++) if (dir(parts.slice(0, i).join('/'))) return true
    return false
  }
}
