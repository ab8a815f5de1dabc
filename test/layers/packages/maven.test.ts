import test from 'ava'
import {hex, keyFindings, pem} from './helpers.js'

const DIR = 'root/.m2/repository/org/acme/tls-bundle/1.4.2'

test('a Maven artifact whose .sha1 sibling matches is shipped unmodified; a mismatch is modified', async (t) => {
  const key = pem()
  const jarless = `${DIR}/tls-bundle-1.4.2-server.pem`
  const [f] = await keyFindings([[{name: jarless, content: key}, {name: `${jarless}.sha1`, content: `${hex('sha1', key)}  tls-bundle-1.4.2-server.pem\n`}]])
  t.is(f?.severity, 'info')
  t.deepEqual(f?.origin?.package, {manager: 'maven', name: 'org.acme:tls-bundle', version: '1.4.2'})
  t.is(f?.note, 'shipped unmodified by org.acme:tls-bundle 1.4.2')
  const [g] = await keyFindings([[{name: jarless, content: key}, {name: `${jarless}.sha256`, content: hex('sha256', 'other')}]])
  t.is(g?.severity, 'high')
  t.is(g?.origin?.content, 'modified')
})

test('a checksum written by a later layer, or beside a file not named after its artifact, vouches for nothing', async (t) => {
  const key = pem()
  const file = `${DIR}/tls-bundle-1.4.2.pem`
  const [later] = await keyFindings([[{name: file, content: key}], [{name: `${file}.sha1`, content: hex('sha1', key)}]])
  t.is(later?.origin?.content, 'unowned')
  const odd = `${DIR}/planted.pem`
  const [f] = await keyFindings([[{name: odd, content: key}, {name: `${odd}.sha1`, content: hex('sha1', key)}]])
  t.is(f?.origin?.content, 'unowned')
})
