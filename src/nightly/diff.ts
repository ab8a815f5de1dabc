import type {Finding} from '../findings/finding.js'
import type {Changes, FindingChange, ImageChange, ImageResult, ScanError} from './types.js'

const imageId = (r: {repository: string; digest: string; platform: string}) => `${r.repository}@${r.digest}|${r.platform}`
const groupId = (r: {repository: string; platform: string}) => `${r.repository}|${r.platform}`

function change(r: ImageResult, f: Finding): FindingChange {
  return {
    repository: r.repository, platform: r.platform, reference: r.reference,
    id: f.id, severity: f.severity, title: f.title, path: f.path, evidence: f.evidence, fingerprint: f.fingerprint,
  }
}

function imageChange(r: ImageResult): ImageChange {
  return {repository: r.repository, digest: r.digest, platform: r.platform, tags: r.tags}
}

function fingerprints(images: readonly ImageResult[]): Map<string, Map<string, FindingChange>> {
  const out = new Map<string, Map<string, FindingChange>>()
  for (const r of images) {
    const g = out.get(groupId(r)) ?? new Map<string, FindingChange>()
    for (const f of r.findings) if (!g.has(f.fingerprint)) g.set(f.fingerprint, change(r, f))
    out.set(groupId(r), g)
  }
  return out
}

/**
 * What changed since the baseline. Findings are compared by fingerprint per repository + platform, so a rebuilt
 * `latest` that still carries the same key is not "new". A repository with any error this run is left out of
 * "removed" and "fixed": an image we could not read has not been fixed. Findings of a repository+platform that is
 * gone entirely are reported as a removed image, not as fixed findings.
 */
export function computeChanges(baseline: {started: string; images: readonly ImageResult[]} | null, current: readonly ImageResult[], errors: readonly ScanError[]): Changes {
  if (!baseline) return {since: null, newFindings: [], fixedFindings: [], newImages: [], removedImages: []}
  const failed = new Set(errors.map((e) => e.repository))
  const before = new Map(baseline.images.map((r) => [imageId(r), r]))
  const now = new Map(current.map((r) => [imageId(r), r]))
  const newImages = [...now.entries()].filter(([k]) => !before.has(k)).map(([, r]) => imageChange(r))
  const removedImages = [...before.entries()].filter(([k, r]) => !now.has(k) && !failed.has(r.repository)).map(([, r]) => imageChange(r))
  const fpBefore = fingerprints(baseline.images)
  const fpNow = fingerprints(current)
  const newFindings: FindingChange[] = []
  const fixedFindings: FindingChange[] = []
  for (const [g, fps] of fpNow) {
    const old = fpBefore.get(g)
    for (const [fp, c] of fps) if (!old?.has(fp)) newFindings.push(c)
  }
  for (const [g, fps] of fpBefore) {
    const cur = fpNow.get(g)
    const repo = g.slice(0, g.lastIndexOf('|'))
    if (!cur || failed.has(repo)) continue
    for (const [fp, c] of fps) if (!cur.has(fp)) fixedFindings.push(c)
  }
  const order = (a: FindingChange, b: FindingChange) =>
    a.repository.localeCompare(b.repository) || a.platform.localeCompare(b.platform) || a.fingerprint.localeCompare(b.fingerprint)
  const imgOrder = (a: ImageChange, b: ImageChange) => a.repository.localeCompare(b.repository) || a.platform.localeCompare(b.platform) || a.digest.localeCompare(b.digest)
  return {
    since: baseline.started,
    newFindings: newFindings.sort(order),
    fixedFindings: fixedFindings.sort(order),
    newImages: newImages.sort(imgOrder),
    removedImages: removedImages.sort(imgOrder),
  }
}
