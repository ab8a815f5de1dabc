import test from 'ava'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {chromium, type Browser} from 'playwright-core'
import {renderRegistryHtml} from '../../src/nightly/render-html.js'
import type {RunReport} from '../../src/nightly/types.js'
import {githubToken} from '../support/fake-secrets.js'
import {harness, type Harness} from './helpers.js'

let h: Harness
let browser: Browser | undefined
let report: RunReport
const tokens = [githubToken(), githubToken()]

test.before(async () => {
  h = await harness('nightly-html')
  await h.maker.image('web/frontend', 'latest')
  await h.maker.image('web/api', 'v2', {files: [['app/config.env', `GH_TOKEN=${tokens[0]}\nOTHER=${tokens[1]}\n`]]})
  await h.maker.image('tools/root', 'latest', {user: '0'})
  await h.maker.multiArch('base/distro', '12')
  const state = join(h.dir, 'state.jsonl')
  await h.scan({state})
  // Something new since the first run, so the page has a "new since last run" section with rows.
  await h.maker.image('web/frontend', 'latest', {files: [['srv/.git-credentials', `https://ci:${githubToken()}@github.com\n`]]})
  report = await h.scan({state})
  // playwright gives every launch a new empty profile directory of its own (it refuses --user-data-dir here).
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
})

test.after.always(async () => {
  await browser?.close()
  await h?.stop()
})

test('the HTML report shows counts, rows, changes and sorts when a header is clicked', async (t) => {
  const html = renderRegistryHtml(report)
  t.false(/(?:src|href)=["']?(?:https?:)?\/\//i.test(html), 'the page loads an external asset')
  for (const s of tokens) t.false(html.includes(s), 'a secret appears whole')
  const file = join(h.dir, 'report.html')
  writeFileSync(file, html)
  if (!browser) return t.fail('no browser')
  const page = await browser.newPage()
  const external: string[] = []
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) external.push(r.url())
  })
  await page.goto(pathToFileURL(file).href)
  const failing = report.images.filter((i) => i.verdict === 'fail').length
  t.is(await page.textContent('#count-images'), String(report.images.length))
  t.is(report.images.length, 5)
  t.is(await page.textContent('#count-fail'), String(failing))
  t.true(failing >= 2)
  t.is(await page.locator('#images tbody tr').count(), 5)
  const findings = report.images.reduce((n, i) => n + i.findings.length, 0)
  t.is(await page.locator('#findings tbody tr').count(), findings)
  t.is(await page.locator('#severity-chart rect').count(), 5)
  t.is(await page.locator('#by-repository tbody tr').count(), 4)
  // New since last run: the key added to web/frontend.
  t.is(await page.textContent('#new-findings-count'), String(report.changes.newFindings.length))
  t.true(report.changes.newFindings.length >= 1)
  t.regex((await page.textContent('#new-findings')) ?? '', /web\/frontend/)
  // Sort the images table by findings count: descending after two clicks puts the worst image first.
  const col = await page.locator('#images thead th').allTextContents()
  const findingsCol = col.indexOf('findings')
  const repoCol = col.indexOf('repository')
  const header = page.locator('#images thead th', {hasText: /^findings$/})
  await header.click()
  const ascending = (await page.locator(`#images tbody tr td:nth-child(${findingsCol + 1})`).allTextContents()).map(Number)
  t.deepEqual(ascending, [...ascending].sort((a, b) => a - b))
  t.is(await header.getAttribute('aria-sort'), 'ascending')
  await header.click()
  const descending = (await page.locator(`#images tbody tr td:nth-child(${findingsCol + 1})`).allTextContents()).map(Number)
  t.deepEqual(descending, [...ascending].sort((a, b) => b - a))
  const worst = [...report.images].sort((a, b) => b.findings.length - a.findings.length)[0]
  t.is(await page.locator(`#images tbody tr:first-child td:nth-child(${repoCol + 1})`).textContent(), worst?.repository ?? '')
  // Text columns sort too.
  await page.locator('#images thead th', {hasText: /^repository$/}).click()
  const repos = await page.locator(`#images tbody tr td:nth-child(${repoCol + 1})`).allTextContents()
  t.deepEqual(repos, [...repos].sort())
  await page.screenshot({path: join(h.dir, 'report.png'), fullPage: true})
  t.deepEqual(external, [])
})

