import test from 'ava'
import {keyFindings, pem, type TarItem} from './helpers.js'

const HOME = 'usr/local/bundle'
/** What `gem install` writes for a platform gem: the spec (Ruby) and the unpacked files. */
const spec = (name: string, version: string) =>
  `# stub: ${name} ${version} x86_64-linux lib\n\nGem::Specification.new do |s|\n  s.name = "${name}".freeze\n  s.version = "${version}"\nend\n`

test('a file under gems/<name>-<version>/ is owned by the gemspec of the same layer, never vouched for', async (t) => {
  const key = pem()
  const [f] = await keyFindings([[
    {name: `${HOME}/specifications/aws-sdk-core-3.191.0-x86_64-linux.gemspec`, content: spec('aws-sdk-core', '3.191.0')},
    {name: `${HOME}/gems/aws-sdk-core-3.191.0-x86_64-linux/lib/certs/server.key`, content: key},
  ]])
  t.is(f?.severity, 'high', 'no hash on disk: the content cannot be vouched for')
  t.deepEqual(f?.origin?.package, {manager: 'gem', name: 'aws-sdk-core', version: '3.191.0'})
  t.is(f?.origin?.content, 'unverified')
  t.is(f?.note, undefined)
})

test('the gem name comes from the file name when the spec does not say it; a later layer gets no ownership', async (t) => {
  const key = pem()
  const l0: TarItem[] = [{name: `${HOME}/specifications/net-http2-0.18.5.gemspec`, content: '# written by hand\n'}]
  const l1: TarItem[] = [{name: `${HOME}/gems/net-http2-0.18.5/certs/dropped.key`, content: key}]
  const [later] = await keyFindings([l0, l1])
  t.is(later?.origin?.content, 'unowned')
  const [same] = await keyFindings([[...l0, {name: `${HOME}/gems/net-http2-0.18.5/certs/k.key`, content: key}]])
  t.deepEqual(same?.origin?.package, {manager: 'gem', name: 'net-http2', version: '0.18.5'})
})
