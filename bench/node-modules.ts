import {randomBytes} from 'node:crypto'
import {Rng} from './content.js'

/**
 * A node_modules-like tree: many packages of small text files (package.json, README, LICENSE, CommonJS and ESM
 * sources, type declarations, source maps, a minified bundle) and the odd prebuilt binary. The sources use the
 * words real libraries use (`token`, `key`, `auth`, `password` as identifiers, URLs in comments), so the secret
 * rules' pre-filter passes most files and the rules behind it have work to do, as on a real image. No value is a
 * secret: every finding on this image is a false one.
 */
const WORDS = ('parse stringify request response stream buffer encode decode resolve reject emit listen handler plugin ' +
  'config options context cache store lexeme lexer scanner visitor node tree walk ast range source target module ' +
  'loader chunk bundle format print render schema validate value field entry map set list queue timer agent socket').split(' ')

function camel(r: Rng): string {
  const a = r.pick(WORDS)
  const b = r.pick(WORDS)
  return `${a}${(b[0] ?? '').toUpperCase()}${b.slice(1)}`
}

/** Lines that hold a secret word (about one in a dozen lines, roughly as often as in the packages of this repo). */
const WORDY: ReadonlyArray<(r: Rng) => string> = [
  (r) => `  const ${camel(r)} = Object.keys(options).filter((key) => key !== '${r.pick(WORDS)}')`,
  (r) => `  if (this.token.type === '${r.pick(WORDS)}') return this.${camel(r)}(token, ${r.int(64)})`,
  () => `  const auth = options.auth || (options.username && options.password ? { user: options.username, pass: options.password } : null)`,
  (r) => `  // See https://github.com/${r.pick(WORDS)}js/${r.pick(WORDS)}/issues/${r.int(5000)} for why the key is read twice`,
  (r) => `  for (const [key, value] of Object.entries(${r.pick(WORDS)})) ${camel(r)}[key] = value`,
  (r) => `  headers.authorization = 'Bearer ' + this.${r.pick(WORDS)}Token`,
  (r) => `  const secretKey = process.env.${r.pick(WORDS).toUpperCase()}_SECRET_KEY || config.get('${r.pick(WORDS)}.secret')`,
  () => `  var passwordField = form.querySelector('input[type="password"]')`,
  (r) => `  throw new TypeError('Unexpected token ' + JSON.stringify(${r.pick(WORDS)}) + ' at ' + pos)`,
  () => `  const url = new URL(path, 'https://registry.npmjs.org/')`,
]

const PLAIN: ReadonlyArray<(r: Rng) => string> = [
  (r) => `  const ${camel(r)} = ${r.pick(WORDS)}.${camel(r)}(${r.pick(WORDS)}, ${r.int(1000)})`,
  (r) => `  if (${r.pick(WORDS)} == null || typeof ${r.pick(WORDS)} !== 'object') return ${r.pick(['null', 'false', 'undefined'])}`,
  (r) => `  exports.${camel(r)} = function ${camel(r)}(${r.pick(WORDS)}, cb) { return cb(null, ${r.int(1000)}) }`,
  (r) => `  throw new TypeError('Unexpected ' + JSON.stringify(${r.pick(WORDS)}) + ' at ' + pos)`,
  (r) => `  return ${r.pick(WORDS)}.map((x) => x.${r.pick(WORDS)} * ${r.int(100)} + ${r.int(100)})`,
  (r) => `  ${r.pick(WORDS)}.push({ start: ${r.pick(WORDS)}.start, end: this.pos + ${r.int(16)}, loc: this.${camel(r)}() })`,
  (r) => `  while (i < ${r.pick(WORDS)}.length && ${r.pick(WORDS)}[i] !== ${r.int(128)}) i++`,
  () => `  }`,
]

function codeLine(r: Rng): string {
  const from = r.int(12) === 0 ? WORDY : PLAIN
  return (from[r.int(from.length)] as (r: Rng) => string)(r)
}

function source(r: Rng, bytes: number): string {
  const out: string[] = ["'use strict'", '']
  let have = 0
  while (have < bytes) {
    const fn = camel(r)
    const lines = [`/**`, ` * ${r.pick(WORDS)} the ${r.pick(WORDS)} of a ${r.pick(WORDS)}.`, ` * @param {object} options`, ` */`,
      `function ${fn}(options = {}) {`]
    for (let i = 0; i < 4 + r.int(8); i++) lines.push(codeLine(r))
    lines.push('}', `module.exports.${fn} = ${fn}`, '')
    const s = lines.join('\n')
    out.push(s)
    have += s.length
  }
  return out.join('\n')
}

