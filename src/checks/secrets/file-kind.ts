import {basename} from './util.js'

/**
 * What a file is, which decides what the right-hand side of `key = value` means: in source code a bare word is an
 * expression (`credential = New-Object …`), in a config file it is the value itself.
 */
export type FileKind = 'source' | 'shell' | 'env' | 'config' | 'docs' | 'other'

const SOURCE_EXT = new Set([
  'js', 'mjs', 'cjs', 'jsx', 'ts', 'mts', 'cts', 'tsx', 'py', 'pyi', 'pyw', 'rb', 'go', 'java', 'kt', 'kts', 'scala',
  'groovy', 'gradle', 'ps1', 'psm1', 'psd1', 'php', 'cs', 'vb', 'fs', 'c', 'h', 'cc', 'cpp', 'cxx', 'hpp', 'hh', 'm',
  'mm', 'rs', 'swift', 'pl', 'pm', 'lua', 'r', 'dart', 'ex', 'exs', 'erl', 'clj', 'cls', 'vue', 'svelte', 'coffee',
  'jl', 'nim', 'zig', 'tcl', 'el', 'lisp', 'scm', 'hs', 'ml', 'sql',
  // Pages carry their scripts inline; `password = form.value` there is code too.
  'html', 'htm', 'xhtml', 'jsp', 'erb', 'ejs', 'hbs',
])
const SHELL_EXT = new Set(['sh', 'bash', 'zsh', 'ksh', 'fish', 'bat', 'cmd', 'mk'])
const CONFIG_EXT = new Set([
  'properties', 'ini', 'cfg', 'conf', 'cnf', 'toml', 'yaml', 'yml', 'json', 'json5', 'jsonc', 'xml', 'config', 'tf',
  'tfvars', 'hcl', 'plist', 'reg', 'inf', 'settings', 'env', 'rc', 'tpl', 'j2', 'service', 'container',
  'npmrc', 'yarnrc', 'pypirc', 'gemrc', 'pgpass', 'my', 'kdbx', 'secret', 'secrets', 'credentials', 'cred', 'txt',
])
const DOC_EXT = new Set(['md', 'markdown', 'rst', 'adoc', 'asciidoc', 'tex', 'texi', 'pod',
  'rdoc', 'textile', 'org', 'man', 'ipynb'])
const SHELL_NAMES = new Set(['Dockerfile', 'Containerfile', 'Makefile', 'GNUmakefile', 'Jenkinsfile', 'Vagrantfile',
  'Procfile', '.bashrc', '.profile', '.bash_profile', '.zshrc', 'profile', 'environment'])

export function fileKind(path: string): FileKind {
  const b = basename(path)
  if (/^\.env(\.|$)|\.env$/.test(b)) return 'env'
  if (SHELL_NAMES.has(b) || /^Dockerfile\.|\.dockerfile$/i.test(b)) return 'shell'
  const dot = b.lastIndexOf('.')
  const ext = dot > 0 ? b.slice(dot + 1).toLowerCase() : ''
  if (SOURCE_EXT.has(ext)) return 'source'
  if (SHELL_EXT.has(ext)) return 'shell'
  if (DOC_EXT.has(ext) || /^\d$/.test(ext) && /\/man\d?\//.test(path)) return 'docs'
  if (CONFIG_EXT.has(ext) || /^\.[a-z]+rc$/.test(b) || path.startsWith('/etc/')) return 'config'
  // Scripts without an extension (/usr/bin/foo, entrypoints) say what they are on their first line.
  return 'other'
}

/** The interpreter line decides for extension-less files: `#!/bin/sh` is shell, `#!/usr/bin/python3` is source. */
export function refineKind(kind: FileKind, text: string): FileKind {
  if (kind !== 'other' || !text.startsWith('#!')) return kind
  const nl = text.indexOf('\n')
  const first = text.slice(0, nl === -1 ? 200 : Math.min(nl, 200))
  if (/\b(ba|z|k|da)?sh\b/.test(first)) return 'shell'
  return 'source'
}

const HEAD = 4096

/**
 * API documentation and example data, recognised by what the text is rather than where it lies: an OpenAPI or
 * Swagger document, botocore-style service models (`operations` + `shapes`) and example files (`examples` keyed by
 * operation), JSON Schema, Markdown and reStructuredText. Vendors' SDKs ship thousands of these; the tokens and
 * passwords in them are sample request parameters, known to everyone who installs the package.
 */
export function docStructure(text: string, path: string, kind: FileKind): string | undefined {
  const head = text.slice(0, HEAD)
  const b = basename(path)
  if (/^\s*\{/.test(head)) {
    if (/"(openapi|swagger)"\s*:\s*"[23]\./.test(head)) return 'OpenAPI/Swagger document'
    if (/"examples"\s*:\s*\{/.test(head) && (/"version"\s*:/.test(head) || /^examples?[-_.]/i.test(b))) {
      return 'API example data'
    }
    if (/"operations"\s*:\s*\{/.test(text) && /"shapes"\s*:\s*\{/.test(text) && /"metadata"\s*:\s*\{/.test(head)) {
      return 'API service model'
    }
    if (/"\$schema"\s*:\s*"[^"]*json-schema/.test(head) && /"properties"\s*:/.test(head)) return 'JSON Schema'
  }
  if (/^(openapi|swagger)\s*:\s*["']?[23]\./m.test(head)) return 'OpenAPI/Swagger document'
  if (kind === 'docs') return 'documentation file'
  // Code and scripts have `# comment` lines and docstrings with fences; only prose files are judged by their look.
  if (kind === 'source' || kind === 'shell' || kind === 'env') return undefined
  if (/^#{1,6} \S/m.test(head) && /^```/m.test(text)) return 'Markdown documentation'
  if (/^\.\. (code-block|code|sourcecode)::/m.test(text)) {
    return 'reStructuredText/AsciiDoc documentation'
  }
  return undefined
}
