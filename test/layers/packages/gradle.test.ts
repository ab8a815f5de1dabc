import test from 'ava'
import {hex, keyFindings, pem} from './helpers.js'

const CACHE = 'home/gradle/.gradle/caches/modules-2/files-2.1'

test('Gradle names a cached file by its sha1: a match is shipped unmodified, leading zeros dropped as Gradle drops them', async (t) => {
  let key = pem()
  // A key whose sha1 starts with 0, so its directory name is shorter than 40 digits.
  while (!hex('sha1', key).startsWith('0')) key = pem()
  const sha = hex('sha1', key).replace(/^0+/, '')
  const [f] = await keyFindings([[{name: `${CACHE}/io.netty/netty-handler/4.1.100.Final/${sha}/test-server.pem`, content: key}]])
  t.is(f?.severity, 'info')
  t.deepEqual(f?.origin?.package, {manager: 'gradle', name: 'io.netty:netty-handler', version: '4.1.100.Final'})
  const [g] = await keyFindings([[{name: `${CACHE}/io.netty/netty-handler/4.1.100.Final/${hex('sha1', 'x')}/test.pem`, content: key}]])
  t.is(g?.severity, 'high')
  t.is(g?.origin?.content, 'modified')
})
