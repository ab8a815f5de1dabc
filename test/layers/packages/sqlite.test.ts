import test from 'ava'
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {PackageDbs} from '../../../src/layers/package-db.js'
import {readTable} from '../../../src/layers/packages/sqlite.js'
import {rpmRoot} from '../../support/rpm-root.js'
import {makeTempDir, removeDir} from '../../support/tmp.js'

let db = Buffer.alloc(0)
let root = 0
let pageSize = 0
let packages = 0

test.before(() => {
  const dir = makeTempDir('imgvet-sqlite')
  try {
    const files = (n: number) => Object.fromEntries(Array.from({length: 300}, (_, i) => [`/opt/p${n}/f${i}`, `${i}\n`]))
    const r = rpmRoot(dir, Array.from({length: 12}, (_, n) => ({name: `p${n}`, version: '1', release: '1', files: files(n)})))
    const file = join(r, 'var/lib/rpm/rpmdb.sqlite')
    db = readFileSync(file)
    // From sqlite3 itself, not from the reader under test.
    root = Number(execFileSync('sqlite3', [file, "select rootpage from sqlite_master where name = 'Packages'"]).toString())
    packages = Number(execFileSync('sqlite3', [file, 'select count(*) from Packages']).toString())
  } finally {
    removeDir(dir)
  }
  pageSize = db.readUInt16BE(16)
})

test('the Packages table of a database rpm wrote: every row, each blob as sqlite3 stores it', (t) => {
  const table = readTable(db, 'Packages')
  t.true(table?.whole)
  t.is(table?.rows.length, packages)
  t.is(db[(root - 1) * pageSize], 0x05, 'the table needs an interior page, so the walk is tested')
  t.true(table?.rows.every((r) => Buffer.isBuffer(r[1]) && r[1].length > pageSize), 'every blob spills into overflow pages')
  t.is(readTable(db, 'NoSuchTable'), undefined)
  t.is(readTable(Buffer.from('not a database'.repeat(100)), 'Packages'), undefined)
})

test('a cut or looping database yields fewer rows, never an exception or a hang', (t) => {
  const half = readTable(db.subarray(0, Math.floor(db.length / 2)), 'Packages')
  t.true((half?.rows.length ?? 0) < packages)
  t.false(half?.whole ?? false)
  const loop = Buffer.from(db)
  // The root's right-most child pointer now names the root itself.
  loop.writeUInt32BE(root, (root - 1) * pageSize + 8)
  const looped = readTable(loop, 'Packages')
  t.false(looped?.whole)
  t.true((looped?.rows.length ?? 0) < packages)
})

test('random damage anywhere in the file (pages, cells, rpm headers) never throws', (t) => {
  let seed = 7
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  for (let i = 0; i < 300; i++) {
    const bad = Buffer.from(db)
    for (let k = 0; k < 32; k++) bad[rand(bad.length)] = rand(256)
    t.notThrows(() => {
      const dbs = new PackageDbs()
      dbs.add('/var/lib/rpm/rpmdb.sqlite', bad)
      dbs.resolve(new Set(['/opt/p1/f1', '/opt/p7/f200']))
    })
  }
})
