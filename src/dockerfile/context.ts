import type {Dirent} from 'node:fs'
import {readdir, realpath, stat} from 'node:fs/promises'
import {isAbsolute, join, relative, sep} from 'node:path'
import {asImgvetError, ImgvetError} from '../errors.js'
import type {Finding} from '../findings/finding.js'
import {DEFAULT_NOT_CHECKED, type ScopeRequirements} from '../policy/types.js'
import {goClean, hasGlobMeta, loadDockerignore, segmentGlob, type IgnoreMatcher, type IgnorePattern, type MatchInfo} from './dockerignore.js'
import {expandVars, hasUnresolvedVars, stageChain, stageVars, type ParsedDockerfile, type Stage} from './parse.js'
import {credentialSource} from './rules/content.js'
import {dfFinding} from './rules/types.js'

/**
 * What `COPY . /app` really copies: the build context minus what the ignore file leaves out. The Dockerfile rules
 * only see source names, so `COPY . /app` next to a `.env` looks harmless to them; this resolves each source
 * against the context as BuildKit would and reports the key and credential files (by the same name list the
 * by-name rule uses) that end up in a layer.
 */

const CONTEXT_SECRET_ID = 'dockerfile.copy-context-secret'
const CONTEXT_NOT_CHECKED_ID = 'dockerfile.copy-context.not-checked'
export const CONTEXT_FINDING_IDS: readonly string[] = [CONTEXT_SECRET_ID, CONTEXT_NOT_CHECKED_ID]

/** Directory entries read at most, so a context holding node_modules or a data set cannot stall the check. */
const DEFAULT_MAX_CONTEXT_ENTRIES = 100_000
/** Findings listed at most; the rest are counted in a note so a vendored tree of test keys stays readable. */
const MAX_LISTED = 200

interface Entry {
  name: string
  /** Slash-separated, relative to the context root; '' for the root. */
  rel: string
  kind: 'file' | 'dir' | 'link' | 'other'
  /** undefined for the root, whose children are matched without parent results. */
  info?: MatchInfo
}

const ROOT: Entry = {name: '', rel: '', kind: 'dir'}

/** The context as the builder sees it, read lazily: only directories some COPY source reaches are listed. */
class ContextTree {
  entries = 0
  truncated = false
  unreadable: string[] = []
  private readonly dirs = new Map<string, Entry[]>()

  constructor(readonly root: string, readonly ignore: IgnoreMatcher, readonly max: number) {}

  /** Files are in the context unless excluded; an excluded directory still holds whatever a `!` line takes back. */
  visible(e: Entry): boolean {
    if (!e.info?.excluded) return true
    return e.kind === 'dir' && !this.ignore.canPrune(e.rel)
  }

  async list(dir: Entry): Promise<Entry[]> {
    const cached = this.dirs.get(dir.rel)
    if (cached) return cached
    const out: Entry[] = []
    this.dirs.set(dir.rel, out)
    if (!this.visible(dir)) return out
    let dirents: Dirent[]
    try {
      dirents = await readdir(join(this.root, dir.rel), {withFileTypes: true})
    } catch {
      this.unreadable.push(dir.rel || '.')
      return out
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const d of dirents) {
      if (this.entries >= this.max) {
        this.truncated = true
        break
      }
      this.entries++
      const rel = dir.rel ? `${dir.rel}/${d.name}` : d.name
      const kind = d.isSymbolicLink() ? 'link' : d.isDirectory() ? 'dir' : d.isFile() ? 'file' : 'other'
      out.push({name: d.name, rel, kind, info: this.ignore.match(rel, dir.info)})
    }
    return out
  }

  private async entryAt(rel: string): Promise<Entry | undefined> {
    let cur: Entry | undefined = ROOT
    for (const seg of rel ? rel.split('/') : []) {
      if (!cur || cur.kind !== 'dir' || !this.visible(cur)) return undefined
      cur = (await this.list(cur)).find((e) => e.name === seg)
    }
    return cur && this.visible(cur) ? cur : undefined
  }