function declarations(r: Rng, bytes: number): string {
  const out: string[] = []
  let have = 0
  while (have < bytes) {
    const auth = r.int(8) === 0 ? '  auth?: { username: string; password: string }\n' : ''
    const s = `export interface ${camel(r)}Options {\n  ${r.pick(WORDS)}?: string\n  ${camel(r)}?: ${camel(r)}\n${auth}}\nexport declare function ${camel(r)}(o: ${camel(r)}Options): Promise<void>\n`
    out.push(s)
    have += s.length
  }
  return out.join('')
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

function sourceMap(r: Rng, bytes: number, name: string): string {
  let mappings = ''
  while (mappings.length < bytes) {
    let seg = ''
    for (let i = 0; i < 4 + r.int(3); i++) seg += B64[r.int(32)]
    mappings += seg + (r.int(8) === 0 ? ';' : ',')
  }
  return JSON.stringify({version: 3, file: `${name}.js`, sources: [`../src/${name}.ts`], names: [], mappings})
}

function minified(r: Rng, bytes: number): string {
  let s = '!function(e,t){"object"==typeof exports?module.exports=t():e.lib=t()}(this,function(){'
  while (s.length < bytes) s += `var ${B64[r.int(52)]}${r.int(99)}=function(n,r){return n.${r.pick(WORDS)}(r.${r.int(10) === 0 ? 'key' : 'id'},r.v||${r.int(999)})};`
  return s + '});'
}

function packageJson(r: Rng, name: string): string {
  return JSON.stringify({
    name, version: `${r.int(9)}.${r.int(30)}.${r.int(20)}`, description: `${r.pick(WORDS)} ${r.pick(WORDS)} for node`,
    main: 'lib/index.js', types: 'index.d.ts', license: 'MIT', keywords: [r.pick(WORDS), r.pick(WORDS), 'token'],
    repository: {type: 'git', url: `git+https://github.com/${r.pick(WORDS)}/${name}.git`},
    dependencies: {[r.pick(WORDS)]: `^${r.int(9)}.0.0`, [r.pick(WORDS)]: `~${r.int(9)}.${r.int(9)}.0`},
    scripts: {test: 'node test/index.js', build: 'tsc -p .'},
  }, null, 2)
}

function readme(r: Rng, name: string, bytes: number): string {
  const out = [`# ${name}`, '', `> ${r.pick(WORDS)} ${r.pick(WORDS)} made simple`, '', '## Install', '', '```sh', `npm install ${name}`, '```', '']
  let have = 0
  while (have < bytes) {
    const s = [`## ${camel(r)}(options)`, '', `Returns the ${r.pick(WORDS)}. Pass \`options.token\` to authenticate; see https://docs.${name}.dev/${r.pick(WORDS)}.`,
      '', '```js', `const client = require('${name}')({ apiKey: process.env.API_KEY, password: '<your password>' })`, '```', ''].join('\n')
    out.push(s)
    have += s.length
  }
  return out.join('\n')
}

const LICENSE = `MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software.\n`

export interface TreeFile {
  path: string
  content: Buffer
}

/** About `files` files in packages of ~25, deterministic for a seed (the binaries are random and incompressible). */
export function* nodeModulesTree(files: number, seed: number): Generator<TreeFile> {
  const r = new Rng(seed)
  let made = 0
  for (let p = 0; made < files; p++) {
    const name = `${r.pick(WORDS)}-${r.pick(WORDS)}-${p}`
    const root = `/app/node_modules/${name}`
    const text = (path: string, s: string): TreeFile => {
      made++
      return {path: `${root}/${path}`, content: Buffer.from(s)}
    }
    yield text('package.json', packageJson(r, name))
    yield text('README.md', readme(r, name, 2000 + r.int(8000)))
    yield text('LICENSE', LICENSE)
    yield text('index.d.ts', declarations(r, 1000 + r.int(6000)))
    for (let m = 0; m < 14; m++) yield text(`lib/${camel(r)}-${m}.js`, source(r, 2000 + r.int(12000)))
    for (let m = 0; m < 4; m++) yield text(`lib/${camel(r)}-${m}.js.map`, sourceMap(r, 4000 + r.int(20000), `m${m}`))
    yield text('dist/index.min.js', minified(r, 20000 + r.int(40000)))
    if (p % 200 === 199) {
      // A prebuilt addon or CLI: binary content, a name that says nothing.
      made++
      yield {path: `${root}/bin/${name}`, content: randomBytes(2_000_000)}
    }
  }
}
