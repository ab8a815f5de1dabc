import {escapeControl} from '../report/escape.js'
import {formatBytes} from '../report/progress.js'
import type {AdoptResult} from './adopt.js'

const short = (d: string) => (d.startsWith('sha256:') ? d.slice(0, 19) : d)

/** The plan as JSON; every string from a registry is escaped only by JSON itself. */
export function renderAdoptJson(r: AdoptResult): string {
  const {exitCode: _exit, ...rest} = r
  return JSON.stringify(rest, null, 2)
}

/** Text: source and destination lines, the plan table, totals, the verification table and one final line. */
export function renderAdoptText(r: AdoptResult): string {
  const out: string[] = []
  out.push(`source       ${r.source.reference} -> ${r.source.digest} (vet ${r.vet.verdict}, policy ${r.vet.policy})`)
  for (const reason of r.vet.reasons) out.push(`  reason     ${reason.message}`)
  const apiAnswer = r.destination.referrersApi ? 'yes' : 'no (fallback tags)'
  const api = r.destination.referrersApi === null ? 'not asked' : apiAnswer
  out.push(`destination  ${r.destination.reference} (referrers API: ${api}; tag: ${r.tag.previous ?? 'absent'})`)
  if (r.plan) {
    out.push('', 'plan')
    const rows = r.plan.items.map((i) => [
      i.role, i.tag ?? short(i.digest), i.size === undefined ? '' : formatBytes(i.size),
        i.artifactType ?? i.mediaType ?? '', i.platform ?? '',
      `${i.action}${i.reason ? ` (${i.reason})` : ''}`,
    ])
    out.push(...table([['ROLE', 'ITEM', 'SIZE', 'TYPE', 'PLATFORM', 'ACTION'], ...rows]).map((l) => `  ${l}`))
    const t = r.plan.totals
    const pc = r.plan.pushCheck
    const ended = pc?.cancelled === null ? 'left to expire' : `cancelled (${pc?.cancelled})`
    if (pc) out.push(`push check: upload session opened (${pc.opened}) and ${ended}`)
    out.push(`totals: copy ${formatBytes(t.copyBytes)}, mount ${formatBytes(t.mountBytes)}, ${t.present} present, ${t.toWrite} to write, ${t.conflicts} conflict(s)`)
  }
  if (r.copy) {
    const c = r.copy
    out.push(`copied: ${c.blobs.uploaded} blob(s) uploaded (${formatBytes(c.bytesSent)}), ${c.blobs.mounted} mounted, ${c.manifests} manifest(s), ${c.tags} tag write(s)`
      + `${c.repaired ? `, ${c.repaired} blob(s) re-sent after the registry refused a manifest` : ''}`)
    for (const m of c.merged) out.push(`merged: ${m.tag} now names ${m.digest} (was ${m.previous})`)
  }
  const v = r.verification
  if (v) {
    out.push('', 'verification at the destination')
    out.push(`  manifests ${v.nodes.checked - v.nodes.failed.length}/${v.nodes.checked} byte-identical, blobs ${v.blobs.checked - v.blobs.failed.length}/${v.blobs.checked} (${v.blobs.mode}), tags ${v.tags.checked - v.tags.failed.length}/${v.tags.checked}`)
    for (const s of v.signatures) {
      out.push(`  ${s.kind} ${short(s.digest)} on ${short(s.target)}: ${s.source} -> ${s.destination}${s.identity ? ` (${s.identity})` : ''}`)
    }
    for (const f of v.failures) out.push(`  FAILED ${f}`)
  }
  for (const w of r.warnings) out.push(`warning: ${w}`)
  out.push('', finalLine(r))
  return `${out.map(escapeControl).join('\n')}\n`
}

function finalLine(r: AdoptResult): string {
  const at = `${r.tag.name}@${r.source.digest}`
  switch (r.result) {
    case 'adopted': return `adopted ${at} (${r.tag.moved ? 'tag moved' : 'tag already there'})`
    case 'already-adopted': return `already adopted: ${at}`
    case 'planned': return `dry run: nothing written to ${r.destination.reference}`
    case 'vet-failed': return `NOT ADOPTED: ${r.source.reference} fails policy ${r.vet.policy}; nothing written to the destination`
    case 'not-proven': return `NOT PROVEN: ${at} was copied but the destination does not prove it; tag not moved`
  }
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? []
  const pad = (cell: string, c: number, last: boolean) => (last ? cell : cell.padEnd(widths[c] ?? 0))
  return rows.map((r) => r.map((cell, c) => pad(cell, c, c === r.length - 1)).join('  ').trimEnd())
}
