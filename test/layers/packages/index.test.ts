import test from 'ava'
import {packageDbBound} from '../../../src/layers/package-db.js'
import {PACKAGE_SOURCES} from '../../../src/layers/packages/index.js'

/** One record file of each source that reads files, as its manager writes it. */
const RECORD_FILES = [
  '/var/lib/dpkg/status', '/var/lib/dpkg/info/libc6:amd64.md5sums', '/var/lib/dpkg/status.d/base-files',
  '/lib/apk/db/installed', '/var/lib/rpm/rpmdb.sqlite', '/usr/lib/sysimage/rpm/rpmdb.sqlite',
  '/usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD', '/root/.m2/repository/org/a/b/1.0/b-1.0.jar.sha1',
  '/app/node_modules/@scope/x/package.json', '/usr/local/bundle/specifications/rack-3.0.8.gemspec',
  '/root/go/pkg/mod/cache/download/golang.org/x/net/@v/v0.19.0.ziphash',
]

test('the name hints let every record file through and keep ordinary files out', (t) => {
  for (const s of PACKAGE_SOURCES) for (const x of s.names.suffixes ?? []) t.true(x.length >= 4, x)
  for (const p of RECORD_FILES) t.true(packageDbBound(p) > 0, p)
  for (const p of ['/usr/share/doc/libc6/copyright', '/app/src/index.js', '/etc/ssl/private/server.key', '/var/lib/rpm/Packages']) {
    t.is(packageDbBound(p), 0, p)
  }
})
