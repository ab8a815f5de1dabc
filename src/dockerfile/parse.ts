import {DockerfileParser, From, PropertyInstruction, type Instruction} from 'dockerfile-ast'
import {ImgvetError} from '../errors.js'

/**
 * A Dockerfile reduced to what the rules need: stages, each with its instructions, flags, arguments and 1-based
 * lines. dockerfile-ast is tolerant (it never throws on odd input), so structural problems a builder would refuse
 * (no FROM, instructions before it) are raised here as bad input.
 */

interface DfProperty {
  name: string
  value: string | null
  line: number
}

interface DfInstruction {
  keyword: string
  line: number
  /** Whitespace-split arguments, flags removed; for the JSON (exec) form, the decoded strings. */
  args: string[]
  /** The arguments as written (continuations joined), flags included. */
  raw: string
  flags: Map<string, string | null>
  /** ENV, ARG, LABEL: name/value pairs. */
  props: DfProperty[]
}

export interface Stage {
  index: number
  /** `AS name`, lowercased as builders compare it. */
  name?: string
  /** FROM as written, and with global ARG defaults substituted. */
  image: string
  imageRaw: string
  /** Index of the earlier stage this one builds on, when FROM names one. */
  parent?: number
  platform?: string
  line: number
  instructions: DfInstruction[]
}

export interface ParsedDockerfile {
  path: string
  /** ARGs before the first FROM, with their defaults (null when none): the only variables FROM can use. */
  globalArgs: Map<string, string | null>
  stages: Stage[]
}

const MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024

/** `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`; unknown variables stay as written. */
export function expandVars(s: string, vars: ReadonlyMap<string, string | null>): string {
  return s.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, braced?: string, op?: string, word?: string, bare?: string) => {
    const name = braced ?? bare ?? ''
    const v = vars.get(name)
    const set = v !== undefined && v !== null
    if (op === ':-' || op === '-') return set && (op === '-' || v !== '') ? v : (word ?? '')
    if (op === ':+' || op === '+') return set && (op === '+' || v !== '') ? (word ?? '') : ''
    return set ? v : whole
  })
}

export function hasUnresolvedVars(s: string): boolean {
  return /\$\{?[A-Za-z_]/.test(s)
}

function lineOf(i: Instruction): number {
  return i.getRange().start.line + 1
}

function decodeJsonForm(raw: string): string[] | undefined {
  const t = raw.trim()
  if (!t.startsWith('[')) return undefined
  try {
    const v: unknown = JSON.parse(t)
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined
  } catch {
    return undefined
  }
}

function toInstruction(i: Instruction): DfInstruction {
  const keyword = i.getKeyword().toUpperCase()
  const raw = i.getRawArgumentsContent() ?? ''
  const flags = new Map<string, string | null>()
  const withFlags = i as Instruction & {getFlags?: () => Array<{getName(): string; getValue(): string | null}>}
  if (typeof withFlags.getFlags === 'function') for (const f of withFlags.getFlags()) flags.set(f.getName().toLowerCase(), f.getValue())
  // The exec form is only JSON once the leading flags are removed (`COPY --chown=1 ["a b", "/c"]`).
  const afterFlags = raw.replace(/^(\s*--[A-Za-z-]+(?:=(?:"[^"]*"|\S*))?\s*)+/, '')
  const json = decodeJsonForm(afterFlags)
  // ModifiableInstruction.getArguments already leaves the flags out.
  const args = json ?? i.getArguments().map((a) => a.getValue())
  const props: DfProperty[] = []
  if (i instanceof PropertyInstruction) {
    for (const p of i.getProperties()) props.push({name: p.getName(), value: p.getValue(), line: p.getRange().start.line + 1})
  }
  return {keyword, line: lineOf(i), args, raw, flags, props}
}

/** Parse Dockerfile text; `path` only names it in findings and errors. */
export function parseDockerfile(text: string, path: string): ParsedDockerfile {
  if (Buffer.byteLength(text) > MAX_DOCKERFILE_BYTES) throw new ImgvetError('bad-input', 'Dockerfile is larger than 4 MiB', path)
  if (text.includes('\0')) throw new ImgvetError('bad-input', 'Dockerfile contains NUL bytes (is it a binary file?)', path)
  const df = DockerfileParser.parse(text)
  const globalArgs = new Map<string, string | null>()
  const stages: Stage[] = []
  const names = new Map<string, number>()
  for (const ins of df.getInstructions()) {
    const kw = ins.getKeyword().toUpperCase()
    if (kw === 'FROM' && ins instanceof From) {
      const imageRaw = ins.getImage() ?? ''
      if (!imageRaw) throw new ImgvetError('bad-input', 'FROM without an image', `${path}:${lineOf(ins)}`)
      const image = expandVars(imageRaw, globalArgs)
      const stage: Stage = {index: stages.length, image, imageRaw, line: lineOf(ins), instructions: []}
      const as = ins.getBuildStage()
      if (as) stage.name = as.toLowerCase()
      const parent = names.get(image.toLowerCase())
      if (parent !== undefined) stage.parent = parent
      const platform = ins.getPlatformFlag()?.getValue()
      if (platform) stage.platform = platform
      stages.push(stage)
      if (stage.name) names.set(stage.name, stage.index)
      continue
    }
    const cur = stages[stages.length - 1]
    if (!cur) {
      if (kw === 'ARG') {
        for (const p of toInstruction(ins).props) globalArgs.set(p.name, p.value)
        continue
      }
      throw new ImgvetError('bad-input', `${kw} before the first FROM (only ARG may come first)`, `${path}:${lineOf(ins)}`)
    }
    cur.instructions.push(toInstruction(ins))
  }
  if (stages.length === 0) throw new ImgvetError('bad-input', 'no FROM instruction: this is not a Dockerfile', path)
  return {path, globalArgs, stages}
}

/** Stage ancestry, final stage first: the chain whose last USER decides who the image runs as. */
export function stageChain(df: ParsedDockerfile, stage: Stage): Stage[] {
  const out: Stage[] = []
  let s: Stage | undefined = stage
  while (s && !out.includes(s)) {
    out.push(s)
    s = s.parent === undefined ? undefined : df.stages[s.parent]
  }
  return out
}

/** A stage's variables at an instruction: global ARG defaults re-declared in the stage, then the stage's ARG/ENV. */
export function stageVars(df: ParsedDockerfile, stage: Stage, beforeLine: number): Map<string, string | null> {
  const vars = new Map<string, string | null>()
  for (const s of stageChain(df, stage).reverse()) {
    for (const ins of s.instructions) {
      if (s === stage && ins.line >= beforeLine) break
      if (ins.keyword === 'ARG') {
        for (const p of ins.props) vars.set(p.name, p.value ?? (df.globalArgs.get(p.name) ?? vars.get(p.name) ?? null))
      } else if (ins.keyword === 'ENV') {
        for (const p of ins.props) vars.set(p.name, p.value === null ? null : expandVars(p.value, vars))
      }
    }
  }
  return vars
}
