import test from 'ava'
import {auditHost, type HostReport} from '../../src/host/audit.js'
import {loadPolicy} from '../../src/policy/load.js'
import {debianMinbase, debianWith} from '../support/distro-images.js'

// Real Debian roots (debootstrap minbase, then apt-get in a chroot), shared with test/checks/realistic-images.
const packageIds = (r: HostReport) => r.findings.filter((f) => f.id.startsWith('host.package.')).map((f) => f.id).sort()

async function audit(root: string) {
  return auditHost({root, policy: await loadPolicy('default')})
}

test('a debootstrap minbase is a minimal host: every package it has is base system, nothing listens', async (t) => {
  const {report} = await audit((await debianMinbase()).rootfs)
  t.is(report.sources.filesystem.status, 'used')
  t.true((report.sources.filesystem.packages ?? 0) > 50, `packages read: ${report.sources.filesystem.packages}`)
  t.deepEqual(packageIds(report), [], JSON.stringify(report.findings.map((f) => f.evidence)))
  // No engine was given: its checks are listed as not checked, never passed.
  t.true(report.notChecked.some((n) => n.source === 'engine' && n.check === 'containers'))
})

test('the same root with a web server installed breaks the minimal-host rule; other extras are listed once', async (t) => {
  const {report, exitCode} = await audit((await debianWith(['lighttpd'])).rootfs)
  const server = report.findings.filter((f) => f.id === 'host.package.server')
  t.deepEqual(server.map((f) => [f.severity, f.rule]), [['high', 'minimal-host']])
  t.regex(server[0]!.evidence, /lighttpd/)
  t.is(exitCode, 1)
  const apps = await audit((await debianWith(['python3-boto3', 'ansible-core', 'npm'])).rootfs)
  const extra = apps.report.findings.find((f) => f.id === 'host.package.extra')
  t.truthy(extra, JSON.stringify(packageIds(apps.report)))
  t.regex(extra!.evidence, /ansible-core/)
  t.false(apps.report.findings.some((f) => f.id === 'host.package.server'))
})
