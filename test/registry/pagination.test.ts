import test from 'ava'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {ImgvetError} from '../../src/errors.js'
import {Registries} from '../../src/registry/client.js'

// A registry whose Link header points back at a page it already sent must end in a coded error, not a loop.
test('catalog and tags pagination that loops is refused as a registry error', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200).end('{}')
    const tags = req.url?.startsWith('/v2/repo/tags/list')
    res.writeHead(200, {
      'content-type': 'application/json',
      link: tags ? '</v2/repo/tags/list?last=a&n=1>; rel="next"' : '</v2/_catalog?last=a&n=1>; rel="next"',
    })
    res.end(JSON.stringify(tags ? {name: 'repo', tags: ['a']} : {repositories: ['repo']}))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  const regs = new Registries({timeoutMs: 5000, retries: 0, dockerConfigDir: '/nonexistent'})
  try {
    const client = regs.get(host)
    const seen: string[] = []
    const err = await t.throwsAsync(async () => {
      for await (const r of client.catalog(1)) seen.push(r)
    })
    t.true(err instanceof ImgvetError && err.code === 'registry', String(err))
    t.regex(err?.message ?? '', /pagination loops/)
    t.deepEqual(seen, ['repo', 'repo'])
    const tagErr = await t.throwsAsync(client.tags('repo'))
    t.is((tagErr as ImgvetError).code, 'registry')
  } finally {
    regs.close()
    server.close()
  }
})