  /** A source that is a symlink is followed, as the builder does, but only while it stays inside the context. */
  private async follow(link: Entry): Promise<Entry | undefined> {
    let real: string
    try {
      real = await realpath(join(this.root, link.rel))
    } catch {
      return undefined
    }
    const rel = relative(this.root, real)
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined
    return this.entryAt(rel.split(sep).join('/'))
  }

  /** Regular files under a directory; symlinks inside it are copied as links, so their targets are not. */
  private async filesUnder(dir: Entry, out: Entry[]): Promise<void> {
    const stack = [dir]
    while (stack.length > 0 && !this.truncated) {
      const d = stack.pop() as Entry
      for (const e of await this.list(d)) {
        if (!this.visible(e)) continue
        if (e.kind === 'file') out.push(e)
        else if (e.kind === 'dir') stack.push(e)
      }
    }
  }

  /**
   * The context files one source selects: the path is taken relative to the context root (a leading `/` and any
   * `..` cannot leave it), each segment with a wildcard is matched as filepath.Match matches, and a directory
   * brings everything under it.
   */
  async select(src: string, where: string): Promise<Entry[]> {
    const clean = goClean(`/${src}`)
    const segs = clean === '/' ? [] : clean.slice(1).split('/')
    let cur: Entry[] = [ROOT]
    for (const seg of segs) {
      const glob = hasGlobMeta(seg) ? segmentGlob(seg, where) : undefined
      const next: Entry[] = []
      for (const c of cur) {
        if (c.kind !== 'dir') continue
        for (const e of await this.list(c)) {
          if (glob ? !glob(e.name) : e.name !== seg) continue
          const t = e.kind === 'link' ? await this.follow(e) : e
          if (t && this.visible(t)) next.push(t)
        }
      }
      cur = next
    }
    const out: Entry[] = []
    for (const c of cur) {
      if (c.kind === 'file') out.push(c)
      else if (c.kind === 'dir') await this.filesUnder(c, out)
    }
    return out
  }
}

interface ContextHit {
  stage: Stage
  line: number
  keyword: string
  /** The instruction's arguments as written, destination included. */
  args: string[]
  /** Relative to the context root. */
  path: string
  /** Set when an ignore line excluded the file and a later `!` line took it back. */
  reincludedBy?: IgnorePattern
}

export interface ContextScan {
  /** As the caller gave it, for messages. */
  context: string
  ignoreFile: string | null
  entries: number
  maxEntries: number
  /** Line of the first COPY/ADD whose sources reach past the entry bound. */
  truncatedAt?: number
  hits: ContextHit[]
  notes: string[]
}

interface ContextOptions {
  context: string
  /** The Dockerfile's path: `<Dockerfile>.dockerignore` next to it overrides the context's `.dockerignore`. */
  dockerfile?: string
  maxEntries?: number
}

/** Remote sources are fetched by the builder (ADD <url>, ADD <git ref>), not read from the context. */
function isRemote(src: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(src) || /^git@/.test(src)
}