const RANK = ['critical', 'high', 'medium', 'low', 'info']

test('the HTML report lists findings critical first, sizes in KiB/MiB, a moved tag as "tag moved old → new", and counts that agree', async (t) => {
  const file = join(h.dir, 'report-order.html')
  writeFileSync(file, renderRegistryHtml(report))
  if (!browser) return t.fail('no browser')
  const page = await browser.newPage()
  await page.goto(pathToFileURL(file).href)
  // Order as written, before any header is clicked: never a lower severity above a higher one.
  const sevs = await page.locator('#findings tbody tr td:nth-child(1)').allTextContents()
  t.is(sevs.length, report.images.reduce((n, i) => n + i.findings.length, 0))
  const ranks = sevs.map((s) => RANK.indexOf(s))
  t.false(ranks.includes(-1), sevs.join(','))
  t.deepEqual(ranks, [...ranks].sort((a, b) => a - b), sevs.join(','))
  t.true(new Set(sevs).size >= 2, `more than one severity to order: ${sevs.join(',')}`)
  // Bytes as a person reads them; the exact count stays in the tooltip.
  const downloaded = page.locator('#downloaded')
  t.regex((await downloaded.textContent()) ?? '', /^\d+(\.\d)? (B|KiB|MiB|GiB)$/)
  t.is(await downloaded.getAttribute('title'), `${report.stats.bytesDownloaded} bytes`)
  t.false(/\d{5,} bytes downloaded/.test((await page.textContent('body')) ?? ''), 'a raw byte count in the text')
  // web/frontend:latest was pushed again between the runs: one tag moved, not one image removed and one added.
  const before = report.changes.removedImages.find((i) => i.repository === 'web/frontend')
  const after = report.changes.newImages.find((i) => i.repository === 'web/frontend')
  t.truthy(before && after, 'the run recorded the move as a removed and a new image')
  t.is(await page.textContent('#moved-tags-count'), '1')
  const move = (await page.textContent('#moved-tags li')) ?? ''
  t.is(move, `web/frontend:latest linux/amd64 tag moved ${before?.digest.slice(0, 19)} \u2192 ${after?.digest.slice(0, 19)}`)
  const listed = (id: string) => page.evaluate((x) => document.getElementById(x)?.textContent ?? '', id)
  t.false((await listed('new-images')).includes('web/frontend'))
  t.false((await listed('removed-images')).includes('web/frontend'))
  // Each image row: its severity columns add up to its findings column; the columns add up to the card.
  const head = await page.locator('#images thead th').allTextContents()
  let total = 0
  for (const row of await page.locator('#images tbody tr').all()) {
    const cells = (await row.locator('td').allTextContents())
    const perSeverity = RANK.map((s) => Number(cells[head.indexOf(s)]))
    const n = Number(cells[head.indexOf('findings')])
    t.is(perSeverity.reduce((a, b) => a + b, 0), n, `${cells[0]}: ${perSeverity.join('+')} != ${n}`)
    total += n
  }
  t.is(String(total), (await page.textContent('#count-findings')) ?? '')
  const bySeverity = (await page.locator('#by-severity tbody tr td:nth-child(2)').allTextContents()).map(Number)
  t.is(bySeverity.reduce((a, b) => a + b, 0), total)
  const byRepo = await page.locator('#by-repository tbody tr td:nth-child(4)').allTextContents()
  t.is(byRepo.map(Number).reduce((a, b) => a + b, 0), total)
  t.is(Number(await page.textContent('#count-pass')) + Number(await page.textContent('#count-fail')), report.images.length)
})
