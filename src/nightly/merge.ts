import {exitFor, ImgvetError} from '../errors.js'
import {SCHEMA_VERSION} from '../report/json.js'
import {isObject} from '../json.js'
import type {Changes, RunReport} from './types.js'

/** Check the shape a merge relies on; a file that is not a registry scan report is bad input, not a crash. */
export function parseRunReport(text: string, where: string): RunReport {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new ImgvetError('bad-input', `not JSON: ${(e as Error).message}`, where)
  }
  if (!isObject(json) || !isObject(json.run) || !Array.isArray(json.images) || !Array.isArray(json.errors) || !isObject(json.changes) || !isObject(json.stats)) {
    throw new ImgvetError('bad-input', 'not an imgvet registry scan JSON report (needs run, images, errors, changes, stats)', where)
  }
  const c = json.changes
  for (const k of ['newFindings', 'fixedFindings', 'newImages', 'removedImages']) {
    if (!Array.isArray(c[k])) throw new ImgvetError('bad-input', `changes.${k} is not a list`, where)
  }
  for (const [i, img] of json.images.entries()) {
    if (!isObject(img) || typeof img.repository !== 'string' || typeof img.digest !== 'string' || typeof img.platform !== 'string' || !Array.isArray(img.findings) || !Array.isArray(img.layers)) {
      throw new ImgvetError('bad-input', `images[${i}] lacks repository, digest, platform, findings or layers`, where)
    }
  }
  if (typeof json.run.registry !== 'string') throw new ImgvetError('bad-input', 'run.registry missing', where)
  // Version N+1 may have changed what a field means: merging it as N would count it wrong.
  if (typeof json.schemaVersion === 'number' && json.schemaVersion > SCHEMA_VERSION) {
    throw new ImgvetError('bad-input', `report schemaVersion ${json.schemaVersion} is newer than this imgvet reads (${SCHEMA_VERSION})`, where)
  }
  return json as unknown as RunReport
}

interface ShardInput {
  file: string
  report: RunReport
}

/** The shards a report covers: `i/N`, a merged partial report's `i/N,j/N`, and a whole run's implied `0/1`. */
function shardsOf(r: RunReport, file: string): Array<{index: number; count: number}> {
  if (!r.run.shard) return [{index: 0, count: 1}]
  return r.run.shard.split(',').map((s) => {
    const m = /^(\d{1,4})\/(\d{1,4})$/.exec(s)
    const index = Number(m?.[1])
    const count = Number(m?.[2])
    if (!m || !(index < count)) throw new ImgvetError('bad-input', `run.shard is not i/N: ${s}`, file)
    return {index, count}
  })
}

/**
 * A lost CI artifact must not become a green night: refuse (exit 3) unless the reports are exactly the N shards
 * of one registry judged by one policy. `allowPartial` accepts missing and repeated shards (the merge then says
 * which are missing); reports of different registries, policies or shard counts never make one report.
 * Returns the missing shards.
 */
export function checkShardSet(inputs: readonly ShardInput[], allowPartial = false): string[] {
  if (!inputs.length) throw new ImgvetError('usage', 'nothing to merge')
  const differ = (what: string, items: ReadonlyArray<{key: string; file: string}>) => {
    const seen = new Map<string, string>()
    for (const {key, file} of items) if (!seen.has(key)) seen.set(key, file)
    if (seen.size < 2) return
    throw new ImgvetError('inconsistent', `shards of different ${what}: ${[...seen].map(([k, f]) => `${k} (${f})`).join(', ')}`)
  }
  differ('registries', inputs.map(({file, report}) => ({key: report.run.registry, file})))
  if (inputs.length > 1) {
    const old = inputs.find((i) => typeof i.report.run.policyHash !== 'string')
    if (old) throw new ImgvetError('inconsistent', 'no run.policyHash (written by an older imgvet): rerun that shard', old.file)
    differ('policies', inputs.map(({file, report}) => ({key: `${report.run.policy} ${report.run.policyHash}`, file})))
  }
  const shards = inputs.flatMap(({file, report}) => shardsOf(report, file).map((s) => ({...s, file})))
  differ('N', shards.map((s) => ({key: `N=${s.count}`, file: s.file})))
  const count = shards[0]?.count ?? 1
  const byIndex = new Map<number, string[]>()
  for (const s of shards) byIndex.set(s.index, [...(byIndex.get(s.index) ?? []), s.file])
  const repeated = [...byIndex].find(([, files]) => files.length > 1)
  if (repeated && !allowPartial) {
    const [index, files] = repeated
    throw new ImgvetError('incomplete', `shard ${index}/${count} given twice (${files.join(', ')}): give each shard once`)
  }
  const missing = Array.from({length: count}, (_, i) => i).filter((i) => !byIndex.has(i)).map((i) => `${i}/${count}`)
  if (missing.length && !allowPartial) {
    const have = [...byIndex.keys()].sort((a, b) => a - b).map((i) => `${i}/${count}`).join(', ')
    const them = missing.length > 1 ? 'them' : 'it'
    throw new ImgvetError('incomplete',
      `missing shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (have ${have}): rerun ${them} or pass --allow-partial`)
  }
  return missing
}