export async function scanContext(df: ParsedDockerfile, o: ContextOptions): Promise<ContextScan> {
  let root: string
  try {
    if (!(await stat(o.context)).isDirectory()) throw new ImgvetError('bad-input', 'the build context is not a directory', o.context)
    root = await realpath(o.context)
  } catch (e) {
    throw asImgvetError(e, 'bad-input', o.context)
  }
  const ignore = await loadDockerignore(o.context, o.dockerfile)
  const max = o.maxEntries ?? DEFAULT_MAX_CONTEXT_ENTRIES
  const tree = new ContextTree(root, ignore.matcher, max)
  const scan: ContextScan = {context: o.context, ignoreFile: ignore.file, entries: 0, maxEntries: max, hits: [], notes: []}
  for (const stage of df.stages) {
    for (const ins of stage.instructions) {
      // --from reads another stage or a named build context, not this directory.
      if ((ins.keyword !== 'COPY' && ins.keyword !== 'ADD') || ins.flags.has('from') || ins.args.length < 2) continue
      const vars = stageVars(df, stage, ins.line)
      const sources = ins.args.slice(0, -1)
      const seen = new Set<string>()
      for (const raw of sources) {
        if (raw.startsWith('<<')) continue
        const src = expandVars(raw, vars)
        if (isRemote(src)) continue
        if (hasUnresolvedVars(src)) {
          scan.notes.push(`${df.path}:${ins.line}: ${ins.keyword} source ${raw.slice(0, 100)} has a variable without a value; not resolved in the build context`)
          continue
        }
        // Named outright (as written: that rule does not expand variables), it is already
        // dockerfile.copy.credential-file; listing its files again adds nothing.
        if (credentialSource(raw)) continue
        for (const f of await tree.select(src, `${df.path}:${ins.line}`)) {
          if (seen.has(f.rel) || !credentialSource(f.rel)) continue
          seen.add(f.rel)
          const by = f.info?.decidedBy
          scan.hits.push({stage, line: ins.line, keyword: ins.keyword, args: ins.args, path: f.rel, ...(by?.exception ? {reincludedBy: by} : {})})
        }
      }
      if (tree.truncated && scan.truncatedAt === undefined) scan.truncatedAt = ins.line
    }
  }
  scan.entries = tree.entries
  scan.notes.unshift(`build context ${o.context}: ${tree.entries} entries read, ignore file ${ignore.file ?? 'none'}`)
  if (tree.unreadable.length > 0) scan.notes.push(`build context: could not read ${tree.unreadable.length} director(ies), e.g. ${tree.unreadable[0]} (the builder cannot send them either)`)
  return scan
}

function stageLabel(s: Stage): string {
  return s.name ? `"${s.name}"` : `#${s.index}`
}

/**
 * Files copied into the final stage (or a stage it builds on) are in the image: high. Files copied into another
 * stage stay in that stage's layers and the build cache and reach the image only through a COPY --from, which is
 * not followed here: medium, so a release gate still fails on them.
 */
export function contextFindings(df: ParsedDockerfile, scan: ContextScan, target: ScopeRequirements): {findings: Finding[]; notes: string[]} {
  const final = df.stages[df.stages.length - 1]
  const inImage = new Set(final ? stageChain(df, final).map((s) => s.index) : [])
  const ignoreName = scan.ignoreFile ?? join(scan.context, '.dockerignore')
  const findings: Finding[] = []
  for (const h of scan.hits.slice(0, MAX_LISTED)) {
    const copied = `${h.keyword} ${h.args.join(' ')}`.slice(0, 200)
    const landed = inImage.has(h.stage.index)
    const back = h.reincludedBy
      ? `; it is excluded, then taken back by "!${h.reincludedBy.text}" at ${ignoreName}:${h.reincludedBy.line}: remove that exception or narrow it`
      : `; add "${h.path}" to ${ignoreName}`
    findings.push(dfFinding(df.path, {
      id: CONTEXT_SECRET_ID, severity: landed ? 'high' : 'medium', category: 'credential-file', rule: 'no-credentials', line: h.line,
      subject: `context:${h.path}`,
      title: `${h.keyword} takes a key or credential file from the build context`,
      evidence: `${copied}: build context file ${h.path} goes into ${landed ? 'the image' : `build stage ${stageLabel(h.stage)}`}${back}`,
      note: landed ? undefined : `stage ${stageLabel(h.stage)} is not the final image; the file stays in its layers and the build cache, and reaches the image if a later COPY --from carries it`,
    }))
  }
  const notes: string[] = []
  if (scan.hits.length > MAX_LISTED) notes.push(`build context: ${scan.hits.length - MAX_LISTED} more key or credential file(s) selected by COPY/ADD, not listed`)
  if (scan.truncatedAt !== undefined) {
    findings.push(dfFinding(df.path, {
      id: CONTEXT_NOT_CHECKED_ID, severity: target.notChecked ?? DEFAULT_NOT_CHECKED, category: 'credential-file', rule: 'no-credentials', line: scan.truncatedAt,
      subject: `context:${scan.maxEntries}`,
      title: 'Build context not fully checked for key and credential files',
      evidence: `the COPY/ADD sources reach more than ${scan.maxEntries} entries of ${scan.context}; files past that point were not checked (exclude bulky directories such as node_modules in ${ignoreName})`,
    }))
  }
  return {findings, notes}
}
