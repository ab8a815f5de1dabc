import type {Category, Severity} from './finding.js'

interface Timed {
  severity: Severity
  category: Category
  note?: string
  expires?: string
}

/**
 * Turns the facts a detector recorded (`expires`) into a judgement for the moment the report is made. Detection
 * results are cached per layer for as long as the layer exists, so they must never say "expired" themselves.
 * An expired token opens nothing any more (low); an expired certificate keeps its severity, since its private key
 * works as well as before.
 */
export function judgeTime<T extends Timed>(f: T, now: number = Date.now()): T {
  if (!f.expires) return f
  const at = Date.parse(f.expires)
  if (Number.isNaN(at)) return f
  const day = new Date(at).toISOString().slice(0, 10)
  if (at >= now) return {...f, note: join(f.note, `expires ${day}`)}
  const lowered = f.category === 'secret' && f.severity !== 'info' ? 'low' : f.severity
  return {...f, severity: lowered, note: join(f.note, `expired ${day}`)}
}

function join(a: string | undefined, b: string): string {
  return a ? `${a}; ${b}` : b
}
