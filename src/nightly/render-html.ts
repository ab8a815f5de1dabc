import {SEVERITIES, severityRank, type Finding, type Severity} from '../findings/finding.js'
import {formatBytes} from '../report/progress.js'
import type {FindingChange, ImageChange, ImageResult, RunReport} from './types.js'

/** Everything that reaches the page goes through here: findings carry image paths and evidence from the image. */
function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c] ?? c)
}

const COLORS: Record<Severity, string> = {critical: '#7b1fa2', high: '#c62828', medium: '#ef6c00', low: '#f9a825', info: '#607d8b'}

function countBy<T>(items: readonly T[], key: (t: T) => string): Array<[string, number]> {
  const m = new Map<string, number>()
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1)
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
}

function barChart(counts: Record<Severity, number>): string {
  const max = Math.max(1, ...SEVERITIES.map((s) => counts[s]))
  const bar = 28
  const width = 420
  const rows = SEVERITIES.map((s, i) => {
    const w = Math.round((counts[s] / max) * (width - 150))
    const y = i * (bar + 8)
    return `<g><text x="0" y="${y + 19}">${s}</text><rect x="80" y="${y}" width="${w}" height="${bar}" fill="${COLORS[s]}" data-severity="${s}"><title>${s}: ${counts[s]}</title></rect><text x="${86 + w}" y="${y + 19}">${counts[s]}</text></g>`
  }).join('')
  return `<svg id="severity-chart" role="img" aria-label="findings by severity" width="${width}" height="${SEVERITIES.length * (bar + 8)}" viewBox="0 0 ${width} ${SEVERITIES.length * (bar + 8)}">${rows}</svg>`
}

function table(id: string, head: Array<[string, 'text' | 'num']>, rows: string[][], sortKeys?: Array<Array<string | number | null>>): string {
  const th = head.map(([h, type], i) => `<th data-col="${i}" data-type="${type}" tabindex="0">${esc(h)}</th>`).join('')
  const body = rows.map((r, ri) => `<tr>${r.map((cell, ci) => {
    const k = sortKeys?.[ri]?.[ci]
    return `<td${k !== undefined && k !== null ? ` data-sort="${esc(k)}"` : ''}>${cell}</td>`
  }).join('')}</tr>`).join('\n')
  return `<table id="${id}" class="sortable"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`
}

/** Critical first; within a severity, by where it is, so the same report always reads the same. */
function worstFirst<T extends {repository: string; platform: string}>(items: readonly T[], sev: (t: T) => Severity, rest: (t: T) => string): T[] {
  return [...items].sort((a, b) => severityRank(sev(b)) - severityRank(sev(a)) || a.repository.localeCompare(b.repository)
    || a.platform.localeCompare(b.platform) || rest(a).localeCompare(rest(b)))
}

interface TagMove {
  repository: string
  platform: string
  tag: string
  from: string
  to: string
}

/**
 * A tag that now points at another digest shows up in the run's changes as one image removed and one added.
 * Read as such, a page counts two images for one move; shown as "tag moved old → new", it counts one, and the
 * new and removed lists keep only the images that really came or went.
 */
function tagMoves(newImages: readonly ImageChange[], removedImages: readonly ImageChange[]): {
  moves: TagMove[]; added: ImageChange[]; removed: ImageChange[]
} {
  const moves: TagMove[] = []
  const movedTo = new Set<ImageChange>()
  const movedFrom = new Set<ImageChange>()
  for (const old of removedImages) {
    for (const now of newImages) {
      if (now.repository !== old.repository || now.platform !== old.platform) continue
      for (const tag of old.tags.filter((t) => now.tags.includes(t))) {
        moves.push({repository: now.repository, platform: now.platform, tag, from: old.digest, to: now.digest})
        movedTo.add(now)
        movedFrom.add(old)
      }
    }
  }
  moves.sort((a, b) => a.repository.localeCompare(b.repository) || a.tag.localeCompare(b.tag) || a.platform.localeCompare(b.platform))
  return {moves, added: newImages.filter((i) => !movedTo.has(i)), removed: removedImages.filter((i) => !movedFrom.has(i))}
}

function moveList(moves: readonly TagMove[]): string {
  if (!moves.length) return '<h3>Tags moved: 0</h3>'
  const short = (d: string) => `<code title="${esc(d)}">${esc(d.slice(0, 19))}</code>`
  return `<h3>Tags moved: <span id="moved-tags-count">${moves.length}</span></h3><ul id="moved-tags">${moves.map((m) =>
    `<li>${esc(m.repository)}:${esc(m.tag)} <small>${esc(m.platform)}</small> tag moved ${short(m.from)} \u2192 ${short(m.to)}</li>`).join('')}</ul>`
}

