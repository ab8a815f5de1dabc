import type {InspectResult} from '../image/inspect.js'
import {escapeControl} from './escape.js'
import {formatBytes} from './progress.js'
import {SYNTHESISED} from './text.js'

function short(d: string): string {
  return d.length > 19 ? `${d.slice(0, 19)}…` : d
}

export function renderInspectText(r: InspectResult): string {
  const out: string[] = []
  out.push(`Reference:  ${r.reference}`)
  out.push(`Digest:     ${r.digest}${r.digestSynthesised ? ` (${SYNTHESISED})` : ''}`)
  out.push(`MediaType:  ${r.mediaType}`)
  if (r.index) {
    out.push('Platforms:')
    for (const p of r.index.platforms) out.push(`  ${p.attestation ? '(attestation)' : p.platform.padEnd(14)} ${p.digest}`)
  }
  const i = r.image
  if (r.index) out.push(`Image:      ${i.digest} (${i.platform})`)
  else out.push(`Platform:   ${i.platform}`)
  if (i.created) out.push(`Created:    ${i.created}`)
  out.push(`User:       ${i.user || '(none: runs as root)'}`)
  out.push(`Ports:      ${i.exposedPorts.join(', ') || '(none)'}`)
  out.push(`Env:        ${i.envNames.join(', ') || '(none)'}`)
  out.push(`Entrypoint: ${i.entrypoint ? JSON.stringify(i.entrypoint) : '(none)'}`)
  out.push(`Cmd:        ${i.cmd ? JSON.stringify(i.cmd) : '(none)'}`)
  const labels = Object.entries(i.labels)
  out.push(`Labels:     ${labels.length ? '' : '(none)'}`)
  for (const [k, v] of labels) out.push(`  ${k}=${v}`)
  out.push(`Layers:     ${i.layers.length} (${formatBytes(i.totalSize)})`)
  for (const [n, l] of i.layers.entries()) out.push(`  ${String(n).padStart(2)} ${l.digest} ${formatBytes(l.size).padStart(10)} ${l.mediaType}`)
  out.push('History:')
  for (const h of i.history) out.push(`  ${h.emptyLayer ? '(empty) ' : ''}${(h.createdBy ?? '').replace(/\s+/g, ' ').slice(0, 120)}`)
  const sc = r.supplyChain
  out.push('Supply chain:')
  if (!sc) out.push('  (not looked up: local source)')
  else {
    out.push(`  cosign signature:   ${sc.cosignSignatures ? short(sc.cosignSignatures.digest) : 'none'}${sc.signatureRepository ? '' : ''}`)
    out.push(`  cosign attestation: ${sc.cosignAttestations ? short(sc.cosignAttestations.digest) : 'none'}`)
    out.push(`  referrers (${sc.referrersVia}): ${sc.referrers.length ? '' : 'none'}`)
    for (const d of sc.referrers) out.push(`    ${d.artifactType ?? d.mediaType} ${short(d.digest)}`)
    out.push(`  BuildKit attestations: ${sc.buildkitAttestations.length || 'none'}`)
  }
  // Labels, env names, history and platforms come from the image: escaped line by line (no colours here).
  return `${out.map(escapeControl).join('\n')}\n`
}
