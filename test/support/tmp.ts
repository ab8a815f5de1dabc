import {mkdtempSync, mkdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/**
 * All test temp files live under one root so `npm test` can remove everything with one rm, even after a crash.
 * test/run.sh sets IMGVET_TEST_TMP; by hand we fall back to the system temp dir.
 */
export function testTmpRoot(): string {
  const root = process.env['IMGVET_TEST_TMP'] ?? tmpdir()
  mkdirSync(root, {recursive: true})
  return root
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(testTmpRoot(), `${prefix}-`))
}

export function removeDir(dir: string): void {
  rmSync(dir, {recursive: true, force: true, maxRetries: 3})
}
