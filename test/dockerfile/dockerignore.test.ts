import test from 'ava'
import {compilePattern, goClean, IgnoreMatcher, parseIgnoreFile, segmentGlob} from '../../src/dockerfile/dockerignore.js'
import {isImgvetError} from '../../src/errors.js'

const matcher = (...lines: string[]) => new IgnoreMatcher(parseIgnoreFile(lines.join('\n')))

/**
 * Single patterns, with the expected outcome for a walk from the context root (a pattern matching a parent
 * directory excludes the path too). Most rows come from moby/patternmatcher's own table, so a drift from docker's
 * behaviour shows up here rather than as a missed leak.
 */
const SINGLE: Array<[string, string, boolean]> = [
  ['**', 'file', true],
  ['**', 'dir/file', true],
  ['**/**', 'dir/file', true],
  ['dir/**', 'dir/file', true],
  ['dir/**', 'dir/dir2/file', true],
  ['abc/**', 'abc', false],
  ['**/dir', 'dir', true],
  ['**/dir', 'dir/file', true],
  ['**/dir', 'a/b/dir/file', true],
  ['**/dir2/*', 'dir/dir2/file', true],
  ['**/dir2/**', 'dir/dir2/dir3/file', true],
  ['**file', 'dir/file', true],
  ['**/file*.txt', 'dir/dir/file.txt', true],
  ['**/**/*.txt2', 'dir/dir/file.txt', false],
  ['**/*.txt', 'file.txt', true],
  ['a**/*.txt', 'a/dir/dir/file.txt', true],
  ['a/*.txt', 'a/dir/file.txt', false],
  ['a/*.txt', 'a/file.txt', true],
  ['**/.foo', 'bar.foo', false],
  ['**/foo/bar', 'dir/dir2/foo/bar', true],
  // `*` and `?` stay within one segment; a bare name only matches at the root.
  ['*', 'dir/file', true],
  ['*.pem', 'certs/server.pem', false],
  ['*/*.pem', 'certs/server.pem', true],
  ['id_rsa', 'keys/id_rsa', false],
  ['abc?def', 'abcZdef', true],
  ['abc?def', 'abc/def', false],
  ['abc.def', 'abcZdef', false],
  ['a[b-d]e', 'ace', true],
  ['a[b-d]e', 'aae', false],
  ['a[^b-d]e', 'aze', true],
  ['[\\]a]', ']', true],
  ['.*', '.env', true],
  ['.*', 'env', false],
  ['a(b)c/def', 'a(b)c/def', true],
  ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
  ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'axb', false],
  // Leading `/` and `./`, trailing `/`, and `..` are cleaned away before matching.
  ['/secrets', 'secrets/id_rsa', true],
  ['./secrets/', 'secrets/id_rsa', true],
  ['config/../.env', '.env', true],
]

test('ignore patterns: a table of single patterns matches as moby/patternmatcher does', (t) => {
  for (const [pattern, path, want] of SINGLE) t.is(matcher(pattern).excludes(path), want, `${pattern} vs ${path}`)
})

test('ignore patterns: ! exceptions, the last matching line wins, excluded directories exclude what is under them', (t) => {
  const docs = matcher('docs', '!docs/README.md')
  t.false(docs.excludes('docs/README.md'))
  t.true(docs.excludes('docs/other.md'))
  t.true(docs.excludes('docs/deep/nested/file'))
  const md = matcher('*.md', '!README*.md', 'README-secret.md')
  t.false(md.excludes('README.md'))
  t.true(md.excludes('README-secret.md'))
  t.true(md.excludes('CHANGES.md'))
  t.false(matcher('*.md', 'README-secret.md', '!README*.md').excludes('README-secret.md'))
  // An exception before the exclusion it would undo is overridden by it.
  t.true(matcher('!keep', '*').excludes('keep'))
  // Allow-list style: everything out, then one directory back in, with all it holds.
  const allow = matcher('*', '!src')
  t.false(allow.excludes('src/deep/file.ts'))
  t.true(allow.excludes('other'))
  t.true(allow.excludes('other/file'))
  t.false(matcher('**', '!util/docker/web').excludes('util/docker/web/foo'))
  t.true(matcher('**', '!util/docker/web', 'util/docker/web/foo').excludes('util/docker/web/foo'))
  // BuildKit carries per-pattern results down from the parent directory (MatchesUsingParentResults): `!dir` was
  // not in play when `dir` itself was matched, so it does not take `dir/file` back.
  t.true(matcher('dir/file', '!dir').excludes('dir/file'))
  // The deciding line is reported, so a finding can say which exception took a file back.
  const why = matcher('*.pem', '!server.pem').explain('server.pem')
  t.false(why.excluded)
  t.is(why.decidedBy?.text, 'server.pem')
  t.true(why.decidedBy?.exception)
  t.is(why.decidedBy?.line, 2)
})

test('an excluded directory is skipped whole unless a ! line could take something under it back', (t) => {
  t.true(matcher('node_modules').canPrune('node_modules'))
  const m = matcher('node_modules', 'build', '!build/keep.txt', '!src/*.ts')
  t.true(m.canPrune('node_modules'))
  t.false(m.canPrune('build'))
  t.false(m.canPrune('src/gen'))
  t.false(matcher('*', '!**/keep').canPrune('anything'))
})

test('ignore file: comments in column 1, blank lines, BOM, CRLF and spaces around ! are handled as docker reads them', (t) => {
  const ps = parseIgnoreFile('\uFEFF# comment\r\n\r\n  /secrets/  \r\n! /keep/me\r\n  # not a comment\r\n*.pem\n')
  t.deepEqual(ps.map((p) => [p.text, p.exception, p.line]), [['secrets', false, 3], ['keep/me', true, 4], ['# not a comment', false, 5], ['*.pem', false, 6]])
  t.is(goClean('./a//b/../c/'), 'a/c')
  t.is(goClean('/'), '/')
})

test('ignore file: a pattern docker rejects is bad input naming the file and line', (t) => {
  for (const bad of ['[', 'a[', '[^bc', '[]a]', '[x-]', '[-x]', '[a-b-c]', 'x\\', '!']) {
    const e = t.throws(() => parseIgnoreFile(`ok\n${bad}\n`, 'ctx/.dockerignore'), undefined, bad)
    t.true(isImgvetError(e) && e.exitCode === 2, bad)
    t.regex(e?.message ?? '', /pattern|exclusion/, bad)
    t.true(isImgvetError(e) && e.where === 'ctx/.dockerignore:2', bad)
  }
  t.truthy(compilePattern('[\\-x]'))
})

test('COPY source segments match as filepath.Match: wildcards stay in the name, ** is just *', (t) => {
  const pem = segmentGlob('*.pem', 'Dockerfile:1')
  t.true(pem('server.pem'))
  t.false(pem('server.pem.txt'))
  t.true(segmentGlob('a**b', 'x')('axyb'))
  t.true(segmentGlob('id_[rd]sa', 'x')('id_dsa'))
  t.true(segmentGlob('conf?g', 'x')('config'))
  t.true(segmentGlob('a\\*', 'x')('a*'))
  t.false(segmentGlob('a\\*', 'x')('ab'))
})