function changeList(title: string, id: string, unsorted: FindingChange[]): string {
  if (!unsorted.length) return `<h3>${title}: 0</h3>`
  const items = worstFirst(unsorted, (c) => c.severity, (c) => `${c.id}\0${c.path ?? ''}`)
  return `<h3>${title}: <span id="${id}-count">${items.length}</span></h3>` + table(id, [['severity', 'text'], ['repository', 'text'], ['platform', 'text'], ['finding', 'text'], ['path', 'text'], ['evidence', 'text']],
    items.map((c) => [`<span class="sev ${c.severity}">${c.severity}</span>`, esc(c.repository), esc(c.platform), esc(c.title), esc(c.path ?? ''), `<code>${esc(c.evidence)}</code>`]),
    items.map((c) => [severityRank(c.severity), null, null, null, null, null]))
}

function imageList(title: string, id: string, items: ImageChange[]): string {
  if (!items.length) return `<h3>${title}: 0</h3>`
  return `<h3>${title}: <span id="${id}-count">${items.length}</span></h3><ul id="${id}">${items.map((i) => `<li>${esc(i.repository)}${i.tags.length ? `:${esc(i.tags.join(', '))}` : ''} <small>${esc(i.platform)} ${esc(i.digest.slice(0, 19))}</small></li>`).join('')}</ul>`
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.5em}table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3;cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}code{font-size:12px;word-break:break-all}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:7em}.card b{display:block;font-size:1.6em}
.sev{color:#fff;border-radius:3px;padding:0 4px}.critical{background:#7b1fa2}.high{background:#c62828}.medium{background:#ef6c00}.low{background:#f9a825}.info{background:#607d8b}
.pass{color:#2e7d32;font-weight:600}.fail{color:#c62828;font-weight:600}.grid{display:flex;gap:2em;flex-wrap:wrap}svg text{font:12px sans-serif}`

// Sorting: numbers (data-sort or cell text) numerically, everything else as text; a second click reverses.
const JS = `document.querySelectorAll('table.sortable').forEach(function(t){
t.querySelectorAll('th').forEach(function(th){
function go(){var col=+th.dataset.col,num=th.dataset.type==='num',dir=th.getAttribute('aria-sort')==='ascending'?-1:1;
t.querySelectorAll('th').forEach(function(o){o.removeAttribute('aria-sort')});th.setAttribute('aria-sort',dir===1?'ascending':'descending');
var tb=t.tBodies[0],rows=Array.prototype.slice.call(tb.rows);
function key(r){var c=r.cells[col];if(!c)return '';var v=c.dataset.sort!==undefined?c.dataset.sort:c.textContent;return num?parseFloat(v)||0:v.toLowerCase()}
rows.sort(function(a,b){var x=key(a),y=key(b);return (x<y?-1:x>y?1:0)*dir});rows.forEach(function(r){tb.appendChild(r)})}
th.addEventListener('click',go);th.addEventListener('keydown',function(e){if(e.key==='Enter')go()})})});`

/** One file, no external assets: CSS, JS and the chart are inline, so it opens from a CI artifact as is. */
export function renderRegistryHtml(r: RunReport): string {
  const rows = r.images.flatMap((img) => img.findings.map((f) => ({img, f, repository: img.repository, platform: img.platform})))
  const findings: Array<{img: ImageResult; f: Finding}> = worstFirst(rows, (x) => x.f.severity, (x) => `${x.f.id}\0${x.f.path ?? ''}`)
  const newFps = new Set(r.changes.newFindings.map((c) => `${c.repository}|${c.platform}|${c.fingerprint}`))
  const bySeverity: Record<Severity, number> = {critical: 0, high: 0, medium: 0, low: 0, info: 0}
  for (const {f} of findings) bySeverity[f.severity]++
  const failing = r.images.filter((i) => i.verdict === 'fail').length
  const repos = [...new Set([...r.images.map((i) => i.repository), ...r.errors.map((e) => e.repository)])].sort()
  const card = (id: string, label: string, n: number) => `<div class="card"><b id="${id}">${n}</b>${label}</div>`
  const sevTable = table('by-severity', [['severity', 'text'], ['findings', 'num']], SEVERITIES.map((s) => [`<span class="sev ${s}">${s}</span>`, String(bySeverity[s])]), SEVERITIES.map((s) => [severityRank(s), null]))
  const catTable = table('by-category', [['category', 'text'], ['findings', 'num']], countBy(findings, (x) => x.f.category).map(([c, n]) => [esc(c), String(n)]))
  const repoTable = table('by-repository', [['repository', 'text'], ['images', 'num'], ['failing', 'num'], ['findings', 'num'], ['errors', 'num']], repos.map((repo) => {
    const imgs = r.images.filter((i) => i.repository === repo)
    return [esc(repo), String(imgs.length), String(imgs.filter((i) => i.verdict === 'fail').length), String(imgs.reduce((n, i) => n + i.findings.length, 0)), String(r.errors.filter((e) => e.repository === repo).length)]
  }))
  const sevCount = (img: (typeof r.images)[number], s: Severity) => String(img.findings.filter((f) => f.severity === s).length)
  // Every severity has its column, so the columns of a row add up to its findings count.
  const imagesTable = table('images', [['repository', 'text'], ['tags', 'text'], ['platform', 'text'], ['verdict', 'text'], ...SEVERITIES.map((s): [string, 'num'] => [s, 'num']), ['findings', 'num'], ['digest', 'text']],
    r.images.map((i) => [esc(i.repository), esc(i.tags.join(', ')), esc(i.platform), `<span class="${i.verdict}">${i.verdict}</span>`, ...SEVERITIES.map((s) => sevCount(i, s)), String(i.findings.length), `<code title="${esc(i.digest)}">${esc(i.digest.slice(0, 19))}</code>`]))
  const findingsTable = table('findings', [['severity', 'text'], ['repository', 'text'], ['platform', 'text'], ['category', 'text'], ['rule', 'text'], ['finding', 'text'], ['path', 'text'], ['evidence', 'text'], ['new', 'text']],
    findings.map(({img, f}) => [`<span class="sev ${f.severity}">${f.severity}</span>`, esc(img.repository), esc(img.platform), esc(f.category), esc(f.id), esc(f.title), esc(f.path ?? ''), `<code>${esc(f.evidence)}</code>`, newFps.has(`${img.repository}|${img.platform}|${f.fingerprint}`) ? 'new' : '']),
    findings.map(({f}) => [severityRank(f.severity), null, null, null, null, null, null, null, null]))
  const errorsHtml = r.errors.length
    ? table('errors', [['repository', 'text'], ['tag', 'text'], ['platform', 'text'], ['reason', 'text']], r.errors.map((e) => [esc(e.repository), esc(e.tag ?? ''), esc(e.platform ?? ''), esc(e.reason)]))
    : '<p id="errors">none</p>'
  const moved = tagMoves(r.changes.newImages, r.changes.removedImages)
  const changesHtml = r.changes.since === null
    ? '<p id="no-baseline">First recorded run: nothing to compare with yet.</p>'
    : `<p>Compared with the run of ${esc(r.changes.since)}.</p>${changeList('New findings', 'new-findings', r.changes.newFindings)}${changeList('Fixed findings', 'fixed-findings', r.changes.fixedFindings)}${moveList(moved.moves)}${imageList('New images', 'new-images', moved.added)}${imageList('Removed images', 'removed-images', moved.removed)}`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>imgvet registry scan: ${esc(r.run.registry)}</title><style>${CSS}</style></head>
<body>
<h1>imgvet registry scan: ${esc(r.run.registry)}</h1>
<p>Policy <b>${esc(r.run.policy)}</b>${r.run.shard ? `, shard ${esc(r.run.shard)}` : ''}; ${esc(r.run.started)} to ${esc(r.run.finished)}${r.run.interrupted ? ' <b class="fail">(interrupted: resume with --resume)</b>' : ''}${r.run.partial ? ` <b class="fail" id="partial">(partial: shards ${esc((r.run.missingShards ?? []).join(', '))} missing, not the whole registry)</b>` : ''}.
${r.stats.images} images, ${r.stats.uniqueLayers} unique layers (${r.stats.layersScanned} scanned, ${r.stats.layersFromCache} from cache, ${r.stats.imagesReused} images unchanged since last run), <span id="downloaded" title="${r.stats.bytesDownloaded} bytes">${esc(formatBytes(r.stats.bytesDownloaded))}</span> downloaded in ${r.stats.seconds.toFixed(1)} s.</p>
<div class="cards">${card('count-images', 'images', r.images.length)}${card('count-pass', 'pass', r.images.length - failing)}${card('count-fail', 'fail', failing)}${card('count-errors', 'could not scan', r.errors.length)}${card('count-findings', 'findings', findings.length)}${card('count-new', 'new since last run', r.changes.newFindings.length)}</div>
<h2>Findings by severity</h2><div class="grid">${sevTable}${barChart(bySeverity)}</div>
<div class="grid"><div><h2>By category</h2>${catTable}</div><div><h2>By repository</h2>${repoTable}</div></div>
<h2>New since last run</h2><section id="changes">${changesHtml}</section>
<h2>Could not scan</h2>${errorsHtml}
<h2>Images</h2>${imagesTable}
<h2>Findings</h2><p>Evidence is redacted: secrets are never shown whole.</p>${findingsTable}
<script>${JS}</script>
</body></html>
`
}