/**
 * Join shard reports into the report one unsharded run would have written. Images, errors and changes are
 * disjoint across shards (a repository lives in exactly one), duplicates are dropped anyway so merging a file
 * twice is harmless. Unique layers are recounted from the images; scan counters add up; `seconds` is the longest
 * shard's, the wall time of jobs run in parallel.
 */
export function mergeReports(reports: RunReport[], missingShards: readonly string[] = []): RunReport {
  const first = reports[0]
  if (!first) throw new ImgvetError('usage', 'nothing to merge')
  const registries = new Set(reports.map((r) => r.run.registry))
  if (registries.size > 1) throw new ImgvetError('bad-input', `reports are from different registries: ${[...registries].join(', ')}`)
  const uniq = <T>(items: T[], key: (t: T) => string): T[] => {
    const seen = new Set<string>()
    return items.filter((t) => (seen.has(key(t)) ? false : (seen.add(key(t)), true)))
  }
  const images = uniq(reports.flatMap((r) => r.images), (i) => `${i.repository}@${i.digest}|${i.platform}`)
    .sort((a, b) => a.repository.localeCompare(b.repository) || (a.tags[0] ?? '').localeCompare(b.tags[0] ?? '') || a.platform.localeCompare(b.platform) || a.digest.localeCompare(b.digest))
  const errors = uniq(reports.flatMap((r) => r.errors), (e) => JSON.stringify([e.repository, e.tag, e.digest, e.platform, e.reason]))
    .sort((a, b) => a.repository.localeCompare(b.repository) || (a.tag ?? '').localeCompare(b.tag ?? '') || (a.digest ?? '').localeCompare(b.digest ?? ''))
  const fc = (k: 'newFindings' | 'fixedFindings') =>
    uniq(reports.flatMap((r) => r.changes[k]), (c) => `${c.repository}|${c.platform}|${c.fingerprint}`).sort((a, b) => a.repository.localeCompare(b.repository) || a.platform.localeCompare(b.platform) || a.fingerprint.localeCompare(b.fingerprint))
  const ic = (k: 'newImages' | 'removedImages') =>
    uniq(reports.flatMap((r) => r.changes[k]), (c) => `${c.repository}@${c.digest}|${c.platform}`).sort((a, b) => a.repository.localeCompare(b.repository) || a.platform.localeCompare(b.platform) || a.digest.localeCompare(b.digest))
  const sinces = reports.map((r) => r.changes.since).filter((s): s is string => typeof s === 'string').sort()
  const changes: Changes = {since: sinces[0] ?? null, newFindings: fc('newFindings'), fixedFindings: fc('fixedFindings'), newImages: ic('newImages'), removedImages: ic('removedImages')}
  const shards = [...new Set(reports.flatMap((r) => r.run.shard?.split(',') ?? []))].sort()
  const counts = new Set(shards.map((s) => s.split('/')[1]))
  const complete = missingShards.length === 0 && counts.size === 1 && shards.length === Number([...counts][0])
  const sum = (k: 'layersScanned' | 'layersFromCache' | 'imagesReused' | 'bytesDownloaded') => reports.reduce((n, r) => n + (Number(r.stats[k]) || 0), 0)
  return {
    run: {
      started: reports.map((r) => r.run.started).sort()[0] ?? first.run.started,
      finished: reports.map((r) => r.run.finished).sort().at(-1) ?? first.run.finished,
      registry: first.run.registry,
      policy: [...new Set(reports.map((r) => r.run.policy))].join(', '),
      // All N shards present: the merge is the whole registry, as an unsharded run would be.
      shard: complete || shards.length === 0 ? null : shards.join(','),
      resumed: reports.some((r) => r.run.resumed),
      interrupted: reports.some((r) => r.run.interrupted),
      ...(first.run.policyHash ? {policyHash: first.run.policyHash} : {}),
      ...(missingShards.length ? {partial: true, missingShards: [...missingShards]} : {}),
    },
    images,
    errors,
    changes,
    stats: {
      images: images.length,
      uniqueLayers: new Set(images.flatMap((i) => i.layers)).size,
      layersScanned: sum('layersScanned'),
      layersFromCache: sum('layersFromCache'),
      imagesReused: sum('imagesReused'),
      bytesDownloaded: sum('bytesDownloaded'),
      seconds: Math.max(...reports.map((r) => Number(r.stats.seconds) || 0)),
    },
  }
}

/** 3 if anything could not be scanned (or the run was cut short), else 1 if any image fails, else 0. */
export function exitCodeFor(r: RunReport): number {
  return exitFor({pass: !r.images.some((i) => i.verdict === 'fail'), incomplete: r.errors.length > 0 || r.run.interrupted})
}
