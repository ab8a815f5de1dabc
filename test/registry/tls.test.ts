import test from 'ava'
import {ImgvetError} from '../../src/errors.js'
import {Registries} from '../../src/registry/client.js'
import {startHostileRegistry} from '../support/hostile-registry.js'

test('offline agents refuse every connection below the client: a coded usage error, and the server sees nothing', async (t) => {
  const h = await startHostileRegistry()
  t.teardown(() => h.stop())
  const regs = new Registries({offline: true, timeoutMs: 5000, retries: 2})
  t.teardown(() => regs.close())
  const err = await t.throwsAsync(regs.get(h.host).getManifest('hostile/valid', 'latest'), {instanceOf: ImgvetError})
  t.is(err?.code, 'usage')
  t.regex(err?.message ?? '', /no network request is made with --offline/)
  t.is(h.requests.length, 0)

  // The same client online reaches it: the refusal is the offline agents', not the server's.
  const online = new Registries({timeoutMs: 5000})
  t.teardown(() => online.close())
  const digest = (await online.get(h.host).getManifest('hostile/valid', 'latest')).digest
  t.is<string | undefined, string | undefined>(digest, h.images['hostile/valid']?.manifestDigest)
  t.true(h.requests.length > 0)
})
